"""Text analysis for the archive: Nordic folding, per-language stemming and compound splitting.

A document is analysed in its own language (title_da, summary_da and body_da hold Danish text);
the query is analysed once per language, so one query word meets inflected forms in all four.
The chain for `analyzer(lang)`:

    RegexTokenizer                      words (the same pattern as Whoosh's LanguageAnalyzer)
    | NordicLowercaseFilter             casefold, accents off (é -> e) but æ ø å ä ö kept
    | NordicStopFilter(lang)            the language's Snowball stop list, compared folded
    | NordicStemFilter(lang)            compound parts, Snowball stem, then `fold` (is_morph)

Why stem before folding: the Snowball stemmers for da/no/sv know their own letters (vowels
decide the R1 region, and some suffixes contain ø or ö), so a word is first spelt the way its
language spells it (Swedish ä for Danish æ, å for aa, ...), stemmed, and only the stem is folded
to one spelling (æ/ä -> ae, ø/ö -> oe, å -> aa). "Ældre" (da) and "äldre" (sv) both index
"aeldr"; "Bærum" and "Baerum" both index "baerum".

Two additions to Snowball (da/nb/sv): it takes off one suffix, and a word-final -s is a suffix of
its own, so "plads" stems to "plad" but "pladser" to "plads"; the stem is stemmed again until it
stays put (at most four passes), so forms meet ("arbejdspladser" finds "arbejdsplads", Swedish
"arbetsplatser" finds "arbetsplats", Norwegian "skolene" read by the Swedish stemmer meets
"skolorna"). The bench measured this against a single extra -s rule: recall 0.933 vs 0.928. Swedish Snowball also leaves the definite singular -an/-et ("skolan", "boendet",
"arbetet"); they come off inside R1, so they meet "skola", "boende", "arbete".

Compounds (da/nb/sv): `CompoundDictionary` holds the archive's own vocabulary (folded words
and their stems). A word of six letters or more is split into known parts with the language's
linking morphemes ("affald-s-sortering", "barn-e-hage", "kvinn-o-hus"); every part has at least
three letters, is no stop word and no bare affix. At index time the parts are emitted beside the
whole word at the same position, so "affald" finds "affaldssortering". At query time
`query_compounds` decides: "parts" replaces a split query word by its parts (the field's
`multitoken_query` then joins them, "and" is meant), "beside" emits the whole word and its parts
(joined with "or"), "none" keeps the whole word only. Phrases (the parser tokenises them with
chars=True) never get parts, so positions stay consecutive.

The analyzer objects are pickled into the index's TOC with the schema: they hold only short
strings. The dictionary is process-global (`set_dictionary`), looked up when a token is split.
"""
from __future__ import annotations

import functools
import gzip
import json
import math
import os
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from whoosh.analysis import Analyzer, Filter, LanguageAnalyzer, RegexTokenizer
from whoosh.analysis.tokenizers import default_pattern
from whoosh.lang import stemmer_for_language, stopwords_for_language

LANGUAGES: tuple[str, ...] = ("en", "da", "nb", "sv")
COMPOUND_LANGUAGES: tuple[str, ...] = ("da", "nb", "sv")
# Whoosh has no "nb": Bokmål uses the Norwegian Snowball stemmer and stop list.
WHOOSH_LANGUAGE: dict[str, str] = {"en": "en", "da": "da", "nb": "no", "sv": "sv"}
QUERY_COMPOUND_MODES: tuple[str, ...] = ("parts", "beside", "none")
# What the bench measured best (bench/search_quality.py); the schema's text fields should set
# multitoken_query to MULTITOKEN_QUERY so a split query word needs all its parts.
QUERY_COMPOUNDS = "parts"
MULTITOKEN_QUERY = "and"

MIN_PART = 3            # never split into 1-2 letter fragments
MIN_STEM_PART = 4       # a non-final part known only as a stem ("arbejd-s-") needs four letters
MIN_COMPOUND = 6
MAX_COMPOUND = 40       # longer "words" are not compounds (and would make splitting quadratic)

# Linking morphemes between compound parts (fugeelementer / fogeelement).
LINKS: dict[str, tuple[str, ...]] = {
    "da": ("s", "e"),
    "nb": ("s", "e"),
    "sv": ("s", "a", "u", "o", "e"),
}
SIBLINGS: dict[str, tuple[str, ...]] = {"da": ("nb", "sv"), "nb": ("da", "sv"), "sv": ("nb", "da")}
# Productive prefixes and suffixes that look like words or stems but make poor parts
# ("gen-brug", "sam-arbejde", "land-skab", "frihed"): folded spellings.
NOT_FIRST: frozenset[str] = frozenset({
    "gen", "sam", "for", "fore", "foer", "mis", "van", "und", "ind", "ud", "til", "aer", "hen",
    "del", "gennem", "gjennom", "genom", "frem", "fram", "ska", "bor", "foere",
    "ikke", "icke", "uden", "utan", "uten", "anti", "inter", "multi", "semi", "super", "ekstra",
})
NOT_LAST: frozenset[str] = frozenset({
    "hed", "heden", "heder", "het", "heten", "heter", "skab", "skaber", "skabet", "skap", "skapet",
    "skaper", "dom", "domme", "dommen", "lig", "lige", "ligt", "ning", "ningen", "ninger", "else",
    "elsen", "ende", "ering", "ighed", "isk", "iske", "iskt", "ism", "isme", "ist", "ion", "tion",
    "sion", "ler", "lerne", "are", "aren", "arna", "erna", "orna", "erne", "ene", "ande",
    "bar", "bart", "bare", "sam", "samt", "som", "ing", "inga", "ingen", "ings", "ung", "ungen",
    # inflections that are also short words ("borg-er" is no bor + ger, "park-ering" no park + ring)
    "ger", "ner", "ber", "mer", "ser", "tar", "lar", "par", "set", "ret", "ring", "ringen", "inger",
    "ingene", "ingarna", "ingerne", "mene", "mens", "nere", "liga", "ligere", "ligste", "lighet",
    "lighed", "egner", "gere", "gerne", "geren", "gerens", "gernes", "tidige",
})

_NORDIC_FOLD = str.maketrans({"æ": "ae", "ä": "ae", "ø": "oe", "ö": "oe", "å": "aa"})
_KEEP = frozenset("æøåäö")
_NATIVE = {
    "da": str.maketrans({"ä": "æ", "ö": "ø"}),
    "nb": str.maketrans({"ä": "æ", "ö": "ø"}),
    "sv": str.maketrans({"æ": "ä", "ø": "ö"}),
}
_SV_DEFINITE = ("an", "et")


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str, keep_nordic: bool) -> str:
    if keep_nordic and char in _KEEP:
        return char
    if not keep_nordic:
        char = char.translate(_NORDIC_FOLD)
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _strip(text: str, keep_nordic: bool) -> str:
    text = unicodedata.normalize("NFC", text.casefold())
    if text.isascii():
        return text
    return "".join(c if c.isascii() else _fold_char(c, keep_nordic) for c in text)


def fold(text: str) -> str:
    """Casefold, fold æ/ä to "ae", ø/ö to "oe", å to "aa" (so "aa" spellings meet) and drop accents."""
    return _strip(text, keep_nordic=False)


def lower(text: str) -> str:
    """Casefold and drop accents but keep æ ø å ä ö: the surface form the stemmers expect."""
    return _strip(text, keep_nordic=True)


def _nativise(word: str, lang: str) -> str:
    table = _NATIVE.get(lang)
    if table is None:
        return word
    return word.translate(table).replace("aa", "å")


@functools.cache
def _snowball(lang: str):
    return stemmer_for_language(WHOOSH_LANGUAGE[lang])


@functools.cache
def stop_words(lang: str) -> frozenset[str]:
    """The language's Snowball stop list, folded."""
    return frozenset(fold(w) for w in stopwords_for_language(WHOOSH_LANGUAGE[lang]))


def _r1_start(word: str, vowels: str) -> int:
    for i in range(1, len(word)):
        if word[i] not in vowels and word[i - 1] in vowels:
            return max(3, i + 1)
    return len(word)


_VOWELS = {"da": "aeiouyæåø", "nb": "aeiouyæåø", "sv": "aeiouyäåö"}


@functools.lru_cache(maxsize=200_000)
def stem(word: str, lang: str) -> str:
    """The folded stem of one lowercased word in `lang`, as the full analysis indexes it."""
    snowball = _snowball(lang)
    if lang == "en":
        return fold(snowball(word))
    native = _nativise(word, lang)
    once = snowball(native)
    r1 = _r1_start(native, _VOWELS[lang])
    # Snowball's Swedish list has no -an/-et: take them off inside R1, as it does -en.
    if lang == "sv" and once == native and once.endswith(_SV_DEFINITE) and len(once) - 2 >= r1:
        once = once[:-2]
    # Snowball takes off one suffix ("pladser" -> plads, but "plads" -> plad; Norwegian "skolene"
    # read as Swedish -> skolen): stem again until nothing changes, so forms meet at the end.
    for _ in range(3):
        again = snowball(once)
        if again == once:
            break
        once = again
    return fold(once)


# --- the compound dictionary -----------------------------------------------------------------

_WORD_RE = default_pattern
_FORMAT = "concept-arena-compounds/1"


class CompoundDictionary:
    """The archive's own vocabulary per language, for splitting compounds.

    `words` maps a folded word to how often the archive uses it; `stems` holds the folded stems of
    those words, so "arbejd" (of "arbejde") is a known first part and "pladser" a known last part.
    """

    def __init__(self, words: dict[str, dict[str, int]] | None = None,
                 stems: dict[str, set[str]] | None = None) -> None:
        self.words: dict[str, dict[str, int]] = {lang: dict((words or {}).get(lang, {})) for lang in COMPOUND_LANGUAGES}
        self.stems: dict[str, set[str]] = {lang: set((stems or {}).get(lang, ())) for lang in COMPOUND_LANGUAGES}
        self._cache: dict[tuple[str, str], tuple[str, ...]] = {}

    @classmethod
    def from_texts(cls, texts: Iterable[tuple[str, str]], *, min_count: int = 1) -> CompoundDictionary:
        """Count the words of (language, text) pairs; English texts are skipped (no closed compounds)."""
        counts: dict[str, Counter[str]] = {lang: Counter() for lang in COMPOUND_LANGUAGES}
        for lang, text in texts:
            counter = counts.get(lang)
            if counter is None or not text:
                continue
            counter.update(m.group(0) for m in _WORD_RE.finditer(lower(text)))
        words: dict[str, dict[str, int]] = {}
        stems: dict[str, set[str]] = {}
        for lang, counter in counts.items():
            stops = stop_words(lang)
            folded: Counter[str] = Counter()
            lang_stems: set[str] = set()
            for word, n in counter.items():
                if n < min_count or len(word) < MIN_PART or len(word) > MAX_COMPOUND or not word.isalpha():
                    continue
                key = fold(word)
                if key in stops:
                    continue
                folded[key] += n
                lang_stems.add(stem(word, lang))
            words[lang] = dict(folded)
            stems[lang] = lang_stems
        return cls(words, stems)

    def __len__(self) -> int:
        return sum(len(w) for w in self.words.values())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the dictionary as gzipped JSON, atomically (write aside, then rename)."""
        path = Path(path)
        data = {
            "format": _FORMAT,
            "words": self.words,
            "stems": {lang: sorted(s) for lang, s in self.stems.items()},
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
                out.write(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CompoundDictionary:
        """Read a dictionary written by `save`. Raises ValueError on a file of another format."""
        try:
            with gzip.open(path, "rb") as f:
                data = json.loads(f.read().decode())
        except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a compound dictionary: {path}") from exc
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"not a compound dictionary: {path}")
        return cls(data.get("words", {}), data.get("stems", {}))

    # splitting

    def split(self, word: str, lang: str) -> list[str]:
        """The parts of a compound (lowercased surface spellings, linking letters dropped), or []."""
        if lang not in COMPOUND_LANGUAGES:
            return []
        word = lower(word)
        if not (MIN_COMPOUND <= len(word) <= MAX_COMPOUND) or not word.isalpha():
            return []
        key = (lang, word)
        parts = self._cache.get(key)
        if parts is None:
            parts = tuple(self._expand(word, lang, top=True))
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = parts
        return list(parts)

    def top_parts(self, word: str, lang: str) -> list[str]:
        """The coarsest split ("affaldssorteringsanlæg" -> affaldssortering + anlæg), or []."""
        if lang not in COMPOUND_LANGUAGES:
            return []
        word = lower(word)
        if not (MIN_COMPOUND <= len(word) <= MAX_COMPOUND) or not word.isalpha():
            return []
        best = self._best(word, lang)
        return list(best[1]) if best else []

    def query_parts(self, word: str, lang: str) -> list[str]:
        """The parts a query word is searched by, or [] to search the whole word: only a word
        whose stem the archive does not know is split, so "hjemmeplejen" finds itself even
        where the index kept it whole, and "praktikpladser" (stem praktikplad) meets
        "praktikplads"; "affaldsortering" (no such word) becomes affald + sortering."""
        if lang not in COMPOUND_LANGUAGES or stem(lower(word), lang) in self.stems[lang]:
            return []
        return self.top_parts(word, lang)

    def _expand(self, word: str, lang: str, *, top: bool) -> list[str]:
        best = self._best(word, lang) if len(word) >= MIN_COMPOUND else None
        if best is None:
            return [] if top else [word]
        out: list[str] = []
        for part in best[1]:
            for p in ([part] + self._expand(part, lang, top=True)):
                if p not in out:
                    out.append(p)
        return out

    def _count(self, key: str, lang: str) -> float:
        """How often the archive uses a folded word: in `lang`, else (weighed down) in a sibling
        language, so a small archive still knows "gård" when only Danish texts use it alone."""
        n = self.words[lang].get(key, 0)
        if n:
            return n
        return max((self.words[other].get(key, 0) for other in SIBLINGS[lang]), default=0) / 4

    def _known_stem(self, key: str, lang: str) -> bool:
        return key in self.stems[lang] or any(key in self.stems[other] for other in SIBLINGS[lang])

    def _known_first(self, part: str, lang: str) -> float:
        key = fold(part)
        if key in NOT_FIRST or key in stop_words(lang):
            return 0
        n = self._count(key, lang)
        if n:
            return n
        # A first part may drop its word's final vowel: "arbejd-s-plads" (arbejde), "skol-gård"
        # (skola), "kvinn-o-hus" (kvinna). Any other stem is no part: "praktikplad-ser" is not.
        if len(part) >= MIN_STEM_PART and self._known_stem(key, lang):
            for vowel in "eao":
                if self._count(key + vowel, lang):
                    return 0.5  # below a whole word, so "ældre-pleje" beats "ældr-e-pleje"
        return 0

    def _known_last(self, part: str, lang: str) -> float:
        key = fold(part)
        if key in NOT_LAST or key in stop_words(lang):
            return 0
        n = self._count(key, lang)
        if n:
            return n
        # an inflected last part ("-pladser", "-omsorgen") whose stem the archive knows
        if len(part) >= MIN_STEM_PART and self._known_stem(stem(part, lang), lang):
            return 0.5
        return 0

    def _best(self, word: str, lang: str) -> tuple[int, tuple[str, ...], float] | None:
        """The split into the fewest parts (at least two), then the most frequent parts, as
        (number of parts, parts, sum of log counts); None when the word is no known compound."""
        links = ("",) + LINKS[lang]
        memo: dict[int, tuple[int, tuple[str, ...], float] | None] = {}

        def search(i: int, single: bool) -> tuple[int, tuple[str, ...], float] | None:
            # word[i:] as parts, the last of which ends the word; `single`: one part will do
            if single and i in memo:
                return memo[i]
            best: tuple[int, tuple[str, ...], float] | None = None
            if single and len(word) - i >= MIN_PART:
                n = self._known_last(word[i:], lang)
                if n:
                    best = (1, (word[i:],), math.log(n + 1))
            for j in range(i + MIN_PART, len(word) - MIN_PART + 1):
                n = self._known_first(word[i:j], lang)
                if not n:
                    continue
                for link in links:
                    if link and not word.startswith(link, j):
                        continue
                    after = search(j + len(link), True)
                    if after is None:
                        continue
                    cand = (after[0] + 1, (word[i:j],) + after[1], after[2] + math.log(n + 1))
                    if best is None or (cand[0], -cand[2]) < (best[0], -best[2]):
                        best = cand
            if single:
                memo[i] = best
            return best

        return search(0, False)


_dictionary: CompoundDictionary | None = None


def set_dictionary(d: CompoundDictionary | None) -> None:
    """Make `d` the dictionary every compound filter in this process consults (None: no splitting)."""
    global _dictionary
    _dictionary = d


def get_dictionary() -> CompoundDictionary | None:
    return _dictionary


# --- filters -----------------------------------------------------------------------------------


class FoldFilter(Filter):
    """`fold` on every token (the spelling field's words: whole, unstemmed)."""

    def __call__(self, tokens: Iterator) -> Iterator:
        for t in tokens:
            t.text = fold(t.text)
            yield t


class NordicLowercaseFilter(Filter):
    """Casefold and drop accents, keeping æ ø å ä ö for the stemmers."""

    def __call__(self, tokens: Iterator) -> Iterator:
        for t in tokens:
            t.text = lower(t.text)
            yield t


class NordicStopFilter(Filter):
    """The language's stop list compared on folded text ("foer" stops like "för"); drops 1-letter
    tokens and renumbers positions as Whoosh's StopFilter does. Holds only the language code."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, tokens: Iterator) -> Iterator:
        stops = stop_words(self.lang)
        pos = None
        for t in tokens:
            text = t.text
            if len(text) >= 2 and fold(text) not in stops:
                if t.positions:
                    if pos is None:
                        pos = t.pos
                    else:
                        pos += 1
                        t.pos = pos
                t.stopped = False
                yield t
            elif not t.removestops:
                t.stopped = True
                yield t


class NordicStemFilter(Filter):
    """Split compounds (da/nb/sv), stem and fold. Holds only short strings: the dictionary is the
    process-global one (`set_dictionary`)."""

    is_morph = True

    def __init__(self, lang: str, compounds: bool = True, query_compounds: str = QUERY_COMPOUNDS) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        if query_compounds not in QUERY_COMPOUND_MODES:
            raise ValueError(f"unknown query_compounds {query_compounds!r}")
        self.lang = lang
        self.compounds = compounds and lang in COMPOUND_LANGUAGES
        self.query_compounds = query_compounds

    def __call__(self, tokens: Iterator) -> Iterator:
        lang = self.lang
        for t in tokens:
            word = t.text
            whole = stem(word, lang)
            dictionary = _dictionary if self.compounds and not t.stopped else None
            if dictionary is None or not (MIN_COMPOUND <= len(word) <= MAX_COMPOUND):
                t.text = whole
                yield t
                continue
            if t.mode == "query":
                if t.chars or self.query_compounds == "none":
                    # a phrase: its words must stay one token each, at consecutive positions
                    parts = []
                else:
                    parts = dictionary.query_parts(word, lang)
                    if self.query_compounds == "beside":
                        parts = dictionary.split(word, lang)
                keep_whole = not parts or self.query_compounds == "beside"
            else:
                parts = dictionary.split(word, lang)
                keep_whole = True
            seen: set[str] = set()
            if keep_whole:
                seen.add(whole)
                t.text = whole
                yield t
            for part in parts:
                text = stem(part, lang)
                if text in seen:
                    continue
                seen.add(text)
                t.text = text
                yield t


def analyzer(lang: str, *, compounds: bool = True, query_compounds: str = QUERY_COMPOUNDS) -> Analyzer:
    """The analyzer of the fields holding text written in `lang`, at index and query time."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    return (
        RegexTokenizer(expression=default_pattern)
        | NordicLowercaseFilter()
        | NordicStopFilter(lang)
        | NordicStemFilter(lang, compounds=compounds, query_compounds=query_compounds)
    )


def plain_analyzer(lang: str) -> Analyzer:
    """Whoosh's own LanguageAnalyzer (lowercase, Snowball stop list and stemmer): the baseline."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    return LanguageAnalyzer(WHOOSH_LANGUAGE[lang])
