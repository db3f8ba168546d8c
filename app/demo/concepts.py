"""Demo concepts for `flask demo load` (app.demo runs `load_concepts` after the challenges).

Forty-two fictional concepts in Danish, Norwegian, Swedish and English, spread over the demo
challenges that take or took entries (open, closed, judging, results, archived), with teams of
one to four, drafts, submissions (a frozen version with a real SHA-256 fingerprint, computed as
the submit flow computes it), a resubmission, a reopened draft, withdrawn concepts, small PDF
attachments whose bytes really exist under UPLOAD_DIR, a pending team invitation, an
ineligible entry with its reason and a documented extension.

The rules hold as if the site had made the rows: a person is on at most one concept per
challenge, every member is eligible, teams fit the challenge's limit, and every submission
happened between the opening and the deadline. The open challenges keep room for a new student
(the issue's journey starts a concept there). Loading sends no email and is idempotent: a
concept is found by challenge and owner before it is made.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.accounts.models import ParticipantKind, User
from app.challenges.models import Challenge, ConceptPublication, Licence
from app.concepts.models import (
    Concept,
    ConceptAttachment,
    ConceptExtension,
    ConceptMember,
    ConceptState,
    ConceptVersion,
    ConceptVersionFile,
    MemberRole,
    TeamInvitation,
)
from app.core.files import StoredFile, store_document
from app.db import db
from app.demo.accounts import DEMO_DOMAIN, demo_user
from app.organisations.models import Role

if TYPE_CHECKING:
    from app.demo import DemoContext

CPH, OSLO, STHLM = "Europe/Copenhagen", "Europe/Oslo", "Europe/Stockholm"
STUDENT, YP, STARTUP = ParticipantKind.STUDENT, ParticipantKind.YOUNG_PROFESSIONAL, ParticipantKind.STARTUP
CC_BY, RESERVED = Licence.CC_BY.value, Licence.RESERVED_SUMMARY.value

# Participants beside the ones app/demo.py makes (freja, astrid, lars, sam, noah):
# key, name, locale, zone, kind, institution.
PARTICIPANTS: tuple[tuple[str, str, str, str, ParticipantKind, str | None], ...] = (
    ("mikkel", "Mikkel Nielsen", "da", CPH, STUDENT, "Nordic Technical University"),
    ("sofie", "Sofie Jensen", "da", CPH, STUDENT, "Aarhusby Gymnasium"),
    ("ida", "Ida Poulsen", "da", CPH, STUDENT, "Nordic Technical University"),
    ("emil", "Emil Rasmussen", "da", CPH, YP, None),
    ("mads", "Mads Christensen", "da", CPH, YP, None),
    ("laura", "Laura Madsen", "da", CPH, STARTUP, "Sortly ApS"),
    ("kari", "Kari Solberg", "nb", OSLO, STUDENT, "Nordic Technical University"),
    ("sindre", "Sindre Bakke", "nb", OSLO, YP, None),
    ("ingvild", "Ingvild Strand", "nb", OSLO, STUDENT, "Fjordvik vidaregåande skule"),
    ("magnus", "Magnus Lie", "nb", OSLO, STARTUP, "Kaibåt AS"),
    ("thea", "Thea Moen", "nb", OSLO, YP, None),
    ("elin", "Elin Berg", "sv", STHLM, STUDENT, "Sjöstad gymnasium"),
    ("oskar", "Oskar Nilsson", "sv", STHLM, STUDENT, "Nordic Technical University"),
    ("maja", "Maja Holm", "sv", STHLM, YP, None),
    ("viktor", "Viktor Ek", "sv", STHLM, YP, "Jobbly AB"),
    ("linnea", "Linnea Sjöberg", "sv", STHLM, STUDENT, "Sjöstad gymnasium"),
    ("amara", "Amara Okafor", "en", CPH, STUDENT, "Nordic Technical University"),
    ("tom", "Tom Becker", "en", CPH, STUDENT, "Nordic Technical University"),
    ("lucia", "Lucía Romero", "en", CPH, STUDENT, "Nordic Technical University"),
    ("yuki", "Yuki Tanaka", "en", CPH, STUDENT, "Nordic Technical University"),
    ("daniel", "Daniel Weiss", "en", CPH, YP, None),
)
KIND_LABELS = {STUDENT: "student", YP: "young professional", STARTUP: "startup founder"}

# Challenges whose concepts become public at results (the issue: "published concepts exist").
PUBLISH_ALL = ("groen-transport-til-erhvervsparken", "campus-food-waste")


@dataclass(frozen=True)
class DemoConcept:
    challenge: str
    members: tuple[str, ...]  # user keys, the first is the team lead
    language: str
    title: str
    summary: str
    body: str
    # draft (never submitted), submitted, resubmitted (two versions), reopened (version 1 counts,
    # the team is editing again), withdrawn (after version 1)
    status: str = "submitted"
    team_name: str | None = None
    licence: str = CC_BY
    pdf: bool = False
    # Where in the challenge's window (opening .. deadline or now) it was submitted, 0..1.
    at: float = 0.8
    ineligible: str | None = None
    extension: str | None = None  # the organiser's reason; the extension runs a day from loading
    invite: str | None = None     # a pending invitation to this user key
    show_names: bool = False


PAP, ENSOM, SKOLBANK = "mindre-pap-i-papircontaineren", "mindre-ensomhet-blant-eldre", "fran-skolbank-till-arbetsliv"
GROEN, CAMPUS, SISTE, SKOLVAG = ("groen-transport-til-erhvervsparken", "campus-food-waste", "den-siste-kilometeren",
                                 "trygga-skolvagar")

DEMO_CONCEPTS: tuple[DemoConcept, ...] = (
    # ------------------------------------------------------------------ Mindre pap (open, Danish)
    DemoConcept(
        PAP, ("freja", "mikkel"), "da", "Pizzabakken får sin egen plads",
        "Fedtede pizzabakker er den største synder i papircontaineren. Vi foreslår en lille, tydelig "
        "lomme på siden af beholderen, så bakken har et oplagt sted at gå hen.",
        """## Problemet

Pizzabakker er for store til papirkammeret og for fedtede til at blive genanvendt som pap, så de
ender dér, hvor der er plads: i papiret.

## Idéen

- En foldbar lomme i kraftig plast, der hænger på siden af fire-kammer-beholderen og kun passer
  til flade æsker.
- Et piktogram af en pizzabakke med et kryds over papirkammeret.
- Et samarbejde med tre pizzeriaer i bymidten, der trykker „Fedtet? Så er jeg restaffald" på låget.

## Det mangler vi

Vi skal stadig finde ud af, om skraldebilen kan tømme lommen uden et ekstra stop.
""", status="draft", team_name="Pizzabakke-patruljen", invite="sam"),
    DemoConcept(
        PAP, ("sofie", "ida", "emil"), "da", "Sorteringsguiden sidder på låget",
        "Når man står med affaldet i hånden, kigger man på låget – ikke i en folder. Vi vil trykke en "
        "enkel billedguide direkte på låget af hvert kammer, med de fem hyppigste fejl vist med rødt.",
        """## Hvorfor låget?

Vi har interviewet 24 beboere i Skovparken. Ingen kunne huske, hvor sorteringsfolderen lå, men
alle kiggede på låget, når de åbnede det.

## Sådan virker det

1. Hvert låg får et holdbart klistermærke med billeder af det, der **må** komme i, og det, der
   **ikke** må.
2. Pap vises med et rødt kryds på papirlåget – med et foto af en æske fra en netbutik, ikke en
   tegning.
3. En QR-kode fører til en kort video på dansk, engelsk, arabisk og ukrainsk.

## Pris og udrulning

Klistermærkerne koster ca. 4 kr. stykket i et oplag på 30.000 og kan sættes på ved den
almindelige tømning. En skitse af designet er vedhæftet.
""", team_name="Låget siger det", pdf=True, at=0.7),
    DemoConcept(
        PAP, ("mads",), "da", "Pap-pant i supermarkedet",
        "Et pantsystem for store papkasser: du afleverer flad pap i en automat ved supermarkedet og får "
        "en lille rabat. Så kommer papkassen slet ikke i nærheden af papircontaineren.",
        """## Idéen

De fleste handler i det samme supermarked hver uge. Står der en papkomprimator ved indgangen, som
giver 50 øre i rabat pr. kilo, bliver det let at tage papkassen med.

## Hvem betaler?

Supermarkederne sælger allerede deres eget pap til genanvendelse. Kommunen kan betale rabatten i
et prøveår og måle, om forureningen i papircontainerne falder i de omkringliggende boligområder.

## Næste skridt

Vi regner lige nu på, hvor mange automater der skal til for at dække hele kommunen.
""", status="reopened", at=0.5),
    DemoConcept(
        PAP, ("amara", "tom"), "en", "Flat-pack it: a cardboard folding station in every courtyard",
        "Big webshop boxes end up in the paper bin because folding them flat is a hassle. A simple "
        "wall-mounted station with a safety cutter and a slot for flattened cardboard makes the right "
        "choice the easy one.",
        """## What we saw

In two courtyards we counted 61 boxes in one week; 40 of them were in the paper bin, most of them
not even folded.

## The station

- A steel slot, 80 cm wide, that only fits flattened cardboard.
- A safety cutter on a steel cable, and a drawing that shows how to cut the tape.
- A bright yellow sign in Danish and English: "Pap her – papir ved siden af".

## Cost

About 3,500 DKK per station. Housing associations could share the cost with the municipality.
""", team_name="Flat Pack Crew", at=0.85),
    DemoConcept(
        PAP, ("lucia",), "en", "Return tags for webshop boxes",
        "Webshops add a tag that lets customers hand the empty box back to the next delivery driver, so "
        "boxes are reused instead of thrown away.",
        """## Idea

Delivery companies visit the same streets every day. A sticker on the box says "Give me back to
your driver", and the driver scans it.

## Why we stopped

The challenge asks for ideas the municipality can run itself, and this one depends entirely on
the delivery companies.
""", status="withdrawn", at=0.4),
    DemoConcept(
        PAP, ("yuki",), "en", "Fewer boxes from the start",
        "Work in progress: a local label for shops that deliver in reusable bags instead of cardboard.",
        """## Notes

- Talk to the bike couriers in town.
- Which shops already use reusable bags?
- Could the municipality give the label away for free?
""", status="draft"),
    # ------------------------------------------------------------------ Mindre ensomhet (open, Norwegian)
    DemoConcept(
        ENSOM, ("kari", "ingvild"), "nb", "Kaffekroken på kaia",
        "Et fast kaffetreff hver tirsdag og torsdag i venterommet ved hurtigbåtkaia, der mange eldre "
        "allerede møtes. Ungdommer er verter, serverer kaffe og hjelper med mobilen og billettappen.",
        """## Bakgrunn

Venterommet på kaia er et av få steder i Fjordvik der folk i alle aldre møtes. Mange eldre kommer
dit også når de ikke skal reise.

## Slik fungerer det

- Kommunen låner ut venterommet og betaler kaffe og vafler.
- Elever på ungdomsskolen er verter to og to, som en del av valgfaget «Innsats for andre».
- Hver gang har et lite tema: billettappen, gamle bilder fra bygda, strikking.

## Hva det koster

Rundt 25 000 kroner i året til kaffe og vafler, og en koordinator i ti prosent stilling.
""", team_name="Kaikroken", at=0.6),
    DemoConcept(
        ENSOM, ("sindre", "thea", "magnus"), "nb", "Besøksvenn-appen: naboer som stikker innom",
        "En enkel app og en telefonlinje som kobler eldre som ønsker besøk, med naboer som har en ledig "
        "time. Frivilligsentralen godkjenner besøksvennene, og den som ikke har smarttelefon, ringer et "
        "vanlig nummer.",
        """## Problemet

Mange eldre i Fjordvik bor langt unna familien. Frivilligsentralen har venteliste på besøksvenner,
men tar bare imot påmeldinger på papir.

## Løsningen

1. Den eldre, eller en pårørende, ringer frivilligsentralen eller melder seg på i appen.
2. Naboer som vil bidra, registrerer seg med politiattest og tar et kort kurs.
3. Appen foreslår besøk hos noen som bor i nærheten, og sender en påminnelse dagen før.

## Nytt i versjon 2

Etter et møte med eldrerådet har vi lagt til en telefonlinje, fordi mange ikke bruker
smarttelefon. Skisser av skjermbildene ligger vedlagt.
""", status="resubmitted", team_name="Besøksvenn", pdf=True, at=0.9),
    DemoConcept(
        ENSOM, ("lars",), "nb", "Turgruppe med fjordutsikt",
        "Korte, ukentlige turer langs fjorden i eget tempo, med benker hver 300. meter og skyss for dem "
        "som trenger det.",
        """## Utkast

Ruta fra kirka til båthavna er flat og 1,2 km lang. Vi trenger:

- flere benker
- en fast dag og et fast møtested
- noen som kan kjøre dem som ikke klarer å gå så langt
""", status="draft"),
    DemoConcept(
        ENSOM, ("noah",), "da", "Generationsbytte: unge hjælper med mobilen",
        "Gymnasieelever hjælper ældre med mobil og netbank én eftermiddag om ugen, og de ældre fortæller "
        "til gengæld om livet i Fjordvik – optaget som en lille podcast.",
        """## Idéen

Begge grupper får noget ud af det: de ældre får hjælp og selskab, de unge får historier og
erfaring med at formidle.

## Status

Vi har trukket konceptet tilbage, fordi vi ikke kunne finde en lokal samarbejdspartner i tide.
""", status="withdrawn", at=0.5),
    DemoConcept(
        ENSOM, ("elin",), "sv", "Fikapatrullen",
        "Utkast: pensionärer som har blivit ensamma bjuds in på fika hemma hos en granne, en gång i veckan.",
        """## Att göra

- Fråga hemtjänsten vilka som vill ha besök.
- Hitta fem grannar som vill vara värdar.
- Räkna på kostnaden för fikabröd.
""", status="draft"),
    DemoConcept(
        ENSOM, ("daniel",), "en", "Postal carriers as weekly check-in friends",
        "Postal carriers already pass every house. For a small fee paid by the municipality, they knock "
        "on the door of older people who sign up, chat for five minutes and pass on any concerns.",
        """## Inspiration

Similar schemes exist in France ("Veiller sur mes parents") and in Jersey ("Call and Check").

## How it would work in Fjordvik

- Older residents or their families sign up at the service centre.
- The carrier visits once a week, asks a few fixed questions and notes the answers in an app.
- If something seems wrong, the home care service gets a message the same day.

## Cost

About 45 NOK per visit, paid from the municipality's welfare technology budget.
""", at=0.75),
    # ------------------------------------------------------------------ Från skolbänk (judging, Swedish)
    DemoConcept(
        SKOLBANK, ("astrid", "linnea"), "sv", "Praoveckan som podd",
        "Eleverna i årskurs 8 intervjuar vuxna på sina praoplatser och gör korta poddavsnitt. Avsnitten "
        "blir ett arkiv där yngre elever får höra hur olika yrken verkligen är.",
        """## Problemet

Praon är ofta elevernas enda kontakt med arbetslivet, och erfarenheterna försvinner när veckan är
slut.

## Vår idé

1. Varje elev spelar in en tio minuter lång intervju med sin handledare på praoplatsen.
2. Skolbiblioteket hjälper till med redigeringen och publicerar avsnitten i en sluten poddkanal
   för kommunens skolor.
3. Studie- och yrkesvägledarna använder avsnitten i sina samtal med eleverna.

## Resurser

Tio enkla mikrofoner och en halv dags utbildning för bibliotekarierna. Vi bifogar en plan för
första läsåret.
""", team_name="Praopodden", pdf=True, at=0.8),
    DemoConcept(
        SKOLBANK, ("elin", "oskar"), "sv", "Mentorsfika med lokala företag",
        "En gång i månaden bjuder ett lokalt företag in gymnasieelever på fika och ett ärligt samtal om "
        "hur man får jobb där. Eleverna får en kontakt, företagen träffar framtida medarbetare.",
        """## Så här fungerar det

- Näringslivskontoret samlar tolv företag som tar ett tillfälle var per läsår.
- Högst åtta elever per fika, så att alla hinner prata.
- Efteråt kan eleven be om en referens eller fråga om sommarjobb.

## Varför det fungerar

Enligt elevenkäten vet mer än hälften av eleverna inte vem de ska fråga om extrajobb. En personlig
kontakt sänker tröskeln.
""", team_name="Fika & framtid", at=0.9),
    DemoConcept(
        SKOLBANK, ("viktor",), "sv", "Sommarjobbsmässa i appen",
        "En app där kommunens sommarjobb och lokala företags extrajobb samlas, med korta filmer från "
        "arbetsplatserna.",
        """## Idén

Alla lediga sommarjobb på ett ställe, med filter för ålder och ort och en knapp för att söka direkt.

## Teknik

Vi bygger på plattformen Jobbly, som redan används av tre kommuner.
""", at=0.95, ineligible="Konceptet bygger på plattformen Jobbly, som förslagsställaren själv säljer. Enligt "
                          "punkt 4 i villkoren får bidrag inte marknadsföra egna kommersiella tjänster."),
    DemoConcept(
        SKOLBANK, ("maja",), "sv", "Yrkesbingo i åttan",
        "Ett bingospel där eleverna under en termin samlar på möten med olika yrken: ett studiebesök, en "
        "gästföreläsning, en intervju. Full bricka ger en dag som skugga på en valfri arbetsplats.",
        """## Bakgrund

Många elever känner bara till de yrken som finns i den egna familjen.

## Spelplanen

Brickan har 16 rutor, till exempel "någon som arbetar natt", "någon som har startat eget" och
"någon som bytt yrke efter 40".

## Vad kommunen behöver göra

Ta fram en lista över arbetsplatser som tar emot besök och ge lärarna en timme i veckan för
uppföljning.
""", at=0.6),
    DemoConcept(
        SKOLBANK, ("lars",), "nb", "Lærlingbussen",
        "En buss som kjører elever fra ungdomsskolen ut til bedrifter som tar inn lærlinger, én dag i "
        "måneden. Elevene ser verkstedene, kjøkkenene og byggeplassene med egne øyne.",
        """## Hvorfor

Yrkesfagene har ledige plasser, mens mange elever velger studieforberedende fordi de ikke vet hva
yrkesfagene går ut på.

## Opplegget

- Bussen besøker tre bedrifter per tur.
- En lærling i hver bedrift viser fram arbeidsdagen sin.
- Elevene skriver en kort logg som de tar med til rådgiveren.

## Kostnad

Omtrent 6 000 kroner per tur med leid buss og lunsj.
""", at=0.7),
    DemoConcept(
        SKOLBANK, ("sam",), "en", "A skills passport for teenagers",
        "Draft: a small booklet (and app) where young people collect proof of skills from summer jobs, "
        "sports clubs and volunteering.",
        """## Open questions

- Who signs the entries?
- Would employers actually look at it?
""", status="draft"),
    # ------------------------------------------------------------------ Grøn transport (results, Danish)
    DemoConcept(
        GROEN, ("noah", "laura"), "da", "Delecykler fra stationen til Erhvervspark Vest",
        "Halvtreds elcykler ved stationen, som pendlere låser op med Rejsekortet. De sidste fire kilometer "
        "til erhvervsparken tager 12 minutter og koster mindre end bussen.",
        """## Udfordringen

Bussen fra stationen kører kun hver halve time, og derfor tager mange medarbejdere bilen hele
vejen.

## Løsningen

- 50 elcykler og 10 ladcykler i en aflåst station ved perronen og en tilsvarende station midt i
  erhvervsparken.
- Virksomhederne betaler et abonnement pr. medarbejder i stedet for at bygge flere p-pladser.
- Cyklerne vedligeholdes af en lokal socialøkonomisk virksomhed.

## Effekt

Vi regner med, at 300 pendlere skifter fra bil til tog og cykel inden for det første år.
Beregningerne står i det vedhæftede notat.
""", team_name="Byflow", pdf=True, at=0.8, show_names=True),
    DemoConcept(
        GROEN, ("mads", "emil"), "da", "Samkørsel via lønsedlen",
        "Medarbejdere, der kører sammen, får et tillæg på lønsedlen. En fælles app for alle virksomheder "
        "i parken matcher chauffører og passagerer.",
        """## Idé

Samkørsel skal kunne betale sig. Virksomhederne i parken finansierer et tillæg på 20 kr. pr. tur
til både chauffør og passager.

## Teknik

En fælles app, hvor man kun ser kolleger fra parken, og hvor turene automatisk overføres til
lønsystemet.

## Pilot

Tre virksomheder med i alt 900 ansatte har sagt ja til at prøve i tre måneder.
""", team_name="Samkørselsholdet", licence=RESERVED, at=0.9),
    DemoConcept(
        GROEN, ("mikkel",), "da", "Ekspresbus 7X i myldretiden",
        "En direkte bus fra stationen til erhvervsparken hvert tiende minut mellem kl. 6.30 og 8.30 og "
        "igen om eftermiddagen, uden stop undervejs.",
        """## Hvorfor en ekspresbus?

I dag stopper bus 7 elleve gange på vejen og bruger 24 minutter. Uden stop tager turen 9 minutter.

## Økonomi

To ekstra busser i myldretiden koster ca. 1,8 mio. kr. om året. Virksomhederne kan betale halvdelen
og slipper til gengæld for at bygge flere p-pladser.
""", at=0.65, show_names=True),
    DemoConcept(
        GROEN, ("sofie",), "da", "Cykelstikortet",
        "Et trykt og digitalt kort over de sikreste cykelruter til erhvervsparken, med rejsetider og "
        "stigninger.",
        """## Idé

Mange ved ikke, at der findes en stille rute langs åen. Et godt kort kan få flere til at prøve
cyklen.
""", status="withdrawn", at=0.5),
    DemoConcept(
        GROEN, ("daniel", "sam"), "en", "An on-demand shuttle for the last mile",
        "Small electric shuttles pick up commuters at the station when a train arrives and drop them at "
        "their own building, booked in an app or by text message.",
        """## The problem

Trains arrive every 20 minutes, but the bus does not wait for them, and the business park is spread
over three square kilometres.

## Our concept

- Four eight-seat electric shuttles, booked by app or SMS up to five minutes before the train
  arrives.
- Routes are planned live, so nobody walks more than 200 metres.
- Companies pay per trip; the region pays for the first year.

## Results from a simulation

With real train times and the work addresses of 2,000 employees, 95 % of trips took less than
15 minutes.
""", team_name="Shuttle Lab", at=0.95),
    DemoConcept(
        GROEN, ("magnus",), "nb", "Hentepunkt for pakker i næringsparken",
        "Utkast: et felles hentepunkt for pakker ved stasjonen, slik at de ansatte ikke trenger bil for å "
        "hente varer etter jobb.",
        """## Notater

- Snakk med postkontoret.
- Hvor mange pakker får de ansatte i uka?
""", status="draft"),
    # ------------------------------------------------------------------ Campus food waste (results, English)
    DemoConcept(
        CAMPUS, ("amara", "yuki", "lucia", "tom"), "en", "Leftover Lunchbox Fridays",
        "Every Friday at 14:00 the canteens sell the week's leftovers in compostable lunchboxes at a "
        "fixed price of 20 DKK. Students book a box in the campus app, so the kitchen knows how many to "
        "pack.",
        """## What we measured

Over two weeks in the North Canteen, 18 % of the food cooked on Thursdays and Fridays was thrown
away.

## The concept

1. From 13:00 the kitchen packs Thursday's and Friday's leftovers in lunchboxes.
2. Students book a box in the campus app until 13:30; boxes nobody booked go on open sale.
3. Anything left at 15:00 goes to the food-sharing fridge in the student housing.

## Pilot results

In a three-week pilot we sold 410 boxes and halved the Friday waste. The attached report has the
numbers.
""", team_name="Lunchbox Fridays", pdf=True, at=0.85, show_names=True),
    DemoConcept(
        CAMPUS, ("freja", "ida"), "da", "Madspildsmåleren: en vægt, der viser dagens spild",
        "En vægt under affaldsspanden ved tallerkenafleveringen viser på en skærm, hvor mange kilo mad "
        "kantinen har smidt ud i dag – og hvor mange måltider det svarer til.",
        """## Idéen

Det, man kan se, kan man ændre. Når spildet står på en skærm ved udgangen, tager de studerende
mindre mad ad gangen.

## Sådan gør vi

- En industrivægt med wifi under spanden.
- En skærm, der viser spildet i dag, i går og samme dag sidste uge.
- Et fælles mål for semestret, fx 20 % mindre spild.

## Pris

Omkring 12.000 kr. pr. kantine, inklusive skærmen.
""", team_name="Madspildsmåleren", at=0.7),
    DemoConcept(
        CAMPUS, ("kari",), "nb", "Smaksprøver før du forsyner deg",
        "Små, gratis smaksprøver av dagens retter ved inngangen, slik at studentene ikke tar en full "
        "porsjon av noe de ikke liker.",
        """## Bakgrunn

Ved oppvasken så vi at hele porsjoner av nye retter ofte blir kastet urørt.

## Forslaget

En ansatt deler ut smaksprøver på små skjeer de første 45 minuttene av lunsjen. Nye retter får et
«Smak først»-skilt.
""", licence=RESERVED, at=0.6),
    DemoConcept(
        CAMPUS, ("oskar", "linnea"), "sv", "Dynamisk prissättning efter klockan 14",
        "Efter klockan 14 sjunker priset på de rätter som finns kvar med 10 kronor i halvtimmen. En skärm "
        "vid kassan och en notis i campusappen visar vad som finns kvar.",
        """## Så fungerar det

Kassasystemet sänker priset automatiskt. Studenter som vill äta billigt kommer senare, och maten
tar slut i stället för att slängas.

## Risker

En del kanske väntar med att äta. Därför föreslår vi att bara rätter som lagats i förväg får sänkt
pris.
""", team_name="Klockan två", at=0.9),
    DemoConcept(
        CAMPUS, ("mikkel",), "en", "Pre-order your lunch",
        "Draft: order lunch in the morning, so the kitchen cooks closer to real demand.",
        """## Notes

Ask the kitchen how early they need the numbers.
""", status="draft"),
    DemoConcept(
        CAMPUS, ("astrid",), "en", "A compost feedback loop",
        "Canteen food waste becomes compost for the campus garden, and the garden's vegetables go back to "
        "the canteen.",
        """## Idea

Close the loop, and make the waste visible to the students who work in the garden.
""", status="withdrawn", at=0.3),
    # ------------------------------------------------------------------ Den siste kilometeren (archived, Norwegian)
    DemoConcept(
        SISTE, ("magnus", "sindre"), "nb", "Pakkeskap på bussholdeplassen",
        "Pakkeskap med solcellepanel på de ti mest brukte bussholdeplassene, fylt av lastesykler om "
        "natten. Folk henter pakken på vei hjem fra bussen.",
        """## Idé

De fleste pendler med buss. Når pakken venter på holdeplassen, slipper man en ekstra tur.

## Drift

- Grønn Logistikk fyller skapene mellom klokka 22 og 06.
- Skapene er åpne for alle transportører mot en fast pris per pakke.

## Miljø

Vi anslår 40 prosent færre turer med varebil i sentrum.
""", team_name="Kaibåt", at=0.8),
    DemoConcept(
        SISTE, ("laura", "noah"), "da", "Natlevering med lydløse elvarebiler",
        "Butikkerne i bymidten får varer mellem kl. 22 og 6 med lydløse elvarebiler, så gågaden er fri for "
        "varebiler om dagen.",
        """## Problemet

Om formiddagen holder varebilerne i dobbelt række i de smalle gader.

## Forslaget

- Elvarebiler med støjsvage lifte og rullebure med gummihjul.
- Butikkerne giver chaufføren adgang til et aflåst varerum.
- Kommunen tillader kørsel om natten for godkendte, lydløse køretøjer.
""", team_name="Sortly", at=0.9),
    DemoConcept(
        SISTE, ("thea",), "nb", "Sykkelbudkooperativet",
        "Et kooperativ av sykkelbud som eies av syklistene selv og leverer for alle nettbutikker i "
        "sentrum, med fast lønn i stedet for betaling per levering.",
        """## Hvorfor kooperativ?

Budene får bedre arbeidsforhold, og byen får én aktør i stedet for fem som kjører de samme gatene.

## Økonomi

Med 1 200 leveranser om dagen går kooperativet i balanse etter to år.
""", at=0.7),
    DemoConcept(
        SISTE, ("viktor", "maja"), "sv", "Samlastning vid stadens gräns",
        "En samlastningscentral vid motorvägsavfarten där alla leveranser till centrum lastas om till "
        "lastcyklar och små elbilar.",
        """## Förebild

Samlastning har minskat godstrafiken i flera svenska innerstäder.

## Förslaget för Fjordvik

- En terminal på 800 m² vid avfarten.
- Alla leverantörer lämnar sitt gods där före klockan 9.
- Grønn Logistikk kör den sista biten med lastcyklar.
""", team_name="Stadsgränsen", at=0.85),
    DemoConcept(
        SISTE, ("daniel",), "en", "Drone drop zones",
        "Marked landing zones on rooftops where drones deliver small parcels.",
        """## Idea

We withdrew this one: aviation rules make it impossible within the timeline.
""", status="withdrawn", at=0.4),
    DemoConcept(
        SISTE, ("emil",), "da", "Mikrodepoter i kældrene",
        "Tomme kælderrum i bymidten bliver små depoter, hvor varerne ligger klar til levering med ladcykel "
        "samme dag.",
        """## Idé

Der står mange kælderrum tomme i bymidten. De ligger centralt og er billige at leje.

## Sådan virker det

Varebilen kommer én gang om morgenen og fylder depotet op. Derefter kører ladcykler varerne ud i
løbet af dagen.
""", at=0.6),
    # ------------------------------------------------------------------ Trygga skolvägar (closed, Swedish)
    DemoConcept(
        SKOLVAG, ("astrid", "elin", "linnea"), "sv", "Gångbussen i Sjöstad",
        "Barnen går till skolan tillsammans längs fasta linjer med hållplatser och tider, med en förälder "
        "eller en pensionär som ”chaufför”. Ett schema i appen visar vem som går vilken dag.",
        """## Så fungerar det

- Fem linjer till Sjöstadsskolan, var och en med fyra hållplatser.
- Vuxna volontärer turas om att gå med, en morgon i veckan var.
- Reflexvästar och skyltar vid hållplatserna gör gångbussen synlig.

## Varför det fungerar

Föräldrar vågar låta barnen gå när en vuxen är med, och barnen lär sig vägen. Efter några månader
kan de äldre barnen gå själva.

## Kostnad

Cirka 30 000 kronor för skyltar, västar och en samordnare på fritidsgården. En karta över linjerna
är bifogad.
""", team_name="Gångbussen", pdf=True, at=0.75),
    DemoConcept(
        SKOLVAG, ("oskar",), "sv", "Skolgatan stängs 7.45–8.15",
        "Gatan närmast skolan stängs för biltrafik en halvtimme varje morgon. Föräldrar som kör släpper av "
        "barnen vid en avlämningsplats 300 meter bort.",
        """## Idén

Så kallade skolgator finns redan i London och Wien. Trafiken framför skolan försvinner och luften
blir renare.

## Genomförande

- Bommar och skyltar som vaktmästaren ställer ut varje morgon.
- En avlämningsplats vid idrottshallen.
- Utvärdering efter en termin.
""", at=0.9),
    DemoConcept(
        SKOLVAG, ("maja", "viktor"), "sv", "Trygghetsvandring med elevråden",
        "Elevråden leder trygghetsvandringar med tjänstepersoner från trafikenheten och visar de platser "
        "där de känner sig otrygga. Varje vandring slutar med en åtgärdslista som följs upp inom tre "
        "månader.",
        """## Idé

Barnen vet bäst var det känns farligt. Elevrådens karta finns redan – nu behövs någon som lyssnar
och agerar.

## Upplägg

1. En vandring per skola och termin.
2. Trafikenheten deltar och svarar på plats.
3. Åtgärderna publiceras på skolans webbplats.
""", status="draft", team_name="Elevrådens karta",
        extension="Teamets uppladdning avbröts av ett serverfel tio minuter före deadline (supportärende "
                  "2231). De får lämna in sitt koncept i efterhand."),
    DemoConcept(
        SKOLVAG, ("kari",), "nb", "Refleksvestlotteriet",
        "Utkast: barn som går til skolen med refleksvest, blir med i trekningen av en sykkel hver måned.",
        """## Idé

Det er viktig å synes i vintermørket. Lotteriet gjør det gøy å bruke vesten.
""", status="draft"),
    DemoConcept(
        SKOLVAG, ("lucia", "tom"), "en", "A walking-school-bus app for parents",
        "A simple app where parents on the same street agree who walks the children to school each "
        "morning, with a live map for the rest of the group.",
        """## Why an app?

Parents want to share the walk but find it hard to agree on a schedule in group chats.

## Features

- A weekly rota with a swap button.
- A check-in at school, so parents know the children arrived.
- No tracking of children: only the adult on duty shares their position.
""", team_name="Walk Together", at=0.6),
    DemoConcept(
        SKOLVAG, ("ingvild",), "nb", "Trafikklysspillet",
        "Et spill på nettbrett som lærer de minste barna å krysse veien trygt.",
        """## Idé

Vi trakk forslaget fordi skolen allerede bruker et lignende spill.
""", status="withdrawn", at=0.5),
)


# ---------------------------------------------------------------------------- a tiny real PDF
def _pdf_text(value: str) -> bytes:
    escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("cp1252", "replace")


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF 1.4 with the title and a few lines (Helvetica, WinAnsi), with a correct xref."""
    stream = [b"BT /F1 18 Tf 56 780 Td (" + _pdf_text(title) + b") Tj ET"]
    y = 750
    for line in lines:
        stream.append(b"BT /F1 11 Tf 56 %d Td (" % y + _pdf_text(line) + b") Tj ET")
        y -= 16
    content = b"\n".join(stream)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _store_pdf(spec: DemoConcept) -> StoredFile:
    words = spec.summary.split()
    lines, line = [], ""
    for word in words:  # wrap the summary at about 80 characters
        if len(line) + len(word) > 80:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    lines.append(line)
    data = demo_pdf(spec.title, lines)
    name = "".join(ch if ch.isalnum() else "-" for ch in spec.title.lower())[:40].strip("-") + ".pdf"
    upload = FileStorage(stream=BytesIO(data), filename=name, content_type="application/pdf")
    return store_document(upload, allowed=("pdf",), max_bytes=len(data) + 1,
                          upload_dir=current_app.config["UPLOAD_DIR"])


# ---------------------------------------------------------------------------- fingerprints
def version_fingerprint(version: ConceptVersion, concept_id: int) -> str:
    """The submit flow's SHA-256 over the version's canonical content and its files' hashes."""
    from app.concepts.services.submission import compute_fingerprint, fingerprint_document

    return compute_fingerprint(fingerprint_document(version, concept_id))


# ---------------------------------------------------------------------------- loading
def _participants(ctx: DemoContext) -> None:
    for key, name, locale, tz, kind, institution in PARTICIPANTS:
        email = f"{key}@{DEMO_DOMAIN}"
        ctx.users[key] = demo_user(ctx, email=email, name=name, locale=locale, timezone=tz, kind=kind,
                                   institution=institution)
        ctx.logins.append((email, f"{KIND_LABELS[kind]} ({locale})"))


def _freeze(concept: Concept, *, number: int, at: datetime, by: User, files: list[StoredFile],
            member_ids: list[int], source: int) -> ConceptVersion:
    version = ConceptVersion(
        concept_id=concept.id, number=number, source_lock_version=source, submitted_at=at, submitted_by_id=by.id,
        team_name=concept.team_name, title=concept.title, summary=concept.summary, body_md=concept.body_md,
        language=concept.language, licence=concept.licence or CC_BY, cover_image_hash=None,
        tag_names=[t.name for t in concept.tags], member_ids=member_ids, fingerprint="",
        total_bytes=sum(f.size for f in files),
        files=[ConceptVersionFile(position=i, filename=f.filename, content_hash=f.content_hash,
                                  mimetype=f.mimetype, size=f.size) for i, f in enumerate(files)])
    version.fingerprint = version_fingerprint(version, concept.id)
    concept.versions.append(version)
    return version


def _make(ctx: DemoContext, spec: DemoConcept, challenge: Challenge) -> None:
    assert challenge.opens_at is not None
    assert challenge.deadline_at is not None
    members = [ctx.users[key] for key in spec.members]
    lead = members[0]
    opens = challenge.opens_at
    end = min(challenge.deadline_at, ctx.now - timedelta(hours=1))
    window = end - opens

    def moment(fraction: float) -> datetime:
        return opens + window * fraction

    created = moment(max(0.05, spec.at - 0.3))
    files = [_store_pdf(spec)] if spec.pdf else []
    concept = Concept(
        challenge_id=challenge.id, owner_id=lead.id, team_name=spec.team_name, title=spec.title,
        summary=spec.summary, body_md=spec.body, language=spec.language,
        licence=None if spec.status == "draft" else spec.licence, state=ConceptState.DRAFT, lock_version=1,
        created_at=created, updated_at=created, tags=list(challenge.tags[:1]))
    db.session.add(concept)
    db.session.flush()
    for i, user in enumerate(members):
        db.session.add(ConceptMember(
            concept_id=concept.id, challenge_id=challenge.id, user_id=user.id,
            role=MemberRole.OWNER if i == 0 else MemberRole.MEMBER, show_name_publicly=spec.show_names,
            joined_at=created + timedelta(hours=2 * i)))
    for stored in files:
        db.session.add(ConceptAttachment(concept_id=concept.id, filename=stored.filename,
                                         content_hash=stored.content_hash, mimetype=stored.mimetype,
                                         size=stored.size, uploaded_by_id=lead.id,
                                         created_at=created + timedelta(hours=3)))
    member_ids = [u.id for u in members]
    # Each saved edit raised lock_version; a version remembers the one it was made from.
    if spec.status == "draft":
        concept.lock_version = 4
        concept.updated_at = moment(spec.at) if spec.extension is None else ctx.now - timedelta(hours=1)
    elif spec.status == "resubmitted":
        first, second = moment(spec.at - 0.3), moment(spec.at)
        _freeze(concept, number=1, at=first, by=lead, files=[], member_ids=member_ids, source=3)
        _freeze(concept, number=2, at=second, by=members[-1], files=files, member_ids=member_ids, source=6)
        concept.lock_version, concept.submitted_version_no = 6, 2
        concept.state, concept.submitted_at, concept.updated_at = ConceptState.SUBMITTED, second, second
    else:
        at = moment(spec.at)
        _freeze(concept, number=1, at=at, by=lead, files=files, member_ids=member_ids, source=3)
        concept.lock_version, concept.submitted_version_no = 3, 1
        concept.state, concept.submitted_at, concept.updated_at = ConceptState.SUBMITTED, at, at
        if spec.status == "withdrawn":
            withdrawn = moment(min(0.99, spec.at + 0.1))
            concept.state, concept.withdrawn_at, concept.updated_at = ConceptState.WITHDRAWN, withdrawn, withdrawn
        elif spec.status == "reopened":  # editing again; version 1 still counts
            concept.state, concept.lock_version = ConceptState.DRAFT, 5
            concept.updated_at = moment(min(0.99, spec.at + 0.3))
    owner = db.session.get(User, next(m.user_id for m in challenge.organisation.memberships
                                      if m.role == Role.OWNER))
    assert owner is not None
    if spec.ineligible:
        concept.ineligible_reason = spec.ineligible
        concept.ineligible_at = min(challenge.deadline_at + timedelta(days=3), ctx.now - timedelta(hours=2))
        concept.ineligible_by_id = owner.id
    if spec.extension:
        until = ctx.now + timedelta(days=1)
        concept.extension_until = until
        db.session.add(ConceptExtension(concept_id=concept.id, until=until, reason=spec.extension,
                                        granted_by_id=owner.id,
                                        created_at=challenge.deadline_at + timedelta(hours=1)))
    if spec.invite:
        ttl = current_app.config.get("TEAM_INVITATION_TTL", timedelta(days=7))
        sent = ctx.now - timedelta(days=1)
        db.session.add(TeamInvitation(
            concept_id=concept.id, email=ctx.users[spec.invite].email,
            # A random token nobody holds: the invitation shows on the team page, its email was never sent.
            token_hash=hashlib.sha256(secrets.token_urlsafe(32).encode()).hexdigest(),
            invited_by_id=lead.id, created_at=sent, expires_at=sent + ttl))


def load_concepts(ctx: DemoContext) -> None:
    """The concept section of the demo (find-or-create by challenge and team lead; sends no email)."""
    _participants(ctx)
    challenges = {c.slug: c for c in db.session.scalars(
        select(Challenge).where(Challenge.slug.in_({spec.challenge for spec in DEMO_CONCEPTS})))}
    for slug in PUBLISH_ALL:
        if slug in challenges:
            challenges[slug].concept_publication = ConceptPublication.ALL
    for spec in DEMO_CONCEPTS:
        challenge = challenges.get(spec.challenge)
        if challenge is None:
            continue
        lead = ctx.users[spec.members[0]]
        exists = db.session.scalar(select(Concept.id).where(Concept.challenge_id == challenge.id,
                                                            Concept.owner_id == lead.id))
        if exists is not None:
            continue
        _make(ctx, spec, challenge)
        ctx.created += 1
    db.session.flush()


def demo_summary() -> dict[str, Any]:
    """How the demo's concepts are spread (for the tests and the README)."""
    return {
        "concepts": len(DEMO_CONCEPTS),
        "languages": sorted({c.language for c in DEMO_CONCEPTS}),
        "statuses": sorted({c.status for c in DEMO_CONCEPTS}),
    }
