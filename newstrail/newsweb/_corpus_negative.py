"""Hard negatives: articles that share the story's vocabulary (US troops, Iraq,
sanctions, withdrawal, Baghdad) but are about something else."""

from __future__ import annotations

from ._corpus_story import IRAQI_FIRST, IRAQI_LAST, WESTERN_FIRST, WESTERN_LAST
from ._topics import Speakers, Topic

NEGATIVE_RULES: dict[str, tuple[str, ...]] = {
    "syria_place": ("Manbij", "Kobani", "Ain Issa", "Tal Tamr", "Hasakah", "Qamishli", "Raqqa"),
    "us_syria": ("US troops in Syria", "American forces in Syria", "the US contingent in Syria"),
    "us_afg": ("US troops", "American forces", "US and NATO forces"),
    "afg_province": ("Helmand", "Kunduz", "Kandahar", "Ghazni", "Nangarhar", "Balkh"),
    "oil_province": ("Basra", "Maysan", "Dhi Qar", "Kirkuk", "Wasit"),
    "iran_site": ("Natanz", "Fordow", "Arak", "Isfahan"),
}

_WESTERN_ANALYSTS = Speakers(
    WESTERN_FIRST,
    WESTERN_LAST,
    roles=(
        "a senior fellow at {think_tank}",
        "a former US defence official",
        "a professor of international relations at {western_university}",
        "a retired US Army general",
    ),
    anonymous=("a US official who spoke on condition of anonymity|the official",),
)

SYRIA = Topic(
    key="syria_troops",
    label="hard_negative",
    kind="security",
    windows=(("2018-12-19", "2019-03-31"), ("2019-10-07", "2019-11-30")),
    headlines=(
        "{<2019-05-01}Trump orders withdrawal of US troops from Syria, declaring victory over IS",
        "{>2019-10-01}US forces pull back from northern Syria ahead of Turkish offensive",
        "Kurdish-led SDF fears abandonment as US troops prepare to leave Syria",
        "{>2019-10-20}Pentagon says some US troops will stay to guard Syrian oil fields",
        "What the US pullout from Syria means for the fight against IS",
        "US convoys leave bases in northeast Syria near {syria_place}",
    ),
    standfirsts=(
        "Kurdish commanders say the decision leaves them exposed.",
        "Allies and senior officials were caught by surprise.",
    ),
    ledes=(
        "{<2019-05-01}President Donald Trump has ordered the withdrawal of about 2,000 US troops "
        "from Syria, declaring that the Islamic State group has been defeated there, a decision "
        "that surprised allies and senior officials.",
        "{>2019-10-01}US forces have begun pulling back from positions along the Turkish border in "
        "northeast Syria, clearing the way for a Turkish military operation against Kurdish-led "
        "fighters.",
        "Kurdish commanders in northeast Syria say the departure of {us_syria} would leave them "
        "exposed to attack from Turkey and to a revival of the Islamic State group.",
    ),
    details=(
        "The Syrian Democratic Forces, a Kurdish-led alliance, have been Washington's main partner "
        "on the ground in the campaign against the Islamic State group in Syria.",
        "Turkey regards the main Kurdish militia in the alliance as an extension of a group it "
        "considers a terrorist organisation.",
        "{<2019-05-01}The US defence secretary resigned a day after the withdrawal was announced, "
        "citing differences with the president.",
        "The SDF holds thousands of Islamic State prisoners in makeshift jails across the "
        "northeast.",
        "{>2019-10-08}Turkish forces and allied Syrian fighters have pushed into towns along the "
        "border, forcing tens of thousands of people to flee.",
        "US officials say a small force will remain at the al-Tanf garrison near the border with "
        "Jordan.",
        "{>2019-10-20}The Pentagon later said some troops would stay in eastern Syria to protect "
        "oil fields from the Islamic State group.",
        "Commanders near {syria_place} said they had received little warning before convoys began "
        "leaving.",
        "Aid agencies warned that the withdrawal could disrupt humanitarian work in camps housing "
        "families of Islamic State fighters.",
        "{>2019-10-10}Russian and Syrian government forces moved into several areas vacated by US "
        "troops.",
        "Critics in Congress, including members of the president's own party, called the decision "
        "a betrayal of Kurdish allies.",
        "{>2019-10-15}Some of the troops leaving Syria are expected to be repositioned in western "
        "Iraq, according to the Pentagon.",
        "Manbij, a mixed Arab and Kurdish town west of the Euphrates, has been a focus of tension "
        "between Washington and Ankara for years.",
    ),
    background=(
        "About 2,000 US troops were deployed in northeast Syria, most of them special operations "
        "forces working with local partners.",
        "{>2019-03-24}The Islamic State group lost its last territory in Syria, the village of "
        "Baghouz, in March 2019.",
        "The US-led coalition began air strikes against the Islamic State group in Syria in "
        "September 2014.",
        "Syria's civil war began in 2011 and has killed hundreds of thousands of people.",
        "The Kurdish-led administration runs much of the territory east of the Euphrates river.",
    ),
    quotes_a=(
        "We fought alongside the Americans for five years, and now we are told to manage on our "
        "own.",
        "If the Americans leave, the prisons holding Islamic State fighters become everyone's "
        "problem.",
        "Our people are asking who will protect them if the border is opened to attack.",
        "We did not expect a decision like this to be announced on social media.",
        "The fight against the Islamic State is not over. Its cells are still active in the "
        "desert.",
        "We will defend our towns, but we need guarantees, not promises.",
    ),
    quotes_b=(
        "The decision caught the military by surprise. Nobody at the operational level saw it "
        "coming.",
        "Leaving a partner force like this damages American credibility well beyond Syria.",
        "Holding the oil fields is a political decision more than a military one.",
        "The Islamic State has shown before that it can rebuild quickly when the pressure lifts.",
        "Ankara has wanted this for years, and now it has a window.",
    ),
    speakers_a=Speakers(
        ("Sipan", "Rojin", "Hevi", "Kawa", "Zozan", "Shervan", "Dilshad", "Farhad", "Nesrin"),
        ("Hamo", "Sheikhi", "Rashko", "Osman", "Bilal", "Khalil", "Derwish", "Ibrahim"),
        roles=(
            "a spokesman for the Syrian Democratic Forces",
            "an official in the Kurdish-led administration in northeast Syria",
            "a commander of a Kurdish-led unit near {syria_place}",
            "a Syrian analyst based in Beirut",
        ),
    ),
    speakers_b=_WESTERN_ANALYSTS,
    outlooks=(
        "It remains unclear how many troops will stay behind and for how long.",
        "Kurdish officials say they are talking to Damascus and Moscow about security "
        "arrangements.",
        "The Pentagon said the withdrawal would be carried out in a deliberate and orderly way.",
    ),
    captions=(
        "A US military vehicle near {syria_place} in northeast Syria (AFP)",
        "Fighters of the Syrian Democratic Forces in Hasakah province (Reuters)",
    ),
)

AFGHANISTAN = Topic(
    key="afghanistan_troops",
    label="hard_negative",
    kind="security",
    windows=(("2019-01-15", "2020-11-30"),),
    headlines=(
        "{>2020-02-29}US and Taliban sign deal on troop withdrawal from Afghanistan",
        "Pentagon to reduce the US force in Afghanistan",
        "Afghan officials fear [rising violence|a Taliban offensive] as US troops begin drawdown",
        "{<2020-02-28}Talks with the Taliban in Doha resume amid debate over US troop levels",
        "{>2020-03-15}US troops leave two Afghan bases under Taliban agreement",
        "Afghan army faces a test as US air support is scaled back",
    ),
    standfirsts=(
        "Afghan commanders say they still depend on American air power.",
        "Washington says any withdrawal will depend on conditions.",
    ),
    ledes=(
        "{>2020-02-29}The United States and the Taliban have signed an agreement in Doha under "
        "which American and allied forces would leave Afghanistan within 14 months if the "
        "insurgents meet a series of commitments.",
        "{<2020-02-28}American and Taliban negotiators have resumed talks in Doha on a deal that "
        "would see US troops leave Afghanistan in exchange for security guarantees.",
        "US commanders in Afghanistan have begun reducing the number of American troops in the "
        "country, a drawdown that Afghan officials say could embolden the Taliban.",
        "Afghan security forces are taking on more of the fight against the Taliban as {us_afg} "
        "scale back their presence.",
    ),
    details=(
        "About 13,000 US troops were in Afghanistan when the talks began, alongside several "
        "thousand from NATO allies.",
        "{>2020-02-29}Under the Doha agreement, the Taliban committed to preventing groups such as "
        "al-Qaeda from using Afghan territory to threaten the United States.",
        "The Afghan government was not a party to the talks in Doha, a source of tension with "
        "Washington.",
        "Violence in several provinces, including {afg_province}, has continued despite the "
        "negotiations.",
        "US officials say any withdrawal will be based on conditions and tied to progress in "
        "talks between Afghans.",
        "Bagram airfield, north of Kabul, remains the largest American base in the country.",
        "Afghan commanders say their forces still depend heavily on US air support and "
        "intelligence.",
        "{>2020-03-10}A prisoner exchange between the government and the Taliban has been a major "
        "obstacle to the start of intra-Afghan negotiations.",
        "The war, which began in 2001, is the longest in American history.",
        "Several NATO members have said they will adjust their contributions in line with American "
        "decisions.",
        "Human rights groups fear that gains for women and girls could be reversed under a "
        "political settlement.",
        "The US special envoy has shuttled between Doha, Kabul and regional capitals for months.",
    ),
    background=(
        "US forces invaded Afghanistan in October 2001, weeks after the September 11 attacks, and "
        "toppled the Taliban government.",
        "More than 2,300 American service members have been killed in Afghanistan since 2001.",
        "NATO's combat mission ended in 2014, and foreign troops have since focused on training "
        "and counter-terrorism.",
        "The Taliban control or contest a large share of the country's rural districts.",
    ),
    quotes_a=(
        "We want peace more than anyone, but not a peace that takes us back twenty years.",
        "Our soldiers are fighting every day. What they need is support, not speeches.",
        "The Taliban have made promises before. The question is who will hold them to account.",
        "If the foreign troops leave too quickly, the provinces will feel it first.",
        "We are ready to take responsibility, but the transition must be planned.",
    ),
    quotes_b=(
        "The agreement is a framework, not a guarantee, and everything depends on implementation.",
        "Washington wants out, but it does not want to be seen leaving in defeat.",
        "Air support is the piece that matters most, and it is the hardest to replace.",
        "Nobody expects the Taliban to change overnight, but the alternative is an endless war.",
        "The drawdown is about the politics in Washington as much as the situation in Kabul.",
    ),
    speakers_a=Speakers(
        ("Ahmad", "Abdul", "Farid", "Nasrin", "Habib", "Wahid", "Shabnam", "Zalmai", "Fawzia"),
        ("Rahimi", "Karimi", "Noori", "Hakimi", "Sultani", "Amiri", "Popal", "Wardak", "Sadat"),
        roles=(
            "a member of the Afghan parliament from {afg_province}",
            "a spokesman for the Afghan defence ministry",
            "a Kabul-based political analyst",
            "a former Afghan army general",
            "an Afghan women's rights activist",
        ),
    ),
    speakers_b=_WESTERN_ANALYSTS,
    outlooks=(
        "The next round of talks is expected to begin within weeks.",
        "Afghan officials say the coming months will show whether the deal holds.",
        "US officials said further reductions would depend on conditions on the ground.",
    ),
    captions=(
        "US soldiers at a base in {afg_province} province (AFP/File photo)",
        "Afghan security forces on patrol near Kabul (Reuters)",
    ),
)

IRAQ_OIL = Topic(
    key="iraq_oil",
    label="hard_negative",
    kind="energy",
    windows=(("2018-06-01", "2020-12-15"),),
    headlines=(
        "Iraq's oil exports hit a record as Basra terminals expand",
        "Iraq agrees to deeper OPEC+ cuts as prices slump",
        "Baghdad and Erbil reach a deal on Kurdish oil exports",
        "Iraq's budget squeezed as oil revenue falls by {#20-45} percent",
        "Iraq signs deal with foreign firms to develop an oilfield in {oil_province}",
        "Iraqi oil ministry seeks [investors|foreign partners] to cut gas flaring",
    ),
    standfirsts=(
        "Crude sales fund almost the entire Iraqi state budget.",
        "Officials say export capacity in the south is the bottleneck.",
    ),
    ledes=(
        "Iraq exported an average of {.30-38} million barrels per day last month, the oil ministry "
        "said, as new capacity at the southern terminals near Basra came online.",
        "Iraq's oil revenues fell sharply last month, the ministry said, deepening a fiscal "
        "squeeze in a country where crude sales fund almost the entire state budget.",
        "Baghdad and the Kurdistan Regional Government have reached a preliminary deal on oil "
        "exports and budget transfers, officials said, easing a long-running dispute.",
        "Iraq's oil ministry has signed an agreement with a consortium of foreign companies to "
        "raise output at a field in {oil_province} province.",
    ),
    details=(
        "Iraq is the second-largest producer in OPEC after Saudi Arabia.",
        "Most of the country's crude is shipped from terminals on the Gulf near Basra.",
        "Exports from the north flow through a pipeline to the Turkish port of Ceyhan.",
        "The finance ministry relies on oil sales for more than 90 percent of state revenue.",
        "Public sector salaries and pensions take up a large share of spending, leaving little "
        "room for investment.",
        "The ministry wants to raise production capacity to {#6-8} million barrels per day within "
        "several years.",
        "Gas flared at southern fields could supply power stations, according to industry "
        "estimates.",
        "Iraq relies on a US sanctions waiver to keep importing Iranian gas for its power "
        "stations.",
        "Traders said buyers in Asia took most of the country's Basra Medium and Basra Heavy "
        "grades.",
        "{>2020-03-15}The collapse in oil prices during the coronavirus pandemic has forced the "
        "government to delay salary payments.",
        "Foreign oil companies operating in the south have complained of delayed payments and "
        "bureaucratic obstacles.",
        "The dispute between Baghdad and Erbil centres on how much oil the Kurdistan region should "
        "hand over to the state marketer SOMO.",
    ),
    background=(
        "Iraq holds some of the largest proven crude reserves in the world.",
        "Years of war and sanctions left the oil sector in need of heavy investment after 2003.",
        "The country's electricity grid suffers chronic shortages, particularly in the summer "
        "months.",
    ),
    quotes_a=(
        "Oil is the only engine of this economy, and every dollar of price change is felt in the "
        "budget.",
        "We need to diversify, and we have been saying so for fifteen years.",
        "The southern fields can produce more, but the export infrastructure is the bottleneck.",
        "The agreement with Erbil is a step forward, but the details will decide whether it lasts.",
        "Salaries come first. Investment always comes last in a crisis.",
    ),
    quotes_b=(
        "Iraq has the reserves to grow, but it needs contracts that make sense for investors.",
        "The market is watching Basra closely because it is one of the few places where supply "
        "can rise.",
        "Compliance with OPEC quotas has been patchy, and buyers know it.",
        "Without reform of the public wage bill, every drop in the oil price becomes a fiscal "
        "crisis.",
    ),
    speakers_a=Speakers(
        IRAQI_FIRST,
        IRAQI_LAST,
        roles=(
            "an official at the oil ministry",
            "an economist at {university}",
            "a member of parliament's energy committee",
            "a Basra-based oil consultant",
        ),
    ),
    speakers_b=Speakers(
        WESTERN_FIRST,
        WESTERN_LAST,
        roles=(
            "an analyst at a London-based energy consultancy",
            "a commodities strategist at a European bank",
            "a former executive at an international oil company",
        ),
    ),
    outlooks=(
        "The ministry is expected to publish revised export figures next month.",
        "Analysts say the budget will remain under pressure unless prices recover.",
    ),
    captions=(
        "An oil facility near Basra (Reuters)",
        "Workers at an oilfield in {oil_province} (AFP)",
    ),
)

IRAN_DEAL = Topic(
    key="iran_nuclear_deal",
    label="hard_negative",
    kind="world",
    windows=(("2018-05-09", "2020-12-15"),),
    headlines=(
        "{>2019-05-08}Iran says it will exceed uranium limits set by the nuclear deal",
        "{>2020-01-14}European powers trigger dispute mechanism in Iran nuclear deal",
        "{>2019-07-01}IAEA report finds Iran's stockpile of enriched uranium is growing",
        "{<2019-12-31}US sanctions on Iranian oil exports take effect",
        "What is left of the Iran nuclear deal?",
        "Inspectors return to {iran_site} as nuclear talks stall",
    ),
    standfirsts=(
        "The 2015 agreement is under strain since Washington withdrew.",
        "European signatories urge Tehran to return to full compliance.",
    ),
    ledes=(
        "{>2019-05-08}Iran has announced that it will stop observing some of the limits set by the "
        "2015 nuclear agreement, a year after the United States withdrew from the deal and "
        "reimposed sanctions.",
        "{>2019-07-01}The International Atomic Energy Agency said in a confidential report that "
        "Iran's stockpile of low-enriched uranium has continued to grow beyond the limit set by "
        "the nuclear deal.",
        "European signatories to the 2015 nuclear agreement have urged Tehran to return to full "
        "compliance, warning that the deal is at risk of collapse.",
        "{<2019-05-01}The United States has reimposed sanctions on Iran's oil and banking sectors "
        "after President Donald Trump withdrew from the nuclear deal.",
    ),
    details=(
        "The agreement, known as the Joint Comprehensive Plan of Action, limited Iran's nuclear "
        "programme in exchange for relief from international sanctions.",
        "Britain, France and Germany have tried to keep the deal alive through a trade mechanism "
        "designed to avoid US sanctions.",
        "Iran insists its nuclear programme is for peaceful purposes only.",
        "Inspectors from the IAEA continue to monitor Iran's declared nuclear facilities.",
        "The deal capped enrichment at 3.67 percent, far below the level needed for a weapon.",
        "Iran's oil exports have fallen sharply since Washington ended waivers for its main "
        "customers.",
        "The rial has lost much of its value against the dollar since the sanctions were "
        "reimposed.",
        "Washington says its campaign of maximum pressure is meant to force Iran to negotiate a "
        "broader agreement.",
        "Russia and China, also parties to the deal, have criticised the US withdrawal.",
        "The centrifuges at {iran_site} are at the centre of the dispute over Iran's enrichment "
        "activities.",
        "Diplomats in Vienna say the remaining parties are searching for a formula to bring both "
        "sides back into compliance.",
    ),
    background=(
        "The nuclear deal was signed in 2015 by Iran and six world powers.",
        "The United States withdrew from the agreement in May 2018, arguing that it did too little "
        "to curb Iran's missile programme and regional activities.",
    ),
    quotes_a=(
        "Iran has shown more patience than anyone expected. Patience has limits.",
        "The Europeans promised to compensate for the sanctions, and they have not delivered.",
        "Every step Iran has taken can be reversed if the other side returns to its commitments.",
        "Ordinary people are paying the price for a decision made in Washington.",
    ),
    quotes_b=(
        "The deal is on life support, but it is not dead yet.",
        "Each step Iran takes shortens the time it would need to build a weapon, and that is what "
        "worries Europe.",
        "Maximum pressure has squeezed the economy, but it has not changed Tehran's strategy.",
        "The inspections are the most valuable part of the agreement, and they are still working.",
    ),
    speakers_a=Speakers(
        ("Reza", "Mehdi", "Hossein", "Parisa", "Saeed", "Maryam", "Hamid", "Nasrin"),
        ("Tehrani", "Jafari", "Hosseini", "Rahmani", "Farahani", "Ghorbani", "Sadeghi"),
        roles=("a Tehran-based political analyst", "a former Iranian diplomat"),
    ),
    speakers_b=Speakers(
        WESTERN_FIRST,
        WESTERN_LAST,
        roles=(
            "a non-proliferation expert at {think_tank}",
            "a former US negotiator",
            "a European diplomat in Vienna",
        ),
    ),
    outlooks=(
        "The IAEA board of governors is expected to discuss the matter at its next meeting.",
        "Diplomats say the coming weeks will be critical for the future of the agreement.",
    ),
    captions=("The Bushehr nuclear plant in southern Iran (AFP/File photo)",),
)

INVASION_ANNIVERSARY = Topic(
    key="invasion_anniversary",
    label="hard_negative",
    kind="world",
    windows=(
        ("2018-03-18", "2018-04-12"),
        ("2019-03-18", "2019-04-12"),
        ("2020-03-18", "2020-04-12"),
    ),
    headlines=(
        "{years_since_2003_word} years after the US invasion, Iraqis look back on 2003",
        "Baghdad remembers the fall of the statue, {years_since_2003} years on",
        "The 2003 invasion of Iraq at {years_since_2003}: what changed and what did not",
        "Veterans of the 2003 invasion reflect on the war, {years_since_2003} years later",
    ),
    standfirsts=(
        "The war that toppled Saddam Hussein still shapes the country.",
        "Memories of March 2003, from Baghdad and from the men who invaded.",
    ),
    ledes=(
        "{years_since_2003_word} years after American and British troops crossed into Iraq, the "
        "invasion that toppled Saddam Hussein still shapes the country's politics, its streets "
        "and its memories.",
        "On the anniversary of the 2003 invasion, residents of Baghdad describe a city transformed "
        "by war, occupation and years of sectarian violence.",
        "For many Iraqis who were children in March 2003, the anniversary of the invasion is a "
        "reminder of how much of their lives has been shaped by conflict.",
    ),
    details=(
        "The invasion began on March 20, 2003, with air strikes on Baghdad, and the capital fell "
        "three weeks later.",
        "The toppling of the statue of Saddam Hussein in Firdos Square on April 9 became one of "
        "the defining images of the war.",
        "The weapons of mass destruction cited as the main justification for the war were never "
        "found.",
        "The Coalition Provisional Authority disbanded the Iraqi army and barred senior Baath "
        "party members from public office, decisions many historians now regard as grave "
        "mistakes.",
        "An insurgency against the occupation grew rapidly, and sectarian fighting peaked in 2006 "
        "and 2007.",
        "Estimates of the number of Iraqis killed in the years after the invasion vary widely.",
        "Nearly 4,500 American service members died in Iraq between 2003 and 2011.",
        "Firdos Square today is busy with traffic, and few young people stop at the spot where the "
        "statue stood.",
        "Older residents recall the looting of ministries, museums and hospitals in the days after "
        "the capital fell.",
        "The political system, based on power-sharing between sects and ethnic groups, was "
        "designed in the years after the invasion.",
        "In Baghdad's book markets, memoirs of the war years sell alongside histories of the "
        "monarchy and the republic.",
        "Some residents say electricity and water supplies are still worse than before the war.",
    ),
    background=(
        "The war was launched as part of what Washington called the war on terror, declared after "
        "the September 11 attacks.",
        "The United States ended its combat mission in Iraq in 2010 and withdrew its remaining "
        "troops at the end of 2011.",
    ),
    quotes_a=(
        "I remember the sound of the first night. You do not forget a sound like that.",
        "We were told we would have democracy and prosperity. We got elections, and we got chaos.",
        "My children know the war only from our stories, and I want it to stay that way.",
        "The regime fell in days, but building a state has taken us years and it is not finished.",
        "People my age grew up with checkpoints. For us that was normal life.",
    ),
    quotes_b=(
        "We planned for the war in great detail and for the peace hardly at all.",
        "Most of the men in my unit still ask themselves what it was all for.",
        "The decisions of the first year shaped everything that came after.",
        "History will judge the invasion harshly, but the Iraqis have had to live with it.",
    ),
    speakers_a=Speakers(
        IRAQI_FIRST,
        IRAQI_LAST,
        roles=(
            "a shopkeeper in Baghdad's Karrada district",
            "a retired teacher who lived through the invasion",
            "a historian at {university}",
            "a student at {university}",
        ),
    ),
    speakers_b=Speakers(
        WESTERN_FIRST,
        WESTERN_LAST,
        roles=(
            "a US Army veteran who took part in the invasion",
            "a historian of the Iraq war at {western_university}",
            "a former official of the Coalition Provisional Authority",
        ),
    ),
    outlooks=(
        "Few official events mark the date, and for many the anniversary passes quietly.",
        "For most Iraqis, the anniversary is overshadowed by the country's present troubles.",
    ),
    captions=(
        "Firdos Square in central Baghdad (AFP)",
        "A US tank in Baghdad in April 2003 (AP/File photo)",
    ),
)

NEGATIVE_TOPICS: tuple[Topic, ...] = (SYRIA, AFGHANISTAN, IRAQ_OIL, IRAN_DEAL, INVASION_ANNIVERSARY)
