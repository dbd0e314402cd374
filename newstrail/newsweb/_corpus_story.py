"""Sentence pools for the seed story: the US military presence in Iraq, 2018-2020.

Everything here is written for this fixture. Real public figures appear only in
background statements of public record; every quote belongs to an invented
person built from the speaker pools.
"""

from __future__ import annotations

from ._topics import Speakers, Topic

STORY_RULES: dict[str, tuple[str, ...]] = {
    "us_forces": (
        "US forces",
        "American troops",
        "US troops",
        "American forces",
        "US soldiers",
        "American military personnel",
    ),
    "coalition": (
        "the US-led coalition",
        "the international coalition against the Islamic State group",
        "the coalition fighting the Islamic State group",
    ),
    "iraq_gov": (
        "the Iraqi government",
        "Baghdad",
        "the government in Baghdad",
        "Iraqi authorities",
    ),
    "parliament": ("the Iraqi parliament", "Iraq's parliament", "the Council of Representatives"),
    "troop_figure": ("5,200", "about 5,200", "roughly 5,000", "around 5,200", "some 5,000"),
    "base": (
        "Ain al-Asad air base",
        "the al-Asad base in Anbar province",
        "Camp Taji",
        "the Harir base north of Erbil",
        "the Qayyarah West airfield",
        "the Balad air base",
        "the K-1 base near Kirkuk",
    ),
    "iraqi_city": ("Baghdad", "Basra", "Mosul", "Erbil", "Najaf", "Karbala", "Nasiriyah", "Kirkuk"),
    "province": ("Anbar", "Nineveh", "Salahuddin", "Kirkuk", "Diyala", "Babil"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "think_tank": (
        "the Euphrates Policy Institute",
        "the Atlantic Policy Forum",
        "the Levant Security Project",
        "the Center for Gulf and Iraq Studies",
        "the Meridian Institute for Security Affairs",
        "the Tigris Research Group",
    ),
    "university": (
        "Baghdad University",
        "the University of Mosul",
        "Salahaddin University in Erbil",
        "al-Nahrain University",
        "the American University of Iraq in Sulaimani",
    ),
    "western_university": (
        "a university in Washington",
        "King's College London",
        "a university in Boston",
        "Sciences Po in Paris",
        "a university in California",
    ),
    "bloc": (
        "the Fatah alliance",
        "the Sairoon bloc",
        "the Kurdistan Democratic Party",
        "the Nasr coalition",
        "the Hikma movement",
        "an independent list",
    ),
    "many_sites": ("several", "at least five", "more than half a dozen", "at least eight"),
}

IRAQI_FIRST = (
    "Hassan", "Ali", "Mohammed", "Ahmed", "Karim", "Sabah", "Haidar", "Mustafa", "Nour", "Zainab",
    "Raad", "Falah", "Omar", "Saad", "Yasser", "Salim", "Ammar", "Hamid", "Jassim", "Layla",
    "Rasha", "Suha", "Maysoon", "Dhiaa", "Basim", "Intisar", "Wathiq", "Hana",
)  # fmt: skip
IRAQI_LAST = (
    "al-Jubouri", "al-Rubaie", "al-Obaidi", "al-Khafaji", "al-Saadi", "Hamdani", "al-Tamimi",
    "al-Dulaimi", "al-Shammari", "Kareem", "al-Zubaidi", "al-Azzawi", "al-Janabi", "Mahmoud",
    "al-Lami", "al-Musawi", "Barzinji", "Rashid", "al-Bayati", "al-Sudani", "Talabani",
)  # fmt: skip
WESTERN_FIRST = (
    "John", "Michael", "Sarah", "David", "Karen", "Robert", "Emily", "James", "Laura", "Daniel",
    "Rebecca", "Thomas", "Megan", "Paul", "Claire", "Andrew", "Natalie", "Peter", "Joanna",
)  # fmt: skip
WESTERN_LAST = (
    "Whitaker", "Delaney", "Hargrove", "Ellison", "Brennan", "Caldwell", "Prescott", "Lindqvist",
    "Moreland", "Ashford", "Kessler", "Donovan", "Farrow", "Garrity", "Halloran", "Stroud",
)  # fmt: skip

IRAQI_SPEAKERS = Speakers(
    IRAQI_FIRST,
    IRAQI_LAST,
    roles=(
        "a member of parliament's security and defence committee",
        "a lawmaker from {bloc}",
        "a Kurdish member of parliament",
        "an adviser to the prime minister's office",
        "a retired Iraqi army general",
        "a professor of international law at {university}",
        "a Baghdad-based political analyst",
        "a spokesman for the foreign ministry",
        "a member of parliament's legal committee",
        "a researcher at {think_tank}",
    ),
    anonymous=(
        "a senior Iraqi security official who asked not to be named|the official",
        "an Iraqi government official who spoke on condition of anonymity|the official",
    ),
)
US_SPEAKERS = Speakers(
    WESTERN_FIRST,
    WESTERN_LAST,
    roles=(
        "a former US diplomat who served in Baghdad",
        "a senior fellow at {think_tank}",
        "a researcher at {think_tank}",
        "a spokesperson for the coalition",
        "a former Pentagon official",
        "a professor of Middle East politics at {western_university}",
        "a retired US Army colonel who served two tours in Iraq",
    ),
    anonymous=(
        "a US defence official who was not authorised to speak publicly|the official",
        "a Western diplomat in Baghdad who asked not to be named|the diplomat",
    ),
)

IRAQI_QUOTES = (
    "The presence of foreign forces must be decided by Iraqis and approved by parliament, not "
    "arranged behind closed doors.",
    "We are not against cooperation with the United States, but cooperation cannot mean an "
    "open-ended military presence.",
    "Nobody in this country can tell you with confidence how many foreign soldiers are here today.",
    "Sovereignty is not a slogan. It means the Iraqi state decides who carries weapons on its "
    "land.",
    "Iraq does not want to become a battlefield for other people's wars.",
    "The government has a duty to implement what parliament decided, and the people are watching.",
    "We need the training and the air support, but on terms that respect Iraqi law.",
    "If there is an agreement, the Iraqi people have the right to read it.",
    "A hasty withdrawal would leave a vacuum that the Islamic State will try to fill.",
    "What we want is a clear timetable and a clear legal framework.",
    "The question of immunity is at the heart of this. Without it the Americans will not stay, "
    "and with it many Iraqis will not accept them.",
    "Every government since 2014 has postponed this debate, and now it cannot be postponed any "
    "longer.",
    "We hear one number from Washington and another from our own ministries. That is not "
    "acceptable.",
    "Our relationship with America is important, but it has to be a relationship between equals.",
)
US_QUOTES = (
    "The mission in Iraq is about training and advising Iraqi partners, and that has not changed.",
    "Washington will want any reduction to be based on conditions, not tied to a political "
    "calendar.",
    "The legal arrangements from 2014 were written for an emergency, and the emergency has "
    "changed.",
    "Both sides have an interest in avoiding a rupture, even if the rhetoric suggests otherwise.",
    "An abrupt exit would hand Tehran exactly the outcome it has been working towards.",
    "The United States cannot keep troops in a country that does not want them there, at least "
    "not for long.",
    "What matters now is whether Baghdad can form a government strong enough to negotiate.",
    "The numbers matter less than the mission. A few thousand advisers can do a great deal if they "
    "have the right access.",
    "There is a real risk that economic pressure pushes Baghdad in the opposite direction from the "
    "one Washington wants.",
    "Iraqi leaders are caught between two partners who see each other as enemies.",
    "Nobody in Washington wants to be seen as having lost Iraq a second time.",
    "The coalition has always operated at the invitation of the Iraqi government, and it will "
    "continue to consult Baghdad.",
)

STORY_BACKGROUND = (
    "{us_forces} returned to Iraq in 2014 at the invitation of the government, after the Islamic "
    "State group seized large parts of the north and west of the country.",
    "The last American combat troops left Iraq at the end of 2011, after the two governments "
    "failed to agree on legal immunity for soldiers who would stay behind.",
    "Iraq declared victory over the Islamic State group in December 2017, but sleeper cells still "
    "carry out attacks in rural parts of {province} and neighbouring provinces.",
    "Iraqi governments have long tried to balance relations with Washington and Tehran, the "
    "country's two most important foreign partners.",
    "{coalition} says its mission is to advise and assist Iraqi forces in the fight against the "
    "remnants of the Islamic State group.",
    "Armed groups aligned with Iran, some of them part of the Popular Mobilisation Forces, have "
    "long demanded the departure of {us_forces}.",
    "Washington has spent billions of dollars training and equipping Iraqi security forces since "
    "2014.",
    "Neither government has published a full list of the sites where foreign troops are stationed.",
    "The 2014 arrangement took the form of an exchange of diplomatic notes rather than a treaty, "
    "and it was never put to a vote in parliament.",
    "{<2020-01-03}Iran-aligned factions in parliament have drafted legislation that would set a "
    "deadline for foreign troops to leave.",
    "{<2019-01-01}Earlier this month Washington announced that its troops would leave Syria, "
    "declaring that the Islamic State group had been defeated there.",
    "{>2018-12-27}President Donald Trump's unannounced visit to Ain al-Asad air base in December "
    "2018, during which he met no Iraqi officials, angered lawmakers across several blocs.",
    "{>2019-12-01}Iraq has been gripped by anti-government protests since October 2019, and Prime "
    "Minister Adel Abdul Mahdi announced his resignation at the end of November.",
    "{>2020-01-04}The killing of Qassem Soleimani, the commander of Iran's Quds Force, in a US "
    "drone strike near Baghdad airport on January 3 sharply raised tensions between Washington "
    "and Tehran.",
    "{>2020-01-06}On January 5 the Iraqi parliament passed a resolution calling on the government "
    "to end the presence of foreign troops in the country.",
    "{>2020-01-09}Iran retaliated for the strike on January 8 by firing ballistic missiles at Ain "
    "al-Asad and at a base near Erbil.",
    "{>2020-01-08}President Donald Trump has threatened Iraq with sanctions if American troops are "
    "asked to leave on unfriendly terms.",
    "{>2020-05-07}Prime Minister Mustafa al-Kadhimi, a former intelligence chief, took office in "
    "May after months of political deadlock.",
)

STORY_OUTLOOKS = (
    "It is unclear when the government will respond formally to the committee's request.",
    "The issue is expected to dominate the agenda when parliament reconvenes.",
    "For now {us_forces} remain at their bases, and neither government has announced a timetable.",
    "Officials on both sides say further talks are expected in the coming weeks.",
    "Whatever the outcome, analysts expect the debate over the foreign military presence to shape "
    "Iraqi politics for months to come.",
    "The coalition has said it will continue to consult the Iraqi government on the future of the "
    "mission.",
    "Lawmakers say they will keep pressing for answers until the government sets out its position "
    "in writing.",
)

STORY_CAPTIONS = (
    "US soldiers at a base in {province} province (AFP/File photo)",
    "Iraqi lawmakers attend a session of parliament in Baghdad (Reuters)",
    "A US military convoy near {iraqi_city} (AP/File photo)",
    "Members of the Iraqi security forces stand guard in {iraqi_city} (Reuters)",
    "A coalition helicopter over {base} (AFP)",
)


def _story(
    *,
    key: str,
    kind: str,
    windows: tuple[tuple[str, str], ...],
    headlines: tuple[str, ...],
    standfirsts: tuple[str, ...],
    ledes: tuple[str, ...],
    details: tuple[str, ...],
) -> Topic:
    # Every sub-topic of the story shares speakers, quotes and background.
    return Topic(
        key=key,
        label="on_topic",
        kind=kind,
        windows=windows,
        headlines=headlines,
        standfirsts=standfirsts,
        ledes=ledes,
        details=details,
        background=STORY_BACKGROUND,
        quotes_a=IRAQI_QUOTES,
        quotes_b=US_QUOTES,
        speakers_a=IRAQI_SPEAKERS,
        speakers_b=US_SPEAKERS,
        outlooks=STORY_OUTLOOKS,
        captions=STORY_CAPTIONS,
    )


STORY_TOPICS: tuple[Topic, ...] = (
    _story(
        key="troop_numbers",
        kind="security",
        windows=(("2018-12-20", "2019-04-30"), ("2020-02-01", "2020-09-30")),
        headlines=(
            "How many US troops are in Iraq? [Officials give conflicting figures|Nobody seems to "
            "know|Baghdad and Washington disagree]",
            "Iraqi [lawmakers|MPs] demand a full count of [American|US|foreign] troops on Iraqi "
            "soil",
            "Pentagon puts US troop level in Iraq at {troop_figure}; Iraqi officials dispute it",
            "Questions grow over the [true|real] size of the US military [footprint|presence] in "
            "Iraq",
            "Iraq's defence committee seeks answers on the number of [foreign|US|American] troops",
            "Iraqi MPs say the US troop presence is larger than acknowledged",
            "Behind the numbers: what we know about US forces in Iraq",
            "Iraqi officials question US figures on troops stationed in {province}",
        ),
        standfirsts=(
            "Lawmakers say the official figure leaves out contractors and rotating units.",
            "Parliament's security committee wants a list of every site hosting foreign troops.",
            "Washington says it keeps about {troop_figure} troops in Iraq; Iraqi MPs are not sure.",
        ),
        ledes=(
            "Iraqi officials on {weekday} questioned the official count of {us_forces} in the "
            "country, saying the figure of {troop_figure} published by Washington leaves out "
            "contractors and personnel who entered on diplomatic visas.",
            "Members of {parliament}'s security and defence committee have asked the government "
            "to disclose how many {us_forces} are stationed in Iraq, and where.",
            "The number of {us_forces} in Iraq has become a point of contention in Baghdad, where "
            "lawmakers say they have never been given a full accounting of the foreign military "
            "presence.",
            "Washington says it keeps about {troop_figure} troops in Iraq to train and advise "
            "local forces, but several Iraqi officials contend the real number is considerably "
            "higher.",
        ),
        details=(
            "The Pentagon has repeatedly said that {us_forces} in Iraq operate at the invitation "
            "of the Iraqi government and in a non-combat role.",
            "Lawmakers say the count excludes private security contractors, rotational units and "
            "personnel assigned to the embassy in Baghdad.",
            "According to the committee, {us_forces} are spread across {many_sites} sites, "
            "including {base}.",
            "The defence ministry in Baghdad has not published its own figures, saying the matter "
            "falls under security arrangements with {coalition}.",
            "Critics argue that without an official figure, parliament cannot exercise oversight "
            "of the foreign military presence.",
            "Some estimates circulating in Baghdad put the total number of American personnel, "
            "including contractors, at more than {#9000-20000}.",
            "US officials describe the deployment as a training and advisory mission focused on "
            "preventing a resurgence of the Islamic State group.",
            "Troop levels have fluctuated since {us_forces} returned to Iraq in 2014 at the "
            "request of the government of the day.",
            "A spokesperson for {coalition} declined to give a breakdown of the figures, citing "
            "operational security.",
            "{<2019-06-01}The question gained urgency after Washington announced it would pull "
            "its forces out of neighbouring Syria.",
            "Iraqi officials say the government was not consulted on several recent troop "
            "movements across the Syrian border into {province} province.",
            "Parliament's security committee has requested a list of every base hosting foreign "
            "troops and the legal basis for each deployment.",
            "Lawmakers also want to know which units carry out combat missions and which are "
            "limited to training.",
            "Figures released by the Pentagon in quarterly reports have been criticised as "
            "incomplete because they leave out troops on temporary assignment.",
            "{>2020-03-15}The coalition has since consolidated its troops at fewer bases, which "
            "officials say makes the overall number harder to track.",
        ),
    ),
    _story(
        key="immunity_notes",
        kind="security",
        windows=(("2018-12-15", "2019-03-31"), ("2020-01-10", "2020-02-29")),
        headlines=(
            "The 2014 diplomatic notes that keep US troops in Iraq[, explained|: what we know|: a "
            "legal grey zone]",
            "Iraqi [legal experts|lawyers|MPs] question the immunity granted to [US "
            "forces|American soldiers]",
            "Immunity for American soldiers in Iraq rests on letters never put to parliament",
            "Iraqi MPs demand publication of the 2014 exchange of notes with Washington",
            "Diplomatic visas and legal immunity: the fine print of the US presence in Iraq",
            "Who can prosecute a US soldier in Iraq? [A question Baghdad cannot answer|Nobody in "
            "Baghdad is sure]",
        ),
        standfirsts=(
            "The legal basis for the foreign troop presence has never been made public.",
            "An exchange of letters, not a treaty, protects US personnel from Iraqi courts.",
        ),
        ledes=(
            "The legal basis for the presence of {us_forces} in Iraq is an exchange of diplomatic "
            "notes from 2014 that has never been made public, a fact that has drawn growing "
            "criticism in Baghdad.",
            "Iraqi legal scholars are questioning whether the immunity enjoyed by {us_forces} can "
            "survive without the approval of {parliament}.",
            "An exchange of letters between Washington and Baghdad in 2014, rather than a ratified "
            "treaty, is what allows {us_forces} to operate in Iraq with immunity from Iraqi law.",
            "Lawmakers in Baghdad want to see the text of the 2014 diplomatic notes that granted "
            "immunity to {us_forces}, arguing that parliament was never consulted.",
        ),
        details=(
            "The notes were exchanged in the summer of 2014, as Islamic State fighters advanced "
            "towards Baghdad and the Iraqi government asked for international help.",
            "Unlike the 2008 Status of Forces Agreement, the 2014 arrangement was never submitted "
            "to parliament for a vote.",
            "Under the notes, American personnel are treated as members of the administrative and "
            "technical staff of the US embassy, which gives them diplomatic immunity.",
            "Because the letters do not rise to the level of a treaty, legal experts say they "
            "could be revoked by the foreign ministry with a simple notification.",
            "Critics say the arrangement leaves Iraqi courts powerless if a soldier is accused of "
            "a crime.",
            "The text of the notes has never been published, and several lawmakers say they have "
            "not been allowed to read it.",
            "Some officials say thousands of personnel entered Iraq on diplomatic visas under the "
            "arrangement, a claim the US embassy has not addressed.",
            "The foreign ministry has said the arrangement remains valid as long as neither side "
            "gives notice to end it.",
            "Legal scholars point out that the Iraqi constitution requires international "
            "agreements to be approved by a two-thirds majority of parliament.",
            "The 2014 letters describe the mission as advisory, but the scope of activities has "
            "widened over time, according to Iraqi officials.",
            "Parliament's legal committee has asked the foreign ministry for a written opinion on "
            "the status of the notes.",
            "Immunity was the sticking point that ended negotiations on a follow-on force in 2011.",
            "Human rights groups in Baghdad have called for any new arrangement to include a "
            "mechanism for investigating complaints against foreign personnel.",
            "Officials at the US embassy have said the notes remain the basis for cooperation and "
            "that any change would have to be agreed by both governments.",
        ),
    ),
    _story(
        key="parliament_vote",
        kind="world",
        windows=(("2020-01-05", "2020-02-15"),),
        headlines=(
            "Iraqi parliament votes to expel [US|foreign] troops after Soleimani killing",
            "Iraqi lawmakers pass resolution calling for [exit|departure|withdrawal] of foreign "
            "forces",
            "What the Iraqi parliament's vote on US troops means, and what it does not",
            "Kurdish and Sunni MPs boycott vote on expelling American forces",
            "Binding or not? Legal debate follows Iraq's vote to remove US troops",
            "Iraq's troop resolution leaves the caretaker government with hard choices",
        ),
        standfirsts=(
            "Lawmakers want all foreign troops out; the government says it needs time.",
            "The resolution was passed in a session boycotted by most Kurdish and Sunni members.",
        ),
        ledes=(
            "{parliament} has asked the government to end the presence of foreign troops in the "
            "country, in a vote held two days after a US drone strike in Baghdad killed Iranian "
            "general Qassem Soleimani.",
            "The resolution passed by Iraqi lawmakers calling for the expulsion of {us_forces} has "
            "set off a debate over whether the vote is binding on the caretaker government.",
            "Iraqi lawmakers have called on the government to cancel its request for help from "
            "{coalition}, in a vote boycotted by most Kurdish and Sunni members.",
            "A week after {parliament} voted to expel foreign troops, officials in Baghdad are "
            "still debating how, and whether, the decision can be carried out.",
        ),
        details=(
            "The session was attended by about 170 of the chamber's 329 members, most of them from "
            "Shia blocs.",
            "Kurdish and most Sunni lawmakers stayed away from the session, arguing that a rushed "
            "decision could leave Iraq exposed to a resurgence of the Islamic State group.",
            "The resolution instructs the government to work towards ending the presence of all "
            "foreign troops and to bar them from using Iraqi land, airspace or water.",
            "Legal experts note that the text takes the form of a decision rather than a law, "
            "which means the government is not strictly obliged to implement it.",
            "The strike that killed Soleimani near Baghdad airport also killed Abu Mahdi "
            "al-Muhandis, the deputy head of the Popular Mobilisation Forces.",
            "The caretaker prime minister addressed the session and urged lawmakers to take urgent "
            "measures.",
            "Washington described the vote as disappointing and said it expected the two "
            "governments to keep working together.",
            "Shia parties aligned with Iran had been pushing for a vote on the foreign troop "
            "presence for more than a year.",
            "The vote came as Iraqi security forces braced for retaliation, and several bases "
            "hosting coalition troops reduced non-essential movements.",
            "{coalition} announced it would pause training missions to focus on protecting its "
            "own personnel.",
            "Lawmakers who backed the measure say it reflects the will of the Iraqi people and "
            "that the government must now set a timetable.",
            "The resolution does not mention the United States by name, referring instead to "
            "all foreign forces.",
            "Opponents of the vote warned that Iraq could lose access to intelligence, air support "
            "and military training if the coalition leaves.",
        ),
    ),
    _story(
        key="withdrawal_talks",
        kind="security",
        windows=(("2020-01-10", "2020-09-30"),),
        headlines=(
            "Iraq asks Washington to send a delegation to discuss [troop withdrawal|a US "
            "pullout|the exit of US forces]",
            "US [rejects|rules out] talks on pulling troops out of Iraq, State Department says",
            "Baghdad and Washington at odds over timetable for US troop drawdown",
            "Coalition hands over {base} to Iraqi forces as drawdown continues",
            "[Withdrawal|Troop] talks stall as Baghdad struggles to form a government",
            "US to cut troop levels in Iraq as bases are handed to Iraqi forces",
        ),
        standfirsts=(
            "Baghdad wants a timetable; Washington wants to talk about the whole relationship.",
            "Officials say the discussions focus on a gradual reduction rather than an exit.",
        ),
        ledes=(
            "Iraq's caretaker prime minister has asked the United States to send a delegation to "
            "Baghdad to work out the mechanics of a troop withdrawal, his office said.",
            "The United States has no plans to discuss the withdrawal of its troops from Iraq, the "
            "State Department said, despite a request from Baghdad to begin talks.",
            "{coalition} has handed over another base to Iraqi security forces, part of a "
            "consolidation that US officials say reflects the progress of Iraqi units.",
            "Talks on the future of {us_forces} in Iraq have made little progress, officials in "
            "Baghdad said on {weekday}, as the two sides remain divided over a timetable.",
        ),
        details=(
            "US officials have said any talks should address the broader relationship, including "
            "economic ties and security cooperation, not only the presence of troops.",
            "Iraqi officials say they want the withdrawal to be orderly and to preserve "
            "cooperation in areas such as intelligence sharing and training.",
            "{>2020-03-20}The coalition has consolidated its forces at fewer bases since March, "
            "citing both security concerns and the coronavirus pandemic.",
            "{>2020-03-20}Handovers so far have included facilities at al-Qaim, Qayyarah and the "
            "K-1 base near Kirkuk.",
            "Analysts say a complete withdrawal remains unlikely in the near term because of the "
            "continuing threat from Islamic State cells in the north and west.",
            "{<2020-05-07}Any agreement would need to be approved by a new government, which "
            "Iraq's political blocs have so far failed to form.",
            "Rocket attacks on bases hosting {us_forces} and on the US embassy in Baghdad have "
            "added pressure on both sides.",
            "Iraqi negotiators want a timetable, while Washington has insisted that conditions on "
            "the ground should determine the pace.",
            "A joint committee is expected to discuss the number of troops that would remain to "
            "train Iraqi forces.",
            "The Pentagon has said it will keep enough forces in Iraq to support the mission "
            "against the Islamic State group.",
            "Officials familiar with the talks say the discussions have focused on a gradual "
            "reduction rather than an immediate exit.",
            "NATO, which runs a separate training mission in Iraq, has said it will adjust its "
            "presence in consultation with Baghdad.",
            "Iraqi commanders say their forces can hold territory on their own but still rely on "
            "coalition aircraft and surveillance.",
        ),
    ),
    _story(
        key="sanctions_threat",
        kind="economy",
        windows=(("2020-01-06", "2020-02-28"),),
        headlines=(
            "Trump threatens Iraq with [sanctions|'very big' sanctions] if US troops are [forced "
            "out|expelled]",
            "Iraq's economy braces for possible US sanctions over troop vote",
            "[US warns|Washington signals] Iraq could lose access to its central bank account in "
            "New York",
            "Sanctions threat puts Baghdad's dollar lifeline at risk, economists warn",
            "Iraqi officials weigh the cost of defying Washington over troop withdrawal",
        ),
        standfirsts=(
            "Economists say Iraq's reliance on dollar oil revenues leaves it exposed.",
            "Washington's warning has made lawmakers more cautious about an immediate exit.",
        ),
        ledes=(
            "President Donald Trump has threatened to impose sanctions on Iraq if Baghdad moves "
            "to expel {us_forces} on unfriendly terms, raising alarm among Iraqi officials and "
            "economists.",
            "Iraqi economists say the country's dependence on dollar revenues from oil sales "
            "leaves it highly exposed to the sanctions threatened by Washington over the presence "
            "of {us_forces}.",
            "Washington's threat of sanctions has complicated Baghdad's response to the "
            "parliamentary vote calling for the departure of {us_forces}.",
        ),
        details=(
            "Trump said the United States would not leave unless Iraq paid for an expensive air "
            "base built there, a demand Iraqi officials rejected.",
            "Iraq's oil revenues are held in an account at the Federal Reserve Bank of New York, "
            "which US officials have reportedly suggested could be restricted.",
            "Economists warn that any restriction on access to dollars would hit the salaries of "
            "millions of public sector workers.",
            "Iraq also relies on a US waiver to import electricity and gas from Iran, which must "
            "be renewed every few months.",
            "Officials in Baghdad say the threat has made lawmakers more cautious about pushing "
            "for an immediate withdrawal.",
            "Business groups in Baghdad and Erbil have urged the government to avoid a "
            "confrontation that could damage the economy.",
            "The dinar weakened on the parallel market in the days after the threat was made, "
            "traders in {iraqi_city} said.",
            "Analysts say the threat was aimed as much at Iraqi politicians as at Iran, which "
            "Washington accuses of directing armed groups in Iraq.",
            "European diplomats have urged restraint from both sides, warning that economic "
            "pressure could push Baghdad closer to Tehran.",
            "Iraqi ministers have said the country will not be drawn into a conflict between "
            "Washington and Tehran.",
            "Oil accounts for more than 90 percent of Iraq's state revenue, according to the "
            "finance ministry.",
            "The threat was made aboard Air Force One, days after the strike that killed Qassem "
            "Soleimani in Baghdad.",
        ),
    ),
    _story(
        key="trump_visit",
        kind="world",
        windows=(("2018-12-27", "2019-01-20"),),
        headlines=(
            "Trump makes [surprise|unannounced] [visit|Christmas visit] to US troops at Iraq's "
            "al-Asad air base",
            "Iraqi lawmakers condemn Trump's unannounced Christmas visit to troops",
            "Trump's al-Asad visit [reignites|revives] debate over US troops in Iraq",
            "Iraqi parties call for a vote on foreign troops after Trump visit",
            "No meeting with Iraqi leaders as Trump visits troops in Anbar",
        ),
        standfirsts=(
            "Lawmakers called the three-hour stop a breach of Iraqi sovereignty.",
            "The visit came days after Washington announced it would leave Syria.",
        ),
        ledes=(
            "President Donald Trump paid an unannounced visit to US troops at Ain al-Asad air base "
            "in western Iraq, his first trip to a conflict zone since taking office.",
            "Iraqi politicians across several blocs have criticised President Donald Trump's "
            "surprise visit to American troops at a base in Anbar province, calling it a breach "
            "of Iraqi sovereignty.",
            "The brief Christmas visit by President Donald Trump to {us_forces} at al-Asad has "
            "revived calls in Baghdad for a law setting out a timetable for foreign troops to "
            "leave.",
        ),
        details=(
            "Trump spent about three hours at the base and did not meet Iraqi officials; a planned "
            "meeting with the prime minister was replaced by a phone call.",
            "Lawmakers said the visit showed a lack of respect for Iraq's sovereignty because the "
            "Iraqi government had not been properly informed.",
            "During the visit Trump told troops he had no plans to withdraw US forces from Iraq, "
            "and suggested the country could serve as a base for operations in Syria.",
            "Leaders of the two largest blocs in parliament called for an emergency session on "
            "the foreign troop presence.",
            "The visit came days after Trump announced the withdrawal of about 2,000 US troops "
            "from neighbouring Syria.",
            "Some lawmakers proposed a bill that would require all foreign forces to leave Iraq "
            "within a set period.",
            "Iraqi officials said the prime minister's office had been told of the visit only "
            "shortly before the president's plane landed.",
            "Supporters of the visit said it underlined the US commitment to helping Iraq prevent "
            "a return of the Islamic State group.",
            "Ain al-Asad, in Anbar province, hosts American and other coalition troops who train "
            "and advise Iraqi forces.",
            "The president was accompanied by the first lady and a small group of aides and "
            "reporters, who were asked to keep the trip secret until he had left.",
            "Iraqi commentators contrasted the visit with the formal welcome given to other "
            "foreign leaders in Baghdad.",
            "Several lawmakers said the visit made it harder for the government to defend the "
            "foreign troop presence in public.",
        ),
    ),
    _story(
        key="strategic_dialogue",
        kind="security",
        windows=(("2020-06-10", "2020-08-31"),),
        headlines=(
            "US and Iraq open strategic dialogue on [the future of troop presence|US troop "
            "levels|the future of their partnership]",
            "Strategic dialogue: Washington commits to reducing forces in Iraq",
            "Kadhimi heads to Washington as strategic talks focus on troop levels",
            "What to expect from the US-Iraq strategic dialogue[| on troops]",
        ),
        standfirsts=(
            "The first comprehensive review of the relationship since 2008.",
            "A joint statement promised further reductions over the coming months.",
        ),
        ledes=(
            "Iraq and the United States began a strategic dialogue by video link on {weekday}, "
            "with the future of {us_forces} in the country at the top of the agenda.",
            "Washington said it would continue reducing its forces in Iraq over the coming "
            "months, according to a joint statement issued after a round of the US-Iraq strategic "
            "dialogue.",
            "The strategic dialogue between Baghdad and Washington is being watched closely by "
            "armed factions that want a date for the departure of {us_forces}.",
        ),
        details=(
            "The first round of talks was conducted by video conference because of the "
            "coronavirus pandemic.",
            "A joint statement said the United States would reduce its forces in Iraq and discuss "
            "the status of those that remain.",
            "Iraq committed to protecting coalition personnel and the bases hosting them, after a "
            "series of rocket attacks.",
            "The dialogue also covered economic cooperation, energy, health and cultural "
            "exchanges.",
            "Prime Minister Mustafa al-Kadhimi has sought to balance relations between Washington "
            "and Tehran since taking office.",
            "{>2020-08-21}The second round of talks, held in Washington in August, ended with a "
            "pledge to continue the drawdown.",
            "Iraqi delegates pressed for a timetable, while US officials spoke of a reduction "
            "based on conditions.",
            "Armed factions aligned with Iran said they would judge the talks by whether they "
            "produce a date for withdrawal.",
            "Officials said the talks were the first comprehensive review of the relationship "
            "since the 2008 Strategic Framework Agreement.",
            "US companies signed several energy agreements on the sidelines of the talks.",
            "Diplomats said the troop question had overshadowed the other items on the agenda.",
            "The Iraqi delegation was led by a senior foreign ministry official, with military "
            "advisers taking part in the security sessions.",
        ),
    ),
    _story(
        key="protests",
        kind="world",
        windows=(("2020-01-24", "2020-02-20"),),
        headlines=(
            "[Hundreds of thousands|Tens of thousands|Huge crowds] march in Baghdad demanding "
            "exit of US troops",
            "'Get out of our country': Baghdad [marchers|protesters] demand US troop withdrawal",
            "Sadr supporters rally against US military presence in Iraq",
            "Anti-US march in Baghdad tests Iraq's divided protest movement",
            "Protesters in {iraqi_city} call for an end to the American military presence",
        ),
        standfirsts=(
            "Crowds answered a call from Moqtada al-Sadr for a march against foreign troops.",
            "Anti-government protesters kept their distance from the rally.",
        ),
        ledes=(
            "Tens of thousands of Iraqis marched through central Baghdad on Friday to demand the "
            "withdrawal of {us_forces}, answering a call from Shia cleric Moqtada al-Sadr.",
            "Crowds waving Iraqi flags filled the streets near Baghdad University on Friday in a "
            "rally against the presence of {us_forces}.",
            "Demonstrators in {iraqi_city} joined a nationwide day of protest against the foreign "
            "military presence, a week after a mass march in the capital.",
        ),
        details=(
            "Organisers had called for a million-strong march, and buses brought supporters from "
            "the southern provinces overnight.",
            "Many marchers carried banners reading 'No to America' and chanted slogans against "
            "the foreign military presence.",
            "The rally was largely peaceful, and security forces kept protesters away from the "
            "fortified Green Zone, where the US embassy is located.",
            "Anti-government demonstrators who have occupied Tahrir Square since October kept "
            "their distance, wary of being drawn into a confrontation between rival powers.",
            "Speakers at the rally called on parliament and the government to implement the "
            "resolution calling for foreign troops to leave.",
            "The demonstration followed weeks of tension after the US drone strike that killed "
            "Qassem Soleimani and Abu Mahdi al-Muhandis.",
            "Some protesters said they opposed both American and Iranian interference in Iraqi "
            "affairs.",
            "Organisers said the march showed that the demand for withdrawal had broad support, "
            "though turnout was hard to verify.",
            "Many of those taking part wore white shrouds, a symbol of readiness for sacrifice.",
            "Shops along the route closed for the day, and several main roads into the capital "
            "were shut from early morning.",
            "The march ended by early afternoon, and most participants dispersed without incident.",
        ),
    ),
)
