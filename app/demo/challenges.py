"""Demo challenges for `flask demo load` (app.demo runs `load_challenges`): ten fictional
challenges in Danish, Norwegian, Swedish and English, one in every lifecycle state, inspired by
real municipal problems. Timelines are relative to the moment of loading, so "open now" and
"closing within days" stay true on the day the demo is loaded.

The history is made the way the site makes it: the lifecycle module records every step
(published, opened and closed by the clock, judging, results, archived, cancelled) at the time
it would have happened. Followers are added last, and the loader (app.demo) takes back
whatever email the made-up past queued, so loading the demo sends no email. Find-or-create by slug: loading twice adds nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import select

from app.accounts.models import User
from app.challenges import lifecycle
from app.challenges.models import (
    Announcement,
    Challenge,
    ChallengeSDG,
    ChallengeState,
    ChangeLogEntry,
    Criterion,
    Follow,
    Question,
    QuestionStatus,
    Tag,
)
from app.db import db
from app.organisations.models import Role

if TYPE_CHECKING:
    from app.demo import DemoContext

S = ChallengeState


@dataclass(frozen=True)
class DemoCriterion:
    name: str
    description: str
    weight: int
    anchors: dict[str, str]
    scale: tuple[int, int] = (1, 5)


@dataclass(frozen=True)
class DemoQuestion:
    asker: str
    body: str
    answer: str | None = None  # None: still waiting
    declined: str | None = None  # a reason: declined
    days_ago: int = 5


@dataclass(frozen=True)
class DemoChallenge:
    org: str
    slug: str
    title: str
    language: str
    summary: str
    problem_md: str
    background_md: str
    tags: tuple[tuple[str, str], ...]
    sdgs: tuple[int, ...]
    prize_major: int
    currency: str
    split: tuple[int, ...]
    eligibility: tuple[str, ...]
    criteria: tuple[DemoCriterion, ...]
    state: ChallengeState
    # Days from the moment of loading; local times of day in the organisation's zone.
    opens: int
    deadline: int
    judging_ends: int
    results: int
    max_team_size: int = 5
    published: int | None = None  # default: a week before opening
    ended: int | None = None  # when it was archived or cancelled
    cancel_reason: str | None = None
    questions: tuple[DemoQuestion, ...] = ()
    announcements: tuple[tuple[str, str, int], ...] = ()  # title, Markdown body, days ago
    deadline_moved_from: int | None = None  # a public change-log entry: the old deadline
    change_reason: str = ""
    followers: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def _anchors(low: str, mid: str, high: str) -> dict[str, str]:
    return {"1": low, "3": mid, "5": high}


DEMO_CHALLENGES: tuple[DemoChallenge, ...] = (
    # ------------------------------------------------------------------ open now (Danish)
    DemoChallenge(
        org="aarhusby", slug="mindre-pap-i-papircontaineren", language="da", state=S.OPEN,
        title="Mindre pap i papircontaineren",
        summary="Borgerne lægger pap i papircontaineren, og så kan papiret ikke genanvendes. Hjælp os med "
                "en løsning, der gør det let at sortere rigtigt ved kilden.",
        problem_md="""Siden Aarhusby Kommune indførte fire-kammer-beholdere i 2024, er mængden af sorteret papir
steget. Men ved stikprøver i 2025 var **hver femte papircontainer forurenet med pap**: æsker fra
netbutikker, pizzabakker og mælkekartoner. Når et læs er forurenet, må genbrugsstationen sortere
det om i hånden eller sende det til forbrænding.

Vi leder efter idéer, der får borgerne til at sortere rigtigt **før** affaldet lander i
beholderen. Det kan være information, design af beholdere eller emballage, digitale værktøjer,
nudging i opgangen eller samarbejde med butikker og netbutikker.

Jeres forslag skal:

- virke for både parcelhuse og etageboliger,
- kunne afprøves i et boligområde med ca. 800 husstande i foråret,
- være til at forstå for borgere, der ikke læser dansk flydende.
""",
        background_md="""## Det ved vi allerede

- Pap fylder meget, og mange borgere tror, at "papir og pap" hører sammen, fordi det var sådan
  før 2024.
- I etageboliger står beholderne i fælles gårde, hvor ingen føler sig ansvarlige.
- Renovationsselskabet kan levere data om forurening pr. rute og måned.

Kommunen stiller en kontaktperson fra Teknik og Miljø til rådighed under hele forløbet, og
vinderne får mulighed for at afprøve deres idé sammen med renovationsselskabet.
""",
        tags=(("affald", "Affald"), ("genbrug", "Genbrug"), ("adfaerd", "Adfærd")), sdgs=(11, 12),
        prize_major=50_000, currency="DKK", split=(60, 30, 10), eligibility=("student", "young_professional"),
        criteria=(
            DemoCriterion("Effekt", "Hvor meget vil løsningen mindske forkert sortering?", 40,
                          _anchors("Ingen målbar effekt", "Mindre forurening i nogle områder",
                                   "Tydelig og målbar effekt overalt")),
            DemoCriterion("Gennemførlighed", "Kan kommunen afprøve løsningen inden for et halvt år?", 30,
                          _anchors("Urealistisk", "Muligt med ekstra midler", "Kan afprøves med det samme")),
            DemoCriterion("Borgervenlighed", "Er løsningen let at forstå og bruge for alle borgere?", 30,
                          _anchors("Svær at forstå", "Forståelig for de fleste", "Intuitiv for alle")),
        ),
        opens=-10, deadline=25, judging_ends=40, results=47,
        questions=(
            DemoQuestion("freja", "Må vi bruge renovationsselskabets data om forurening i vores forslag?",
                         "Ja. Skriv til kontaktpersonen, så sender vi et datasæt med forurening pr. rute og "
                         "måned for 2025. Data er anonymiseret.", days_ago=8),
            DemoQuestion("noah", "Kan en virksomhed med tre ansatte deltage, eller er det kun for studerende?",
                         "Udfordringen er for studerende og unge fagfolk. Har I en startup, er I velkomne som "
                         "en del af et hold med mindst én studerende.", days_ago=6),
            DemoQuestion("sam", "Will you accept concepts written in English?", days_ago=1),
        ),
        announcements=(("Informationsmøde den 12. kl. 16", "Vi holder et **online informationsmøde**, hvor "
                        "affaldsplanlæggeren fortæller om de nye beholdere. Linket kommer i en mail til alle, "
                        "der følger udfordringen.", 4),),
        followers=("freja", "noah", "sam"),
    ),
    # ------------------------------------------------------------------ closing within days (Norwegian)
    DemoChallenge(
        org="fjordvik", slug="mindre-ensomhet-blant-eldre", language="nb", state=S.OPEN,
        title="Mindre ensomhet blant eldre i Fjordvik",
        summary="Hver tredje innbygger over 75 år i Fjordvik sier at de ofte føler seg ensomme. Vi søker "
                "idéer som skaper nye møteplasser og vennskap på tvers av generasjoner.",
        problem_md="""Fjordvik er en kommune med lange avstander og mange som bor alene. I folkehelseundersøkelsen
for 2025 svarte **31 prosent av innbyggerne over 75 år** at de ofte eller svært ofte føler seg
ensomme. Mange har sluttet å kjøre bil, bussen går sjelden, og vinteren er mørk og lang.

Vi ønsker løsninger som gjør det enklere for eldre å treffe andre mennesker jevnlig – og som
ikke forutsetter at de er vante med smarttelefon. Tenk gjerne på samarbeid med skoler,
frivillige lag, hurtigbåten, butikken eller kirken.

Forslaget bør:

- kunne drives videre av frivillige eller kommunen etter et prøveår,
- nå eldre som ikke allerede deltar i aktiviteter,
- kunne måles, for eksempel med en kort spørreundersøkelse før og etter.
""",
        background_md="""## Om kommunen

Fjordvik har 9 400 innbyggere fordelt på seks bygder. Kommunen har to eldresentre, et aktivt
frivillighetsentral og en hurtigbåtrute som går fire ganger daglig. Helse- og omsorgsetaten
stiller med to fagpersoner som kan intervjues av deltakerne.
""",
        tags=(("eldre", "Eldre"), ("folkehelse", "Folkehelse"), ("frivillighet", "Frivillighet")),
        sdgs=(3, 10, 11), prize_major=75_000, currency="NOK", split=(70, 30), eligibility=("anyone",),
        criteria=(
            DemoCriterion("Treffsikkerhet", "Når løsningen de eldre som er mest ensomme?", 35,
                          _anchors("Nei", "Delvis", "Ja, og den forklarer hvordan")),
            DemoCriterion("Bærekraft over tid", "Kan løsningen leve videre etter prøveåret?", 35,
                          _anchors("Avhenger av prosjektmidler", "Mulig med noe støtte", "Klar plan for drift")),
            DemoCriterion("Nyskaping", "Er dette noe nytt for Fjordvik?", 30,
                          _anchors("Finnes allerede", "En ny vri", "Helt nytt")),
        ),
        opens=-30, deadline=3, judging_ends=20, results=28,
        deadline_moved_from=-4,
        change_reason="Flere eldresentre ba om mer tid til å samle innspill fra brukerne, så vi forlenger "
                      "fristen med en uke.",
        questions=(
            DemoQuestion("lars", "Kan vi intervjue beboere på eldresentrene før vi leverer?",
                         "Ja, men avtal det med senterlederen først. Kontaktinformasjon står i vedlegget om "
                         "eldresentrene.", days_ago=20),
            DemoQuestion("astrid", "Får vi vite hvor mange eldre som bor alene i hver bygd?",
                         "Ja: tallene fra SSB for 2025 er lagt ut som vedlegg. Små bygder er slått sammen for "
                         "å verne personvernet.", days_ago=15),
        ),
        announcements=(("Fristen er forlenget", "Innleveringsfristen er flyttet **én uke**. Se endringsloggen "
                        "nedenfor.", 10),),
        followers=("lars", "astrid", "sam"),
    ),
    # ------------------------------------------------------------------ judging (Swedish)
    DemoChallenge(
        org="sjostad", slug="fran-skolbank-till-arbetsliv", language="sv", state=S.JUDGING,
        title="Från skolbänk till arbetsliv",
        summary="Var sjätte ung i Sjöstad varken arbetar eller studerar två år efter gymnasiet. Hur kan "
                "skolan, arbetsgivare och kommunen hjälpa fler att hitta sin väg?",
        problem_md="""I Sjöstad kommun går de flesta unga vidare till studier eller jobb efter gymnasiet. Men
**16 procent av de unga mellan 20 och 24 år varken arbetar eller studerar**, och andelen är
högre bland dem som inte fullföljt gymnasiet.

Vi söker koncept som gör övergången från skola till arbetsliv smidigare: praktik som leder till
jobb, mentorskap, bättre studie- och yrkesvägledning, digitala verktyg eller nya samarbeten med
lokala arbetsgivare.

Ert koncept ska:

- vara utformat tillsammans med unga, eller utgå från deras berättelser,
- kunna testas i liten skala under ett läsår,
- beskriva vem som äger och driver lösningen.
""",
        background_md="""## Bakgrund

Kommunens aktivitetsansvar för unga under 20 år når inte dem som fyllt 20. Arbetsmarknadsenheten
har i dag tre coacher för hela kommunen. Flera industriföretag i Sjöstad har svårt att rekrytera
och har sagt att de vill bidra.
""",
        tags=(("unga", "Unga"), ("arbetsmarknad", "Arbetsmarknad"), ("utbildning", "Utbildning")), sdgs=(4, 8),
        prize_major=60_000, currency="SEK", split=(50, 30, 20), eligibility=("student", "young_professional"),
        criteria=(
            DemoCriterion("Nytta för unga", "Hur mycket hjälper konceptet unga att komma i arbete eller studier?",
                          40, _anchors("Otydlig nytta", "Viss nytta för en del", "Stor nytta för många")),
            DemoCriterion("Genomförbarhet", "Kan kommunen och arbetsgivarna genomföra det?", 25,
                          _anchors("Inte realistiskt", "Möjligt med resurser", "Kan starta direkt")),
            DemoCriterion("Delaktighet", "Har unga varit med och format konceptet?", 20,
                          _anchors("Inte alls", "Delvis", "Genomgående")),
            DemoCriterion("Kostnad", "Står kostnaden i proportion till nyttan?", 15,
                          _anchors("Mycket dyrt", "Rimligt", "Billigt och effektivt")),
        ),
        opens=-60, deadline=-10, judging_ends=5, results=12,
        questions=(
            DemoQuestion("astrid", "Räknas folkhögskola som studier i statistiken?",
                         "Ja, folkhögskola räknas som studier. Siffran 16 procent gäller dem som varken "
                         "arbetar eller studerar någon form.", days_ago=40),
            DemoQuestion("freja", "Kan ett lag ha medlemmar från både Sverige och Danmark?",
                         "Ja. Laget behöver inte bo i Sjöstad, men konceptet ska fungera här.", days_ago=35),
            DemoQuestion("lars", "Kan ni skicka mig kontaktuppgifter till de unga ni har pratat med?",
                         declined="Vi delar inte personuppgifter om unga. Kontakta i stället "
                                  "arbetsmarknadsenheten, som kan förmedla kontakt med dem som vill delta.",
                         days_ago=30),
        ),
        announcements=(("Juryn har börjat läsa", "Tack för **23 koncept**! Juryn läser och bedömer nu. "
                        "Resultatet publiceras här enligt tidsplanen.", 8),),
        followers=("astrid", "freja"),
    ),
    # ------------------------------------------------------------------ results published (Danish)
    DemoChallenge(
        org="midtvest", slug="groen-transport-til-erhvervsparken", language="da", state=S.RESULTS,
        title="Grøn transport til Erhvervspark Vest",
        summary="3.000 medarbejdere kører i bil til Erhvervspark Vest, selv om mange bor under 10 km væk. "
                "Hvordan får vi flere til at cykle, samkøre eller tage bussen?",
        problem_md="""Erhvervspark Vest ligger fem kilometer fra banegården. **82 procent af de ansatte kører alene
i bil**, og parkeringspladserne er fyldt kl. 8. Busserne kører hver halve time, og den sidste
strækning har ingen cykelsti.

Region Midtvest søger idéer til grøn pendling, der kan afprøves sammen med virksomhederne i
parken: samkørsel, delecykler, shuttlebus, ændrede mødetider eller noget helt andet.

Forslaget skal vise, hvor mange bilture det kan erstatte, hvad det koster at drive, og hvorfor
medarbejderne vil vælge det – også en regnvejrsdag i november.
""",
        background_md="""Regionen har data fra en transportvaneundersøgelse blandt 1.100 ansatte. Fem virksomheder
i parken har sagt ja til at teste vinderforslaget i tre måneder.
""",
        tags=(("mobilitet", "Mobilitet"), ("klima", "Klima")), sdgs=(9, 11, 13),
        prize_major=100_000, currency="DKK", split=(100,), eligibility=("anyone",),
        criteria=(
            DemoCriterion("CO₂-reduktion", "Hvor mange bilture kan løsningen erstatte?", 40,
                          _anchors("Få", "Et par hundrede om ugen", "Over tusind om ugen")),
            DemoCriterion("Økonomi", "Kan virksomhederne og regionen betale for driften?", 30,
                          _anchors("Nej", "Med tilskud", "Ja, uden tilskud")),
            DemoCriterion("Attraktivitet", "Vil medarbejderne faktisk bruge løsningen?", 30,
                          _anchors("Næppe", "Nogle vil", "De fleste vil")),
        ),
        opens=-120, deadline=-70, judging_ends=-45, results=-40,
        questions=(
            DemoQuestion("noah", "Må vi foreslå en løsning, der kræver en ny cykelsti?",
                         "Ja, men beskriv også, hvad der kan gøres, mens cykelstien bygges.", days_ago=100),
        ),
        followers=("noah", "freja"),
    ),
    # ------------------------------------------------------------------ results published (English)
    DemoChallenge(
        org="ntu", slug="campus-food-waste", language="en", state=S.RESULTS,
        title="Cutting food waste in campus canteens",
        summary="Our four canteens throw away about 18 tonnes of food a year. Help us halve it without "
                "making lunch worse or dearer for students.",
        problem_md="""Nordic Technical University serves around 6,000 lunches a day in four canteens. A waste audit
in 2025 found that **about 18 tonnes of edible food were thrown away** in a year: surplus from
the buffet, plate waste, and food past its date in the cafés.

We are looking for concepts that cut this waste by half. They may change how food is planned,
served, priced or shared; involve students and staff; or use data from the tills and kitchens.

Concepts should:

- work in a busy canteen at lunchtime,
- respect food safety rules,
- show how the reduction would be measured.
""",
        background_md="""The canteen operator shares sales and waste data per day and canteen. A student union
food-sharing group already collects surplus bread twice a week.
""",
        tags=(("food-waste", "Food waste"), ("campus", "Campus"), ("circular-economy", "Circular economy")),
        sdgs=(2, 12, 13), prize_major=5_000, currency="EUR", split=(50, 30, 20), eligibility=("student",),
        max_team_size=4,
        criteria=(
            DemoCriterion("Waste reduction", "How much food waste would the concept prevent?", 40,
                          _anchors("Hardly any", "Around a quarter", "Half or more")),
            DemoCriterion("Feasibility", "Could the canteens run it with their staff and budget?", 30,
                          _anchors("Not realistic", "With extra help", "Straight away")),
            DemoCriterion("Student experience", "Does lunch stay as good and as affordable?", 30,
                          _anchors("Worse", "About the same", "Better")),
        ),
        opens=-100, deadline=-60, judging_ends=-35, results=-30,
        questions=(
            DemoQuestion("sam", "Can we visit a kitchen before we submit?",
                         "Yes. Tours run on Tuesdays at 14:00; sign up with the canteen manager.", days_ago=80),
            DemoQuestion("freja", "Is the waste data broken down by dish?",
                         "By category (mains, sides, bread, salads) and day, not by single dish.", days_ago=75),
        ),
        announcements=(("Winners announced", "Thank you to the **31 teams** who took part. The winners "
                        "are listed on this page.", 30),),
        followers=("sam", "freja", "astrid"),
    ),
    # ------------------------------------------------------------------ archived (Norwegian)
    DemoChallenge(
        org="gronn", slug="den-siste-kilometeren", language="nb", state=S.ARCHIVED,
        title="Den siste kilometeren",
        summary="Varebiler står i kø i sentrum for å levere små pakker. Hvordan kan vi levere den siste "
                "kilometeren med sykkel, båt eller til faste hentepunkter?",
        problem_md="""Grønn Logistikk AS leverer om lag 4 000 pakker om dagen i bysentrum. **Den siste kilometeren
står for over halvparten av kostnaden** og mesteparten av utslippene, fordi varebilene må lete
etter parkering og kjøre samme gater flere ganger.

Vi søkte konsepter for en mer effektiv og utslippsfri siste kilometer: mikroterminaler,
lastesykler, ferge og hentepunkter, bedre ruteplanlegging eller samarbeid med butikkene.
""",
        background_md="""Selskapet har ti elektriske lastesykler og en avtale med fergeselskapet om plass om
morgenen. Konseptene ble vurdert av en jury med representanter fra kommunen og selskapet.
""",
        tags=(("logistikk", "Logistikk"), ("mobilitet", "Mobilitet"), ("klima", "Klima")), sdgs=(9, 11, 13),
        prize_major=150_000, currency="NOK", split=(60, 25, 15), eligibility=("startup", "young_professional"),
        criteria=(
            DemoCriterion("Utslippskutt", "Hvor mye mindre utslipp gir løsningen?", 35,
                          _anchors("Lite", "Merkbart", "Nær null utslipp")),
            DemoCriterion("Lønnsomhet", "Kan løsningen lønne seg innen tre år?", 35,
                          _anchors("Nei", "Kanskje", "Ja")),
            DemoCriterion("Skalerbarhet", "Kan den brukes i andre byer?", 30,
                          _anchors("Bare her", "I noen byer", "I de fleste byer")),
        ),
        opens=-300, deadline=-250, judging_ends=-230, results=-220, ended=-60,
        questions=(
            DemoQuestion("noah", "Kan vi bruke selskapets ruteplaner i konseptet?",
                         "Ja, anonymiserte ruter fra ett kvartal ble delt med alle deltakere.", days_ago=280),
        ),
        followers=("noah",),
    ),
    # ------------------------------------------------------------------ draft (Danish)
    DemoChallenge(
        org="aarhusby", slug="et-levende-bymidte-om-vinteren", language="da", state=S.DRAFT,
        title="Et levende bymidte om vinteren",
        summary="Bymidten er tom efter kl. 17 fra november til februar. Hvilke aktiviteter og løsninger kan "
                "få borgerne til at blive i byen?",
        problem_md="""Butikslivet i Aarhusbys bymidte klarer sig godt om sommeren, men om vinteren er gaderne tomme,
når butikkerne lukker. Vi vil gerne høre idéer til lys, aktiviteter og mødesteder, der gør
bymidten levende hele året.

*Udkast: teksten og præmien er ikke endelige.*
""",
        background_md="""Handelsstandsforeningen og biblioteket vil gerne være med, og kommunen kan stille
pladser og lokaler til rådighed i vinterhalvåret.
""", tags=(("byliv", "Byliv"),), sdgs=(11,),
        prize_major=40_000, currency="DKK", split=(100,), eligibility=("anyone",),
        criteria=(
            DemoCriterion("Byliv", "Skaber idéen liv i bymidten efter lukketid?", 50,
                          _anchors("Nej", "Lidt", "Meget")),
            DemoCriterion("Økonomi", "Kan idéen gennemføres for under 500.000 kr.?", 50,
                          _anchors("Nej", "Måske", "Ja")),
        ),
        opens=30, deadline=75, judging_ends=95, results=105,
    ),
    # ------------------------------------------------------------------ scheduled (Swedish)
    DemoChallenge(
        org="sjostad", slug="digitala-tjanster-for-aldre", language="sv", state=S.SCHEDULED,
        title="Digitala tjänster som äldre vill använda",
        summary="Allt fler av kommunens tjänster finns bara digitalt. Hur gör vi dem enkla och trygga för "
                "invånare över 75 år?",
        problem_md="""Sjöstad kommun har flyttat bokning av färdtjänst, ansökan om hemtjänst och betalning av
avgifter till webben. Många äldre ringer i stället kontaktcenter, där väntetiden är lång, eller
avstår helt.

Vi söker koncept som gör de digitala tjänsterna **enkla, trygga och tillgängliga** för äldre –
eller som erbjuder ett bra alternativ för dem som inte vill vara digitala.
""",
        background_md="""Kommunens e-tjänster följer WCAG 2.1 AA. Tre pensionärsföreningar har lovat att
testa de vinnande koncepten.
""",
        tags=(("aldre", "Äldre"), ("digitalisering", "Digitalisering"), ("tillganglighet", "Tillgänglighet")),
        sdgs=(3, 10, 16), prize_major=45_000, currency="SEK", split=(60, 40), eligibility=("anyone",),
        criteria=(
            DemoCriterion("Användbarhet", "Kan en 85-åring använda lösningen utan hjälp?", 40,
                          _anchors("Nej", "Med lite hjälp", "Ja")),
            DemoCriterion("Trygghet", "Skyddar lösningen mot bedrägerier och misstag?", 30,
                          _anchors("Inte alls", "Delvis", "Väl genomtänkt")),
            DemoCriterion("Genomförbarhet", "Kan kommunen införa lösningen inom ett år?", 30,
                          _anchors("Nej", "Med extra resurser", "Ja")),
        ),
        opens=10, deadline=50, judging_ends=70, results=80, published=-2,
        questions=(
            DemoQuestion("astrid", "Får vi intervjua personal på kontaktcenter?",
                         "Ja, när utmaningen har öppnat. Vi publicerar tider för intervjuer här.", days_ago=1),
        ),
        followers=("astrid",),
    ),
    # ------------------------------------------------------------------ closed by the clock (Swedish)
    DemoChallenge(
        org="sjostad", slug="trygga-skolvagar", language="sv", state=S.CLOSED,
        title="Trygga skolvägar",
        summary="Många föräldrar skjutsar sina barn till skolan eftersom vägen känns osäker. Hur kan fler "
                "barn gå eller cykla själva?",
        problem_md="""Morgontrafiken runt Sjöstads skolor är tät, och många föräldrar kör barnen eftersom de
upplever skolvägen som farlig. Det skapar i sin tur ännu mer trafik.

Vi söker koncept som gör det tryggare och roligare för barn att gå eller cykla till skolan:
gångbussar, ändrad trafikplanering, appar, skyltning eller samarbete med föräldraföreningar.
""",
        background_md="""Trafikenheten har räknat bilar vid sex skolor under en vecka i september, och
elevråden har markerat otrygga platser på en karta. Båda underlagen finns som bilagor.
""", tags=(("trafik", "Trafik"), ("barn", "Barn")), sdgs=(3, 11),
        prize_major=40_000, currency="SEK", split=(100,), eligibility=("anyone",),
        criteria=(
            DemoCriterion("Trafiksäkerhet", "Blir skolvägen säkrare?", 40, _anchors("Nej", "Något", "Tydligt")),
            DemoCriterion("Förändrat resande", "Går eller cyklar fler barn?", 35, _anchors("Nej", "Några", "Många")),
            DemoCriterion("Kostnad", "Är lösningen billig att införa?", 25, _anchors("Nej", "Rimlig", "Ja")),
        ),
        opens=-50, deadline=-2, judging_ends=20, results=30,
        questions=(
            DemoQuestion("lars", "Gäller utmaningen även gymnasieskolor?",
                         "Nej, fokus är grundskolan (årskurs 1–9).", days_ago=30),
        ),
        followers=("lars", "astrid"),
    ),
    # ------------------------------------------------------------------ cancelled (Norwegian)
    DemoChallenge(
        org="fjordvik", slug="hurtigbat-hele-aret", language="nb", state=S.CANCELLED,
        title="Hurtigbåt i rute hele året",
        summary="Vinterstormer stopper hurtigbåten flere dager hver måned. Hvordan kan innbyggerne reise "
                "trygt når båten ikke går?",
        problem_md="""Hurtigbåten er livsnerven mellom bygdene i Fjordvik, men om vinteren blir avganger innstilt
på grunn av vær. Vi ønsket idéer til reservetransport og bedre informasjon til reisende.

Pendlere, skoleelever og pasienter til sykehuset er avhengige av ruten. Mange får beskjed om
innstillinger for sent til å finne en annen vei.
""",
        background_md="""Fylkeskommunen eier båtruten, mens kommunen har ansvar for skoleskyss og
hjemmetjenester som rammes når båten ikke går.
""", tags=(("mobilitet", "Mobilitet"), ("beredskap", "Beredskap")), sdgs=(9, 11),
        prize_major=50_000, currency="NOK", split=(100,), eligibility=("anyone",),
        criteria=(
            DemoCriterion("Regularitet", "Kommer folk fram når båten ikke går?", 50, _anchors("Nei", "Oftere", "Ja")),
            DemoCriterion("Kostnad", "Er løsningen rimelig å drifte?", 50, _anchors("Nei", "Kanskje", "Ja")),
        ),
        opens=-20, deadline=20, judging_ends=40, results=50, ended=-5,
        cancel_reason="Fylkeskommunen har overtatt ansvaret for båtruten og starter sin egen utredning. Vi "
                      "avlyser derfor utfordringen; ingen konsepter var levert.",
        followers=("lars",),
    ),
)


# ---------------------------------------------------------------------------- loading
def _local(now: datetime, days: int, hour: int, tz: str) -> datetime:
    """`days` from now at `hour`:00 in the organisation's zone, as UTC."""
    zone = ZoneInfo(tz)
    day = (now + timedelta(days=days)).astimezone(zone).date()
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def _tags(pairs: tuple[tuple[str, str], ...]) -> list[Tag]:
    found = []
    for slug, name in pairs:
        tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
        if tag is None:
            tag = Tag(slug=slug, name=name)
            db.session.add(tag)
        found.append(tag)
    return found


def _history(challenge: Challenge, spec: DemoChallenge, owner: Any, now: datetime) -> None:
    """Walk the lifecycle to `spec.state`, each step recorded when it would have happened."""
    if spec.state is S.DRAFT:
        return
    assert challenge.published_at is not None
    assert challenge.opens_at
    assert challenge.deadline_at
    lifecycle.transition(challenge, S.SCHEDULED, actor=owner, now=challenge.published_at)
    for moment in (challenge.opens_at, challenge.deadline_at):
        if moment <= now:  # the clock's steps, recorded when they happened
            lifecycle.catch_up(challenge, now=moment)
    if spec.state is S.CANCELLED:
        assert spec.ended is not None
        lifecycle.transition(challenge, S.CANCELLED, actor=owner, now=now + timedelta(days=spec.ended),
                             reason=spec.cancel_reason)
        challenge.cancel_reason = spec.cancel_reason
        return
    steps = [(S.JUDGING, challenge.deadline_at + timedelta(hours=20)), (S.RESULTS, challenge.results_at),
             (S.ARCHIVED, now + timedelta(days=spec.ended or 0))]
    order = [S.JUDGING, S.RESULTS, S.ARCHIVED]
    for state, when in steps:
        if spec.state in order and order.index(state) <= order.index(spec.state):
            assert when is not None
            lifecycle.transition(challenge, state, actor=owner, now=when)


def _change_log(challenge: Challenge, spec: DemoChallenge, owner: Any, now: datetime) -> None:
    if spec.deadline_moved_from is None:
        return
    old = _local(now, spec.deadline_moved_from, 12, challenge.timezone)
    new = challenge.deadline_at
    assert new is not None
    zone = ZoneInfo(challenge.timezone)

    def show(value: datetime) -> str:
        return f"{format_datetime(value.astimezone(zone), 'medium', locale=challenge.language)} ({challenge.timezone})"

    # The shape the editor writes (app/challenges/services.py): raw values and display text.
    db.session.add(ChangeLogEntry(
        challenge_id=challenge.id, reason=spec.change_reason, is_rubric_amendment=False, actor_id=owner.id,
        created_at=now - timedelta(days=10),
        changes={"deadline_at": {"label": "Innleveringsfrist", "kind": "datetime", "tz": challenge.timezone,
                                 "raw_old": old.isoformat(), "raw_new": new.isoformat(),
                                 "old": show(old), "new": show(new)}}))


def _make(ctx: DemoContext, spec: DemoChallenge) -> Challenge:
    org = ctx.orgs[spec.org]
    owner = db.session.get(User, next(m.user_id for m in org.memberships if m.role == Role.OWNER))
    tz, now = org.timezone, ctx.now
    opens = _local(now, spec.opens, 9, tz)
    published = now + timedelta(days=spec.published) if spec.published is not None else opens - timedelta(days=7)
    challenge = Challenge(
        organisation_id=org.id, slug=spec.slug, title=spec.title, summary=spec.summary,
        problem_md=spec.problem_md, background_md=spec.background_md, language=spec.language,
        prize_minor=spec.prize_major * 100, currency=spec.currency, prize_count=len(spec.split),
        prize_split=list(spec.split), eligibility=list(spec.eligibility), allow_individuals=True, allow_teams=True,
        max_team_size=spec.max_team_size, timezone=tz, opens_at=opens,
        deadline_at=_local(now, spec.deadline, 12, tz), judging_ends_at=_local(now, spec.judging_ends, 16, tz),
        results_at=_local(now, spec.results, 12, tz), state=S.DRAFT, state_changed_at=published,
        published_at=None if spec.state is S.DRAFT else published, created_by_id=owner.id,
        created_at=published - timedelta(days=14), updated_at=published,
        tags=_tags(spec.tags), sdgs=[ChallengeSDG(goal=g) for g in spec.sdgs],
        criteria=[Criterion(position=i, name=c.name, description=c.description, weight=c.weight,
                            scale_min=c.scale[0], scale_max=c.scale[1], anchors=c.anchors)
                  for i, c in enumerate(spec.criteria)])
    db.session.add(challenge)
    db.session.flush()
    _history(challenge, spec, owner, now)
    _change_log(challenge, spec, owner, now)
    for q in spec.questions:
        asked = now - timedelta(days=q.days_ago)
        status = (QuestionStatus.DECLINED if q.declined else QuestionStatus.ANSWERED if q.answer
                  else QuestionStatus.PENDING)
        db.session.add(Question(
            challenge_id=challenge.id, asked_by_id=ctx.users[q.asker].id, body=q.body, status=status,
            answer=q.answer, decline_reason=q.declined, created_at=asked,
            answered_by_id=owner.id if status is not QuestionStatus.PENDING else None,
            answered_at=asked + timedelta(days=1) if status is not QuestionStatus.PENDING else None))
    for title, body, days_ago in spec.announcements:
        db.session.add(Announcement(challenge_id=challenge.id, author_id=owner.id, title=title, body_md=body,
                                    created_at=now - timedelta(days=days_ago)))
    return challenge


def load_challenges(ctx: DemoContext) -> None:
    """The challenge section of the demo (find-or-create by slug; sends no email)."""
    made: list[tuple[Challenge, DemoChallenge]] = []
    for spec in DEMO_CHALLENGES:
        if db.session.scalar(select(Challenge.id).where(Challenge.slug == spec.slug)) is not None:
            continue
        made.append((_make(ctx, spec), spec))
        ctx.created += 1
    db.session.flush()
    for challenge, spec in made:
        for key in spec.followers:
            db.session.add(Follow(user_id=ctx.users[key].id, challenge_id=challenge.id,
                                  created_at=ctx.now - timedelta(days=3)))
    if made:  # a few people follow organisations too
        for user, org in (("sam", "ntu"), ("freja", "aarhusby"), ("lars", "fjordvik")):
            exists = db.session.scalar(select(Follow.id).where(Follow.user_id == ctx.users[user].id,
                                                               Follow.organisation_id == ctx.orgs[org].id))
            if exists is None:
                db.session.add(Follow(user_id=ctx.users[user].id, organisation_id=ctx.orgs[org].id,
                                      created_at=ctx.now - timedelta(days=3)))
    db.session.flush()
