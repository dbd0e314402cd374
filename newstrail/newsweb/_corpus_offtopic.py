"""Off-topic coverage: sports, weather, local economy, technology and culture.

Places come from the publishing site (``local_city`` and ``region`` rules), so a
local paper writes about its own town and a regional site about its region.
"""

from __future__ import annotations

from ._topics import Speakers, Topic

OTHER_FIRST = (
    "Sam", "Maria", "Jamal", "Lena", "Tomasz", "Aisha", "Kevin", "Priya", "Diego", "Hannah",
    "Marcus", "Yusuf", "Elena", "Grace", "Victor", "Nadia", "Leo", "Ruth", "Tariq", "Ingrid",
)  # fmt: skip
OTHER_LAST = (
    "Okafor", "Lindgren", "Haddad", "Novak", "Reyes", "Sato", "Mensah", "Kowalski", "Farah",
    "Castillo", "Jensen", "Abbott", "Moreau", "Costa", "Nasser", "Whitfield", "Oduya", "Marsh",
)  # fmt: skip

OTHER_RULES: dict[str, tuple[str, ...]] = {
    "month": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "person": ("{ofirst} {olast}",),
    "ofirst": OTHER_FIRST,
    "olast": OTHER_LAST,
    "team_noun": ("United", "Rovers", "Athletic", "Wanderers", "Falcons", "City", "Mariners"),
    "venue_noun": ("Stadium", "Park", "Arena", "Memorial Ground"),
    "table_ordinal": ("sixth", "seventh", "ninth", "eleventh", "twelfth", "fourteenth"),
    "edition_ordinal": ("tenth", "twelfth", "fifteenth", "twentieth", "twenty-fifth"),
    "small_ordinal": ("second", "third", "fourth"),
    "company": (
        "Northfield Components",
        "Brightwater Foods",
        "Keystone Packaging",
        "Alder & Finch",
        "Silverline Textiles",
        "Crestmark Tools",
        "Bluepeak Logistics",
    ),
    "product": (
        "kitchen appliances",
        "bicycle parts",
        "packaging materials",
        "solar panel frames",
        "medical supplies",
        "office furniture",
    ),
    "export_good": ("grain", "timber", "machinery", "fruit", "steel products"),
    "local_college": ("the {city} business school", "{city} State University"),
    "tech_company": ("Lumio", "Vantrix", "Quillon", "Brightlane", "Nexora", "Halcyon", "Orbitel"),
    "gadget_line": ("Air", "Pro", "One", "Edge", "Note", "Flip"),
    "storage": ("128", "256", "512"),
    "startup": (
        "Parcelly",
        "Fieldnote",
        "Kitchenly",
        "GreenRoute",
        "Tutorbee",
        "Stackwise",
        "Homebase",
    ),
    "problem": (
        "food waste",
        "school timetabling",
        "last-mile delivery",
        "home energy bills",
        "booking tradespeople",
        "small-business bookkeeping",
    ),
    "museum_name": (
        "{city} Museum of Art",
        "{city} City Gallery",
        "Riverside Gallery",
        "{city} History Museum",
        "Old Customs House Gallery",
    ),
    "exhibit_theme": (
        "the history of the city's harbour",
        "a century of photography",
        "textile traditions",
        "modern ceramics",
        "maps and mapmakers",
        "the art of the printed poster",
    ),
    "decade": ("1970s", "1980s", "1990s"),
    "festival_name": (
        "the {city} Summer Festival",
        "the {city} Film Festival",
        "the Riverside Music Weekend",
        "the {city} Jazz Days",
        "the Harbour Lights festival",
    ),
    "band_name": ("The Night Ferries", "Copper Lantern", "Marigold Avenue", "The Static Hours"),
    "park_name": ("{city} Park", "the riverside park", "the old fairground"),
}

_LOCALS = Speakers(
    OTHER_FIRST,
    OTHER_LAST,
    roles=(
        "a resident of {city}",
        "the owner of a bakery in {city}",
        "a commuter from {city2}",
        "a retired nurse who has lived in {city} for decades",
    ),
)


def _people(*roles: str) -> Speakers:
    return Speakers(OTHER_FIRST, OTHER_LAST, roles=roles)


_CITIES = (("city", "{local_city}"), ("city2", "{local_city}"))
_ANY_DATE = (("2018-06-01", "2020-12-15"),)

SPORTS = Topic(
    key="football",
    label="off_topic",
    kind="sports",
    windows=(
        ("2018-08-10", "2019-05-20"),
        ("2019-08-09", "2020-03-10"),
        ("2020-06-15", "2020-12-15"),
    ),
    bind=(
        *_CITIES,
        ("team", "{city} {team_noun}"),
        ("rival", "{city2} {team_noun}"),
        ("stadium", "{city} {venue_noun}"),
        ("player", "{person}"),
        ("player2", "{person}"),
        ("goals_w", "{=2-4}"),
        ("goals_l", "{=0-1}"),
    ),
    headlines=(
        "{team} beat {rival} {goals_w}-{goals_l} to climb the table",
        "Late goal gives {team} victory over {rival}",
        "{team} coach praises young squad after win against {rival}",
        "{rival} slump continues with defeat at {team}",
        "Derby day: {team} edge past {rival} in front of {#4000-30000} fans",
        "Injury worries for {team} despite win over {rival}",
    ),
    standfirsts=(
        "A second-half comeback lifted {team} in the standings.",
        "The result leaves {rival} without a win in {#3-6} matches.",
    ),
    ledes=(
        "{team} came from behind to beat {rival} {goals_w}-{goals_l} on {weekday}, extending "
        "their unbeaten run to {#3-9} matches.",
        "A late goal from substitute {player} gave {team} a {goals_w}-{goals_l} win over {rival} "
        "in front of a crowd of {#4000-30000} at {stadium}.",
        "{team} moved to within {#1-6} points of the top of the table after a "
        "{goals_w}-{goals_l} victory against {rival} on {weekday} night.",
    ),
    details=(
        "{rival} started brightly and went ahead after {#5-30} minutes when their striker headed "
        "in a corner at the near post.",
        "The home side equalised shortly before half-time through a low shot from the edge of the "
        "area.",
        "{player}, who joined the club from {rival} last summer, was booed by the visiting "
        "supporters throughout.",
        "The winning goal came with {#2-9} minutes of normal time remaining, after a quick "
        "counter-attack down the left.",
        "{rival} had a goal ruled out for offside early in the second half, a decision their bench "
        "disputed.",
        "The {team} goalkeeper made {#3-7} saves, including a diving stop from a free kick in "
        "stoppage time.",
        "Attendance at {stadium} has risen by {#5-25} percent this season, according to the club.",
        "The result leaves {rival} in {table_ordinal} place, {#2-10} points outside the promotion "
        "places.",
        "{team} have now won {#4-8} of their last {#9-12} home matches.",
        "Both sides were without key players because of injuries, and {rival} were also missing "
        "their suspended captain.",
        "The two clubs meet again in the cup next month.",
        "Visiting fans were held back for {#10-30} minutes after the final whistle as a "
        "precaution.",
        "Young midfielder {player2} was named player of the match after covering more ground than "
        "anyone on the pitch.",
        "The club's new training ground, which opened in the spring, has been credited with "
        "reducing injuries.",
        "Ticket prices for the next home game have been frozen, the club announced.",
        "The league, founded in {=1920-1975}, has {#12-20} member clubs and a growing television "
        "audience.",
    ),
    background=(),
    quotes_a=(
        "I told the players at half-time that we had not started yet, and they responded.",
        "The crowd pushed us forward in the last twenty minutes. That goal belongs to them as "
        "well.",
        "We are not getting carried away. It is three points and we move on to the next one.",
        "The young players showed real character today.",
        "We worked hard on set pieces all week, and it paid off.",
    ),
    quotes_b=(
        "We were the better side for an hour and we have nothing to show for it.",
        "Decisions like that change games, but we cannot hide behind the referee.",
        "We need to be more clinical. We had enough chances to win two matches.",
        "It is a long season and we will recover.",
    ),
    speakers_a=_people("the {team} head coach", "the {team} captain", "a {team} defender"),
    speakers_b=_people("the {rival} manager", "a {rival} midfielder"),
    outlooks=(
        "{team} play their next match away from home on {weekday}.",
        "{rival} host the league leaders next weekend.",
        "Tickets for the cup tie go on sale on {weekday}.",
    ),
    captions=(
        "{team} players celebrate at {stadium} (Staff photo)",
        "Supporters at {stadium} (Photo: club handout)",
    ),
)

STORM = Topic(
    key="weather_storm",
    label="off_topic",
    kind="weather",
    windows=(
        ("2018-09-15", "2019-04-15"),
        ("2019-09-15", "2020-04-15"),
        ("2020-09-15", "2020-12-15"),
    ),
    bind=_CITIES,
    headlines=(
        "Storm brings flooding and power cuts to {city}",
        "Heavy rain causes travel chaos across {region}",
        "{city} cleans up after overnight storm",
        "Flood warnings issued as rivers rise near {city}",
        "Storm leaves {#200-4000} homes without power in {city}",
    ),
    standfirsts=(
        "Crews worked through the night to clear roads and restore power.",
        "More rain is forecast for the weekend.",
    ),
    ledes=(
        "Heavy rain and strong winds swept across {region} overnight, flooding roads in {city} and "
        "leaving thousands of homes without electricity.",
        "Emergency crews in {city} spent {weekday} clearing fallen trees and pumping water from "
        "basements after the heaviest rainfall in {#5-30} years.",
        "Forecasters have issued flood warnings for low-lying areas around {city} as rivers "
        "continue to rise after days of rain.",
    ),
    details=(
        "The weather service recorded {#40-120} millimetres of rain in {#12-36} hours at its "
        "station near the airport.",
        "Gusts of up to {#70-120} kilometres per hour brought down power lines in several "
        "neighbourhoods.",
        "Schools in {city2} stayed closed on {weekday} as a precaution.",
        "The utility company said crews were working to restore power and expected most customers "
        "to be reconnected by the evening.",
        "Several roads remained closed because of standing water, and commuters were advised to "
        "use public transport.",
        "Firefighters rescued {#3-20} people from vehicles trapped in flooded underpasses.",
        "The river reached {.25-60} metres at the gauge downstream, close to the level at which "
        "homes are at risk.",
        "Volunteers filled sandbags at a depot set up by the city council.",
        "Train services were suspended on two lines after debris was found on the tracks.",
        "Insurers said it was too early to estimate the cost of the damage.",
        "Farmers outside the city reported damage to crops and fencing.",
        "It was the {small_ordinal} major storm to hit the region this season.",
        "Residents were urged not to walk or drive through flood water.",
        "The city's drainage system, parts of which are more than a century old, struggled to cope "
        "with the volume of water.",
    ),
    background=(),
    quotes_a=(
        "We have not seen rainfall totals like this in a generation.",
        "Our crews worked through the night and will keep working until every road is clear.",
        "The message is simple: stay away from flood water. It is deeper and faster than it looks.",
        "The ground is saturated, so even moderate rain in the next few days could cause problems.",
    ),
    quotes_b=(
        "The water came up through the floor in about twenty minutes. We just grabbed what we "
        "could.",
        "We lost power at midnight and it is still off.",
        "Everyone on the street came out to help. That is what you do.",
        "I have lived here thirty years and never seen the road like that.",
    ),
    speakers_a=_people(
        "a meteorologist at the regional weather service",
        "the city's emergency management director",
        "a spokesperson for the fire department",
    ),
    speakers_b=_LOCALS,
    outlooks=(
        "More rain is forecast for the weekend, though forecasters expect it to be lighter.",
        "The council will assess the damage and decide on repairs next week.",
        "Drier weather is expected from {weekday}.",
    ),
    captions=("Flooded street in {city} (Staff photo)", "A fallen tree blocks a road in {city2}"),
)

HEAT = Topic(
    key="weather_heat",
    label="off_topic",
    kind="weather",
    windows=(
        ("2018-06-10", "2018-09-10"),
        ("2019-06-10", "2019-09-10"),
        ("2020-06-10", "2020-09-10"),
    ),
    bind=_CITIES,
    headlines=(
        "Heatwave pushes temperatures above {#38-46} degrees in {city}",
        "{city} opens cooling centres as heatwave continues",
        "Record heat strains power grid across {region}",
        "Water restrictions announced as drought hits {region}",
    ),
    standfirsts=(
        "Officials urge residents to check on elderly neighbours.",
        "Reservoir levels are at their lowest in years.",
    ),
    ledes=(
        "Temperatures in {city} climbed to {#38-46} degrees Celsius on {weekday}, the highest "
        "reading for the month since records began, as a heatwave tightened its grip on {region}.",
        "Authorities in {city} have opened cooling centres and extended library opening hours as a "
        "heatwave forecast to last at least {#4-9} days sets in.",
        "A prolonged dry spell has prompted water restrictions in {city} and surrounding towns, "
        "with reservoir levels at their lowest in {#10-40} years.",
    ),
    details=(
        "The weather service said overnight temperatures would stay above {#24-31} degrees, giving "
        "little relief.",
        "Hospitals reported a rise in patients treated for heat exhaustion, most of them elderly.",
        "Electricity demand reached a record on {weekday} afternoon as air conditioners ran at "
        "full power.",
        "The grid operator asked households to limit the use of large appliances in the early "
        "evening.",
        "Outdoor workers were advised to take frequent breaks and drink water regularly.",
        "Reservoirs serving {city} are at {#30-55} percent of capacity, compared with an average "
        "of {#65-80} percent for the time of year.",
        "Watering gardens with hoses has been banned until further notice.",
        "Firefighters tackled several grass fires on the outskirts of {city2}.",
        "Public swimming pools extended their hours, and some stayed open until late at night.",
        "Farmers said the heat arrived at a critical time for crops.",
        "Zoo keepers gave animals frozen treats and sprayed enclosures with water.",
        "The city council said it would review its heat plan once the current spell had passed.",
        "Road surfaces softened in the heat, and some buses ran without air conditioning.",
    ),
    background=(),
    quotes_a=(
        "Heat is a silent danger. People underestimate it until it is too late.",
        "Check on elderly neighbours and anyone living alone.",
        "We are asking everyone to use water wisely so that supplies last through the summer.",
        "These conditions are becoming more frequent, and we need to plan for them.",
    ),
    quotes_b=(
        "You cannot sleep at night. The apartment never cools down.",
        "We come to the library because it is the only place with air conditioning.",
        "Business is slow. Nobody wants to walk around in this heat.",
        "The garden is finished for this year.",
    ),
    speakers_a=_people(
        "a meteorologist at the regional weather service",
        "a public health official in {city}",
        "a spokesperson for the water utility",
    ),
    speakers_b=_LOCALS,
    outlooks=(
        "Cooler air is expected to arrive by the end of the week.",
        "Restrictions will remain in place until reservoir levels recover.",
    ),
    captions=("Children play in a fountain in {city} (Staff photo)",),
)

ECONOMY = Topic(
    key="local_economy",
    label="off_topic",
    kind="economy",
    windows=_ANY_DATE,
    bind=(*_CITIES, ("firm", "{company}")),
    headlines=(
        "{firm} to open a new plant in {city}, creating {#80-600} jobs",
        "Small businesses in {city} struggle with rising rents",
        "{city} house prices rise {.15-120} percent in a year",
        "Downtown {city} retailers report a strong holiday season",
        "Port of {city} handles record cargo volumes",
        "{firm} announces {#40-300} job cuts at {city} factory",
    ),
    standfirsts=(
        "Local officials welcomed the news but unions want guarantees.",
        "The chamber of commerce is calling for lower business rates.",
    ),
    ledes=(
        "{firm}, a maker of {product}, will open a new plant in {city} next year, creating "
        "{#80-600} jobs, the company said on {weekday}.",
        "Shop owners in central {city} say rising rents and falling footfall are forcing them to "
        "reconsider their future on the high street.",
        "House prices in {city} rose {.15-120} percent over the past year, according to figures "
        "from the regional property association, outpacing wage growth.",
        "The port of {city} handled a record volume of cargo last quarter, driven by exports of "
        "{export_good}.",
    ),
    details=(
        "{firm} said the site was chosen because of its transport links and the availability of "
        "skilled workers.",
        "Local officials offered a package of tax incentives worth {#1-9} million over ten years.",
        "Average rents for shop units in the centre have risen by {#8-30} percent in three years, "
        "according to a survey by the chamber of commerce.",
        "Several long-established stores on Main Street have closed since the start of the year.",
        "The median price of a family home in {city} has climbed to a record, pricing many "
        "first-time buyers out of the market.",
        "Unemployment in the county fell to {.28-65} percent last month, the lowest rate in a "
        "decade.",
        "Construction of new homes has not kept pace with demand, according to the planning "
        "department.",
        "Retailers said online competition and parking charges had reduced the number of shoppers "
        "in the centre.",
        "The chamber of commerce has asked the council to cut business rates for independent "
        "shops.",
        "The plant will be built on a former industrial site on the edge of {city}.",
        "Training courses for new staff will be run with {local_college}.",
        "Exports through the port have grown for {#3-7} consecutive quarters.",
        "Higher interest rates have started to cool demand in the housing market, estate agents "
        "said.",
        "A weekly farmers market launched this year has drawn more visitors to the town square.",
        "Trade unions welcomed the investment but said they would seek guarantees on wages and "
        "conditions.",
    ),
    background=(),
    quotes_a=(
        "This investment shows confidence in the people of this region.",
        "Independent shops are the heart of the town, but the numbers have to add up.",
        "Demand is strong, but supply has not kept up, and that pushes prices higher.",
        "We want to grow here, and we need the right conditions to do it.",
        "The local economy is doing well overall, but the gains are not evenly shared.",
    ),
    quotes_b=(
        "We have been here for twenty years, and this is the hardest it has been.",
        "We saved for five years and still could not compete with other buyers.",
        "New jobs are welcome, as long as they are good jobs.",
        "People are still buying, but they are more careful than before.",
    ),
    speakers_a=_people(
        "the chief executive of {firm}",
        "the president of the {city} chamber of commerce",
        "an economist at {local_college}",
    ),
    speakers_b=_people(
        "the owner of a hardware store in {city}",
        "a first-time buyer from {city}",
        "a local estate agent",
        "a union representative in {city2}",
    ),
    outlooks=(
        "Construction is expected to begin in the spring.",
        "The council will debate the proposals at its next meeting.",
        "The property association will publish its next quarterly report in {month}.",
    ),
    captions=("Main Street in {city} (Staff photo)", "The port of {city} (File photo)"),
)

GADGET = Topic(
    key="tech_gadget",
    label="off_topic",
    kind="tech",
    windows=_ANY_DATE,
    bind=(("maker", "{tech_company}"), ("gadget", "{maker} {gadget_line} {#3-9}")),
    headlines=(
        "{maker} unveils the {gadget} with longer battery life",
        "Review: the {gadget} is fast, light and expensive",
        "{maker} bets on foldable screens with the {gadget}",
        "Hands on with the {gadget}: a better camera, a familiar design",
        "{maker} cuts prices of older phones ahead of the {gadget} launch",
    ),
    standfirsts=(
        "A better camera and battery, at a higher price.",
        "The company hopes the new model will revive slowing sales.",
    ),
    ledes=(
        "{maker} on {weekday} unveiled the {gadget}, promising a battery that lasts up to two days "
        "and a camera designed for low light.",
        "The {gadget} is the most polished device {maker} has made, but its price will give many "
        "buyers pause.",
        "{maker} is betting that shoppers are ready to pay more for a phone that folds, as it "
        "launches the {gadget} in {#8-30} countries.",
    ),
    details=(
        "The device has a {.58-69}-inch display with a faster refresh rate than its predecessor.",
        "Prices start at {#399-1299} dollars for the base model with {storage} gigabytes of "
        "storage.",
        "The company says the new processor is {#15-40} percent faster and uses less power.",
        "In our tests the battery lasted a full day of heavy use with plenty to spare.",
        "The camera produces sharp images in daylight, though photos taken at night can look "
        "over-processed.",
        "The phone is slightly heavier than last year's model because of the larger battery.",
        "Fast charging takes the battery to half capacity in about {#15-30} minutes.",
        "The software includes a simplified settings menu and longer security support.",
        "Analysts expect {maker} to ship {#5-30} million units in the first year.",
        "Pre-orders open on {weekday}, with the device arriving in shops the following week.",
        "The company has dropped the headphone jack, a decision likely to irritate some users.",
        "Repair specialists said the new design should make it easier to replace the battery.",
        "Competition in the mid-range market has intensified as prices of premium phones continue "
        "to climb.",
    ),
    background=(),
    quotes_a=(
        "We listened to customers, and the number one request was battery life.",
        "Our goal was to make the most advanced features feel simple.",
        "Foldable devices are where the industry is heading, and we want to lead.",
        "Every component was redesigned to make the phone more durable.",
    ),
    quotes_b=(
        "It is a solid upgrade, but not a reason to replace a phone that is only a year old.",
        "The price is the real story here. Buyers are starting to push back.",
        "The camera improvements are real, but the competition has caught up.",
        "Sales of smartphones have slowed, so every launch matters more than it used to.",
    ),
    speakers_a=_people("a product manager at {maker}", "{maker}'s head of design"),
    speakers_b=_people(
        "a technology analyst at a market research firm",
        "a reviewer at a consumer technology magazine",
    ),
    outlooks=(
        "The device goes on sale later this month.",
        "A cheaper version is expected early next year.",
    ),
    captions=("The {gadget} (Company handout)",),
)

STARTUP = Topic(
    key="tech_startup",
    label="off_topic",
    kind="business",
    windows=_ANY_DATE,
    bind=(*_CITIES, ("firm", "{startup}"), ("raised", "{#2-40}")),
    headlines=(
        "{city} start-up {firm} raises {raised} million to expand",
        "{firm} wants to fix {problem} with an app",
        "Investors back {firm} as {city} tech scene grows",
        "{firm} to double staff after funding round",
    ),
    standfirsts=(
        "The company plans to hire engineers and open in more cities.",
        "Founders say they want to stay in {city}.",
    ),
    ledes=(
        "{firm}, a start-up based in {city} that works on {problem}, has raised {raised} million "
        "in new funding, its founders said on {weekday}.",
        "A young company from {city} that promises to make {problem} simpler has closed a funding "
        "round of {raised} million, one of the largest in the region this year.",
    ),
    details=(
        "The funding round was led by a venture capital firm and included several angel investors "
        "from the region.",
        "{firm} plans to use the money to hire engineers and expand to {#2-6} more cities.",
        "Founded {#2-5} years ago in a shared office above a shop, the company now employs "
        "{#20-150} people.",
        "The app has been downloaded more than {#50000-900000} times, according to the company.",
        "Investors have become more cautious this year, and many start-ups have struggled to "
        "raise money.",
        "The company says it has not yet turned a profit but expects to do so within {#2-3} years.",
        "Several former employees of larger technology companies have joined the firm in recent "
        "months.",
        "Office space in the old warehouse district of {city} has been converted for technology "
        "firms.",
        "The founders met as students at {local_college}.",
        "Customers pay a monthly subscription, with a free version that has fewer features.",
        "The company was part of a local accelerator programme that offers mentoring and a small "
        "initial investment.",
        "Rivals in larger cities have raised far bigger sums, but the founders say they prefer to "
        "grow slowly.",
    ),
    background=(),
    quotes_a=(
        "We started with a simple idea and a lot of spreadsheets.",
        "The money lets us hire the people we need to grow properly.",
        "We want to build the company here, not move to a bigger city.",
        "Our customers told us what they needed, and we built it.",
    ),
    quotes_b=(
        "There is real talent in this region, and investors are starting to notice.",
        "The hard part is not raising money but turning it into a sustainable business.",
        "The ecosystem here is small but growing fast.",
        "Founders need patient capital, and that is still rare.",
    ),
    speakers_a=_people("a co-founder of {firm}", "{firm}'s chief executive"),
    speakers_b=_people(
        "a venture capital investor in the region",
        "the director of a business incubator in {city}",
    ),
    outlooks=(
        "The company expects to launch in two new cities before the end of the year.",
        "Hiring for the new roles begins next month.",
    ),
    captions=("The {firm} team at their office in {city} (Company handout)",),
)

EXHIBITION = Topic(
    key="culture_exhibition",
    label="off_topic",
    kind="culture",
    windows=_ANY_DATE,
    bind=(*_CITIES, ("museum", "{museum_name}"), ("artist", "{person}")),
    headlines=(
        "New exhibition at the {museum} explores {exhibit_theme}",
        "{museum} reopens after {#2-3}-year renovation",
        "Review: {artist}'s paintings light up the {museum}",
        "Rare manuscripts go on display in {city}",
    ),
    standfirsts=(
        "Many of the works are shown in public for the first time.",
        "A programme of talks and workshops accompanies the show.",
    ),
    ledes=(
        "A new exhibition at the {museum} brings together more than {#60-250} works exploring "
        "{exhibit_theme}, many of them shown in public for the first time.",
        "After years of renovation, the {museum} reopened its doors on {weekday} with new "
        "galleries, a rooftop cafe and a larger space for temporary exhibitions.",
        "The paintings of {artist}, a local artist who worked in relative obscurity for decades, "
        "are the subject of a retrospective at the {museum}.",
    ),
    details=(
        "The exhibition is arranged in {#4-8} rooms and moves roughly chronologically.",
        "Several pieces were lent by private collectors and have rarely been seen in public.",
        "Admission is free for visitors under 18, and the museum is open late on {weekday}s.",
        "The renovation cost {#4-30} million and was funded partly by donations from local "
        "families and businesses.",
        "Curators spent two years tracing works that had been scattered across collections in "
        "several countries.",
        "A programme of talks, workshops and family activities accompanies the exhibition.",
        "The museum expects more than {#20000-120000} visitors before the show closes.",
        "Labels are written in plain language, and an audio guide is available in {#3-8} "
        "languages.",
        "The final room is given over to work by young artists responding to the collection.",
        "Critics have praised the lighting, which allows the colours of the older works to be "
        "seen as intended.",
        "Some visitors have complained about queues at weekends, and the museum has introduced "
        "timed tickets.",
        "A catalogue with essays by historians and curators is on sale in the museum shop.",
        "The building, a former warehouse, was converted into a gallery in the {decade}.",
    ),
    background=(),
    quotes_a=(
        "We wanted to show how much this city has to be proud of.",
        "Some of these works have not left storage in fifty years.",
        "A museum should be a place where everyone feels welcome.",
        "The story we tell here is about people as much as objects.",
    ),
    quotes_b=(
        "I have lived here all my life and learned things I never knew.",
        "The children loved the interactive rooms.",
        "It is worth going twice. There is too much to see in one visit.",
        "I came for one painting and stayed for three hours.",
    ),
    speakers_a=_people("the director of the {museum}", "the curator of the exhibition"),
    speakers_b=_people(
        "a visitor from {city2}",
        "an art student from {city}",
        "a retired teacher who visited with her grandchildren",
    ),
    outlooks=(
        "The exhibition runs until the end of {month}.",
        "Tickets can be booked online or at the door.",
    ),
    captions=("Visitors at the {museum} (Staff photo)",),
)

FESTIVAL = Topic(
    key="culture_festival",
    label="off_topic",
    kind="culture",
    windows=(
        ("2018-06-01", "2018-10-15"),
        ("2019-06-01", "2019-10-15"),
        ("2020-07-01", "2020-10-15"),
    ),
    bind=(
        *_CITIES,
        ("festival", "{festival_name}"),
        ("band", "{band_name}"),
        ("park", "{park_name}"),
    ),
    headlines=(
        "{festival} returns with a packed programme",
        "Thousands turn out for {festival}",
        "Review: {band} play a triumphant homecoming show",
        "Open-air concerts bring crowds back to {park}",
    ),
    standfirsts=(
        "Organisers say ticket sales are up on last year.",
        "Local acts share the bill with performers from abroad.",
    ),
    ledes=(
        "{festival} opened on {weekday} with more than {#40-200} events spread across {#6-20} "
        "venues, from concert halls to car parks.",
        "Thousands of people filled {park} on {weekday} evening as {festival} returned for its "
        "{edition_ordinal} edition.",
        "{band}, who formed in {city} {#5-15} years ago, played to a sold-out crowd at their first "
        "hometown concert since releasing a new album.",
    ),
    details=(
        "The programme includes local acts alongside performers from {#6-20} countries.",
        "Organisers said ticket sales were up {#10-40} percent on last year.",
        "Food stalls run by local restaurants lined the path to the main stage.",
        "Extra late-night buses were laid on to help people get home.",
        "The opening night featured a new commission by a young composer from the region.",
        "Several screenings are free, and there is a strand of films for children.",
        "Volunteers, many of them students, help run the event each year.",
        "Rain on the second day did little to dampen the crowd.",
        "{band} played songs from all {#3-6} of their albums, finishing with the single that made "
        "their name.",
        "Local businesses say the festival brings a welcome boost in trade.",
        "Tickets for the closing concert sold out within hours.",
        "The event is funded by the city council, local sponsors and ticket sales.",
        "Neighbours have raised concerns about noise, and organisers agreed to end the outdoor "
        "stages by 11pm.",
    ),
    background=(),
    quotes_a=(
        "We wanted a programme where everyone could find something.",
        "Playing at home is different. You see faces you know in the crowd.",
        "The energy this year has been incredible.",
        "We are proud that so many local artists are part of the line-up.",
    ),
    quotes_b=(
        "It is the best weekend of the year in this town.",
        "We come every year with the whole family.",
        "The atmosphere was amazing, even in the rain.",
        "I discovered three new bands I had never heard of.",
    ),
    speakers_a=_people(
        "the director of {festival}", "a member of {band}", "the festival's programme director"
    ),
    speakers_b=_people(
        "a festival-goer from {city2}", "a stall holder at the festival", "a student from {city}"
    ),
    outlooks=(
        "The festival continues until {weekday}.",
        "Next year's dates will be announced in the autumn.",
    ),
    captions=("The crowd at {park} (Staff photo)", "{band} on stage in {city}"),
)

OFF_TOPICS: tuple[Topic, ...] = (
    SPORTS,
    STORM,
    HEAT,
    ECONOMY,
    GADGET,
    STARTUP,
    EXHIBITION,
    FESTIVAL,
)
