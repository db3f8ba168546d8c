"""Word lists and a deterministic text generator for bench/search.py.

Words come from real prose (the demo data, the relevance corpus bench/search_corpus/ and
docs/archive-example.jsonl when they are there) counted per language, topped up with a hand-made
list of frequent public-sector words per language, and ranked by frequency. Text is drawn from
that ranking Zipf-distributed (rank r with weight 1/(r + 2.7)), so the index sees a few very common
words, a middle band and a long tail, as real archives do; Danish, Norwegian and Swedish texts
also get compounds made of two drawn nouns (with the linking -s- now and then), which feeds the
compound dictionary and makes the vocabulary grow with the archive as it does in real text.
"""
from __future__ import annotations

import ast
import json
import random
import re
from collections import Counter
from itertools import accumulate
from pathlib import Path

LANGS = ("en", "da", "nb", "sv")
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)

# Frequent words of public-sector prose per language, most frequent first (function words, then
# the content words municipalities write about): the base every generated text draws from.
BASE = {
    "en": """the of and to in a is that for on with as by are be this we it from or at our will
        can more not have an which their they all city people how new has was services public
        local council residents school children care citizens municipality young older health
        energy waste climate transport housing water data digital service support community
        solution solutions plan strategy area areas work jobs users cost costs year years time
        better green sustainable cycling bus buses street streets parking library libraries
        elderly home homes help needs change use make within between through also each other
        including improve reduce increase pilot project test tested during after before
        procurement budget staff teachers parents pupils students neighbourhood district region
        village rural urban centre centres safety flooding rain heat trees nature biodiversity
        food meals recycling sorting plastic paper textile reuse repair loneliness volunteers
        sports culture museum tourism harbour port ferry road roads traffic accident noise air
        quality emissions carbon electricity heating district-heating solar wind grid battery
        app platform sensor sensors open map maps survey interviews workshop workshops design""",
    "da": """og i at det er en til på for med af som de den vi der ikke har kan skal et vil om
        fra så ved også men være eller når kommunen kommune borgere borgerne vores deres alle
        flere mere nye nyt løsning løsninger skole skolen skoler elever børn unge ældre
        plejehjem pleje sundhed energi affald affaldet sortering klima klimaet trafik cykel
        cyklister bus busser vej veje parkering bibliotek biblioteket borger beboere boliger
        bolig vand regnvand oversvømmelse grønne grønt område områder by byen byer landsby
        landsbyer arbejde arbejdspladser job virksomheder erhverv lokale lokalt forløb projekt
        projektet forsøg data digital digitale tjenester app platform brugere medarbejdere
        lærere forældre hjemmepleje ensomhed frivillige foreninger kultur idræt sport turisme
        havn færge luft støj udledning varme fjernvarme solceller vind strøm el opladning
        madspild mad måltider genbrug genanvendelse plast pap tekstiler reparation natur
        biodiversitet træer skov kyst hav sikkerhed tryghed indkøb budget økonomi udgifter
        indsats indsatser mål målet plan strategi politik kommuneplan lokalplan udvikling""",
    "nb": """og i å det er en til på for med av som de den vi der ikke har kan skal et vil om
        fra så ved også men være eller når kommunen kommune innbyggere innbyggerne våre deres
        alle flere mer nye nytt løsning løsninger skole skolen skoler elever barn unge eldre
        sykehjem omsorg helse energi avfall avfallet sortering klima klimaet trafikk sykkel
        syklister buss busser vei veier parkering bibliotek biblioteket beboere boliger bolig
        vann overvann flom grønne grønt område områder by byen byer bygd bygder arbeid
        arbeidsplasser jobb bedrifter næring lokale lokalt prosjekt prosjektet forsøk data
        digital digitale tjenester app plattform brukere ansatte lærere foreldre hjemmetjeneste
        ensomhet frivillige foreninger kultur idrett turisme havn ferje luft støy utslipp varme
        fjernvarme solceller vind strøm lading matsvinn mat måltider gjenbruk
        gjenvinning plast papp tekstiler reparasjon natur naturmangfold trær skog kyst hav
        sikkerhet trygghet innkjøp budsjett økonomi kostnader tiltak mål målet plan strategi
        politikk kommuneplan reguleringsplan utvikling fylke fylkeskommunen""",
    "sv": """och i att det är en till på för med av som de den vi där inte har kan ska ett vill
        om från så vid också men vara eller när kommunen kommun invånare invånarna våra deras
        alla fler mer nya nytt lösning lösningar skola skolan skolor elever barn unga äldre
        äldreboende omsorg hälsa energi avfall avfallet sortering klimat klimatet trafik cykel
        cyklister buss bussar väg vägar parkering bibliotek biblioteket boende bostäder bostad
        vatten dagvatten översvämning gröna grönt område områden stad staden städer by byar
        arbete arbetsplatser jobb företag näringsliv lokala lokalt projekt projektet försök
        data digital digitala tjänster app plattform användare medarbetare lärare föräldrar
        hemtjänst ensamhet frivilliga föreningar kultur idrott turism hamn färja luft buller
        utsläpp värme fjärrvärme solceller vind el laddning matsvinn mat måltider återbruk
        återvinning plast papper textilier reparation natur biologisk mångfald träd skog kust
        hav säkerhet trygghet upphandling budget ekonomi kostnader insats insatser mål målet
        plan strategi politik översiktsplan detaljplan utveckling region regionen""",
}


def _strings_in(path: Path) -> list[str]:
    """The string constants of a Python module (the demo data's prose)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return []
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and len(n.value) > 40]


def _stopwords() -> dict[str, set[str]]:
    from whoosh.lang import stopwords_for_language
    return {lang: set(stopwords_for_language({"nb": "no"}.get(lang, lang))) for lang in LANGS}


def _guess_language(text: str, stops: dict[str, set[str]]) -> str | None:
    words = [w.lower() for w in WORD.findall(text)]
    if len(words) < 6:
        return None
    # Function words that tell the Nordic languages apart (Snowball's stop lists overlap a lot).
    marks = {"da": {"og", "af", "ikke", "hvordan", "kommunen", "vores", "der", "skal", "også", "borgere"},
             "nb": {"og", "av", "ikke", "hvordan", "kommunen", "våre", "å", "skal", "også", "innbyggere"},
             "sv": {"och", "av", "inte", "hur", "kommunen", "våra", "att", "ska", "också", "invånare"},
             "en": {"the", "and", "of", "how", "our", "to", "is", "we", "with", "residents"}}
    scores = {lang: sum(w in stops[lang] for w in words) + 3 * sum(w in marks[lang] for w in words)
              for lang in LANGS}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] >= 3 else None


def prose(root: Path) -> dict[str, list[str]]:
    """Real texts per language from the repository (whatever of them exists)."""
    out: dict[str, list[str]] = {lang: [] for lang in LANGS}
    stops = _stopwords()
    for path in sorted((root / "app" / "demo").glob("*.py")):
        for s in _strings_in(path):
            lang = _guess_language(s, stops)
            if lang:
                out[lang].append(s)
    corpus = root / "bench" / "search_corpus"
    for lang in LANGS:
        file = corpus / f"{lang}.txt"
        if file.exists():
            out[lang].append("\n".join(line for line in file.read_text(encoding="utf-8").splitlines()
                                       if not line.startswith(("#", "===")) and ":" not in line[:14]))
    archive = root / "docs" / "archive-example.jsonl"
    if archive.exists():
        for line in archive.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and row.get("language") in LANGS:
                out[row["language"]].append(" ".join(str(row.get(k) or "") for k in ("title", "summary", "body_md")))
    return out


class Vocabulary:
    """One language's words ranked by frequency, with Zipf draws and compounds."""

    def __init__(self, lang: str, counts: Counter[str], stops: set[str]) -> None:
        self.lang = lang
        self.words = [w for w, _ in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))]
        self.cum = list(accumulate(1.0 / (r + 2.7) for r in range(len(self.words))))
        self.content = [w for w in self.words if w not in stops and len(w) > 3]
        self.content_cum = list(accumulate(1.0 / (r + 2.7) for r in range(len(self.content))))
        self.compounds = lang != "en"

    def draw(self, rng: random.Random, k: int) -> list[str]:
        out = rng.choices(self.words, cum_weights=self.cum, k=k)
        if self.compounds:
            for i in range(len(out)):
                if rng.random() < 0.05:
                    out[i] = self.compound(rng)
        return out

    def content_words(self, rng: random.Random, k: int, *, skip: int = 0) -> list[str]:
        if skip:
            return [self.content[min(len(self.content) - 1, skip + int(rng.paretovariate(1.0)) - 1)]
                    for _ in range(k)]
        return rng.choices(self.content, cum_weights=self.content_cum, k=k)

    def tags(self, rng: random.Random, k: int) -> list[str]:
        """Tags from a fixed pool (the 40 most frequent content words), as a real archive's are."""
        pool = self.content[:40]
        return rng.choices(pool, cum_weights=self.content_cum[:len(pool)], k=k)

    def compound(self, rng: random.Random) -> str:
        a, b = self.content_words(rng, 2)
        link = "s" if rng.random() < 0.3 and not a.endswith("s") else ""
        return f"{a}{link}{b}"

    def rank_band(self, lo: int, hi: int) -> list[str]:
        return self.content[lo:hi]


def vocabularies(root: Path) -> dict[str, Vocabulary]:
    stops = _stopwords()
    texts = prose(root)
    vocab = {}
    for lang in LANGS:
        counts: Counter[str] = Counter()
        for text in texts[lang]:
            counts.update(w.lower() for w in WORD.findall(text) if len(w) > 1 or w.lower() in ("i", "a", "å"))
        base = BASE[lang].split()
        # The hand-made list ranks first (weights above anything counted in a few pages of prose),
        # in its own order; the counted words follow by frequency.
        top = max(counts.values(), default=1)
        for r, w in enumerate(base):
            counts[w] = max(counts[w], top + 10 * (len(base) - r))
        vocab[lang] = Vocabulary(lang, counts, stops[lang])
    return vocab


def sentence(v: Vocabulary, rng: random.Random, lo: int = 6, hi: int = 20) -> str:
    words = v.draw(rng, rng.randint(lo, hi))
    return " ".join(words).capitalize() + "."


class Generated:
    """One concept's text: title, summary, Markdown body and the same body as plain words."""

    __slots__ = ("body_md", "body_plain", "summary", "tags", "title")

    def __init__(self, title: str, summary: str, body_md: str, body_plain: str, tags: list[str]) -> None:
        self.title, self.summary, self.body_md, self.body_plain, self.tags = title, summary, body_md, body_plain, tags


def text(v: Vocabulary, seed: int, *, paragraphs: tuple[int, int] = (3, 6)) -> Generated:
    """A deterministic document for `seed` (the same seed always gives the same text)."""
    rng = random.Random(seed)
    title = " ".join(v.content_words(rng, rng.randint(3, 7))).capitalize()
    summary = " ".join(sentence(v, rng, 10, 22) for _ in range(2))
    md: list[str] = []
    plain: list[str] = []
    for p in range(rng.randint(*paragraphs)):
        if p and rng.random() < 0.4:
            heading = " ".join(v.content_words(rng, rng.randint(2, 4))).capitalize()
            md.append(f"## {heading}")
            plain.append(heading)
        para = " ".join(sentence(v, rng) for _ in range(rng.randint(3, 6)))
        md.append(para)
        plain.append(para)
        if rng.random() < 0.3:
            items = [" ".join(v.draw(rng, rng.randint(3, 8))) for _ in range(rng.randint(2, 4))]
            md.append("\n".join(f"- {i}" for i in items))
            plain.extend(items)
    tags = sorted(set(v.tags(rng, rng.randint(1, 3))))
    return Generated(title, summary, "\n\n".join(md), " ".join(plain), tags)
