"""Nordic text analysis (app/search/analysis.py): folding, stemming per language, stop words,
compound splitting at index and query time, the dictionary file, and hostile input.

Plain Whoosh indexes in a temp dir stand in for the real backend where a test needs a search;
the quality bench's own evaluation runs on a slice of the relevance set at the end.
"""
from __future__ import annotations

import gzip
import pickle
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import index
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import QueryParser

from app.search import analysis
from app.search.analysis import (
    CompoundDictionary,
    analyzer,
    fold,
    plain_analyzer,
    set_dictionary,
)

TEXTS = [
    ("da", "Affald skal sorteres. Sortering af affald i gården. Arbejde og en plads til alle. "
           "Ældre borgere og pleje. Skolen har en gård. Borgerne mødes på biblioteket."),
    ("da", "Affaldssortering i etageboliger. Arbejdspladser i kommunen. Ældreplejen og skolegården."),
    ("nb", "Avfall og sortering. Barn i hage. Skolene og gården. Arbeid og en plass."),
    ("sv", "Avfall och sortering. Skola och gård. Kvinna i ett hus. Äldre och omsorg. Arbete och plats."),
]


@pytest.fixture
def dictionary() -> Iterator[CompoundDictionary]:
    d = CompoundDictionary.from_texts(TEXTS)
    set_dictionary(d)
    yield d
    set_dictionary(None)


def tokens(lang: str, text: str, **kwargs: object) -> list[str]:
    return [t.text for t in analyzer(lang)(text, **kwargs)]


# --- folding -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("Ældre", "äldre"), ("BØRN", "börn"), ("Åbenrå", "Aabenraa"), ("Bærum", "Baerum"),
    ("Tromsø", "TROMSOE"), ("Malmö", "Malmø"), ("café", "CAFE"), ("naïve", "naive"),
    ("Straße", "strasse"), ("ﬁne", "fine"),
])
def test_fold_makes_spellings_meet(a: str, b: str) -> None:
    """æ/ä, ø/ö and aa/å meet, accents and case are folded (issue 11, item 1)."""
    assert fold(a) == fold(b)


def test_fold_keeps_different_letters_apart() -> None:
    assert fold("får") != fold("far")
    assert fold("sø") != fold("so")
    assert fold("ΆΘΗΝΑ") == "αθηνα"


def test_a_document_and_a_query_meet_across_spellings() -> None:
    assert tokens("da", "Ældre") == tokens("da", "aeldre") == tokens("da", "äldre")
    assert tokens("sv", "äldre") == tokens("da", "ældre")
    assert tokens("da", "Åbenrå") == tokens("da", "Aabenraa")
    assert tokens("nb", "Bærum") == tokens("nb", "Baerum")


# --- stemming and stop words -------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "forms"), [
    ("da", ["skole", "skolen", "skoler", "skolerne"]),
    ("nb", ["skole", "skolen", "skoler", "skolene"]),
    ("sv", ["skola", "skolan", "skolor", "skolorna"]),
    ("sv", ["kommun", "kommunen", "kommuner", "kommunerna"]),
    ("en", ["school", "schools"]),
    ("da", ["plads", "pladser"]),
    ("sv", ["arbetsplats", "arbetsplatser"]),
    ("sv", ["boende", "boendet"]),
])
def test_inflected_forms_share_a_stem(lang: str, forms: list[str]) -> None:
    stems = {tuple(tokens(lang, f)) for f in forms}
    assert len(stems) == 1, stems


def test_plain_snowball_leaves_what_the_full_analysis_joins() -> None:
    """The second pass and the Swedish definite -an are what the baseline lacks."""
    plain = [t.text for t in plain_analyzer("da")("plads pladser")]
    assert plain[0] != plain[1]
    plain_sv = [t.text for t in plain_analyzer("sv")("skola skolan")]
    assert plain_sv[0] != plain_sv[1]


def test_norwegian_bokmal_uses_the_norwegian_stemmer() -> None:
    assert tokens("nb", "kommunene") == tokens("nb", "kommune") == ["kommun"]
    assert [t.text for t in plain_analyzer("nb")("kommunene")] == ["kommun"]


def test_a_norwegian_word_meets_danish_and_swedish_stems() -> None:
    # the query runs through each language's analyser: Norwegian "skolene" in the da and sv fields
    assert tokens("da", "skolene") == tokens("da", "skolerne")
    assert tokens("sv", "skolene") == tokens("sv", "skolorna")


@pytest.mark.parametrize(("lang", "text"), [
    ("da", "og i på det"), ("nb", "og i på ikke"), ("sv", "och i på inte"), ("en", "the and of it"),
])
def test_stop_words_are_dropped(lang: str, text: str) -> None:
    assert tokens(lang, text) == []


def test_stop_words_are_compared_folded_and_positions_renumbered() -> None:
    assert tokens("sv", "FÖR för foer") == []
    assert [t.pos for t in analyzer("da")("skolen og i kommunen", positions=True)] == [0, 1]


def test_stop_words_kept_for_highlighting_when_asked() -> None:
    toks = [(t.text, t.stopped) for t in analyzer("da")("skolen og", removestops=False)]
    assert ("og", True) in toks


# --- compounds ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("word", "lang", "parts"), [
    ("affaldssortering", "da", ["affald", "sortering"]),
    ("arbejdsplads", "da", ["arbejd", "plads"]),        # arbejde drops its e before the s
    ("ældrepleje", "da", ["ældre", "pleje"]),
    ("barnehage", "nb", ["barn", "hage"]),               # linking e
    ("avfallssortering", "nb", ["avfall", "sortering"]),
    ("skolgård", "sv", ["skol", "gård"]),                # skola drops its a
    ("kvinnohus", "sv", ["kvinn", "hus"]),               # linking o
    ("äldreomsorgen", "sv", ["äldre", "omsorgen"]),      # an inflected last part
])
def test_split_finds_known_parts_and_linking_letters(dictionary: CompoundDictionary, word: str,
                                                     lang: str, parts: list[str]) -> None:
    assert dictionary.split(word, lang) == parts


@pytest.mark.parametrize(("word", "lang"), [
    ("affald", "da"),          # a part, not a compound
    ("borgerne", "da"),        # bor + gerne: no, -erne is an inflection
    ("sorteres", "da"),
    ("arbejdspladsen", "en"),  # no closed compounds in English
    ("x" * 41, "da"),          # too long to be a word
    ("abc", "da"),
])
def test_split_refuses_what_is_no_compound(dictionary: CompoundDictionary, word: str, lang: str) -> None:
    assert dictionary.split(word, lang) == []


def test_split_never_yields_stop_words_or_short_fragments(dictionary: CompoundDictionary) -> None:
    d = CompoundDictionary.from_texts([("da", "og til at en i ud for skole gård")])
    for word in ("ogskole", "tilskole", "iskole", "skoleen", "forskole", "udgård"):
        assert d.split(word, "da") == [] or all(len(p) >= 3 for p in d.split(word, "da"))
        for part in d.split(word, "da"):
            assert fold(part) not in analysis.stop_words("da")
    assert d.split("ogskole", "da") == []


def test_index_time_split_emits_parts_at_the_same_position(dictionary: CompoundDictionary) -> None:
    toks = [(t.text, t.pos) for t in analyzer("da")("affaldssortering virker", positions=True)]
    assert toks == [("affaldssortering", 0), ("affald", 0), ("sortering", 0), ("virk", 1)]


def test_without_a_dictionary_or_with_compounds_off_nothing_splits(dictionary: CompoundDictionary) -> None:
    assert tokens("da", "affaldssortering") != ["affaldssortering"]
    assert [t.text for t in analyzer("da", compounds=False)("affaldssortering")] == ["affaldssortering"]
    set_dictionary(None)
    assert tokens("da", "affaldssortering") == ["affaldssortering"]


def test_query_time_split_only_for_words_the_archive_does_not_know(dictionary: CompoundDictionary) -> None:
    # known to the archive: searched whole (the index has it whole, with its parts beside)
    assert tokens("da", "affaldssortering", mode="query") == ["affaldssortering"]
    # "arbejdspladsen" is unknown, its stem is known (arbejdsplad): whole
    assert tokens("da", "arbejdspladsen", mode="query") == ["arbejdsplad"]
    # unknown compounds become their parts, which the backend ANDs
    assert tokens("da", "affaldsordning", mode="query") == ["affaldsordning"]  # ordning unknown
    assert tokens("da", "skoleaffald", mode="query") == ["skol", "affald"]
    # in a phrase (tokenised with chars=True) a word stays one token
    assert tokens("da", "skoleaffald", mode="query", chars=True) == ["skoleaffald"]


def _index(tmp_path: Path, docs: dict[str, tuple[str, str]], make=analyzer) -> index.Index:
    schema = Schema(id=ID(stored=True), **{f"body_{lang}": TEXT(analyzer=make(lang), phrase=True)
                                            for lang in analysis.LANGUAGES})
    ix = index.create_in(str(tmp_path), schema)
    with ix.writer() as w:
        for doc_id, (lang, text) in docs.items():
            w.add_document(id=doc_id, **{f"body_{lang}": text})
    return ix


def _find(ix: index.Index, text: str, lang: str) -> set[str]:
    qp = QueryParser(f"body_{lang}", ix.schema)
    with ix.searcher() as s:
        return {h["id"] for h in s.search(qp.parse(text), limit=None)}


def test_affald_finds_affaldssortering_and_back(tmp_path: Path, dictionary: CompoundDictionary) -> None:
    """(issue 11, item 1) "affald" finds "affaldssortering"; "arbejdspladser" finds "arbejdsplads"."""
    ix = _index(tmp_path, {"a": ("da", "Bedre affaldssortering i etageboligerne"),
                           "b": ("da", "En rigtig arbejdsplads indefra"),
                           "c": ("da", "Cykler og pendlere")})
    assert _find(ix, "affald", "da") == {"a"}
    assert _find(ix, "arbejdspladser", "da") == {"b"}
    assert _find(ix, "sortering", "da") == {"a"}
    assert _find(ix, '"bedre affaldssortering"', "da") == {"a"}


def test_plain_snowball_misses_the_compound(tmp_path: Path) -> None:
    ix = _index(tmp_path, {"a": ("da", "Bedre affaldssortering i etageboligerne")}, make=plain_analyzer)
    assert _find(ix, "affald", "da") == set()


# --- the dictionary file -----------------------------------------------------------------------

def test_dictionary_save_and_load(tmp_path: Path, dictionary: CompoundDictionary) -> None:
    path = tmp_path / "compounds.json.gz"
    dictionary.save(path)
    loaded = CompoundDictionary.load(path)
    assert loaded.words == dictionary.words
    assert loaded.stems == dictionary.stems
    assert loaded.split("affaldssortering", "da") == ["affald", "sortering"]
    assert not list(tmp_path.glob("*.tmp"))
    assert path.stat().st_size < 4096


def test_dictionary_load_refuses_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "x"
    bad.write_text("affald\nsortering\n")
    with pytest.raises(ValueError, match="not a compound dictionary"):
        CompoundDictionary.load(bad)
    other = tmp_path / "y"
    other.write_bytes(gzip.compress(b'{"format": "something else"}'))
    with pytest.raises(ValueError, match="not a compound dictionary"):
        CompoundDictionary.load(other)


def test_dictionary_skips_english_stop_words_and_digits() -> None:
    d = CompoundDictionary.from_texts([("en", "waste sorting"), ("da", "og affald 2024 co2")])
    assert "waste" not in str(d.words)
    assert set(d.words["da"]) == {"affald"}


# --- the schema pickles small ------------------------------------------------------------------

@pytest.mark.parametrize("lang", analysis.LANGUAGES)
def test_analyzer_pickles_small_and_without_the_dictionary(lang: str) -> None:
    big = CompoundDictionary.from_texts([("da", " ".join(f"ord{i}x" for i in range(5000)))])
    set_dictionary(big)
    try:
        blob = pickle.dumps(analyzer(lang))
        assert len(blob) < 1024
        assert b"ord4999x" not in blob
        restored = pickle.loads(blob)
        assert [t.text for t in restored("skolerne")] == [t.text for t in analyzer(lang)("skolerne")]
    finally:
        set_dictionary(None)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        analyzer("de")


# --- hostile input -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Αθήνα δήμος σχολεία", "مدرسة البلدية", "🚲🌧️♻️", "自転車 と 学校", "학교", "", "   ", "a-b-c", "\u0301\u0308",
])
@pytest.mark.parametrize("lang", analysis.LANGUAGES)
def test_scripts_the_analysers_do_not_know_do_not_crash(dictionary: CompoundDictionary, lang: str,
                                                        text: str) -> None:
    for mode in ("index", "query"):
        list(analyzer(lang)(text, mode=mode, positions=True, chars=True))
    assert isinstance(fold(text), str)


def test_greek_is_folded_and_kept() -> None:
    assert tokens("en", "ΣΧΟΛΕΊΑ") == ["σχολεια"]


@pytest.mark.parametrize("text", [
    "skolerne " * 1200, "a" * 10_000, "affaldssortering" * 600, "æøå" * 3400, "ab " * 3333,
])
def test_ten_thousand_characters_stay_fast(dictionary: CompoundDictionary, text: str) -> None:
    text = text[:10_000]
    started = time.perf_counter()
    for lang in analysis.LANGUAGES:
        list(analyzer(lang)(text, mode="query"))
        list(analyzer(lang)(text))
    assert time.perf_counter() - started < 2.0


# --- the quality bench on a slice --------------------------------------------------------------

def test_quality_bench_evaluates_a_slice(tmp_path: Path) -> None:
    """The bench's own evaluation through the real backend, on four languages' worth of queries."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[2] / "bench" / "search_quality.py"
    spec = importlib.util.spec_from_file_location("search_quality_bench", path)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench   # dataclasses look their module up while the file runs
    spec.loader.exec_module(bench)

    docs = bench.load_corpus()
    assert len(docs) >= 80
    assert {d.language for d in docs} == set(analysis.LANGUAGES)
    queries = [q for q in bench.load_queries() if q.id in {"da-q03", "da-q05", "nb-q13", "sv-q03"}]
    assert len(queries) == 4
    wanted = {e for q in queries for e in q.expect}
    slice_ = [d for d in docs if d.doc_id in wanted or d.doc_id.endswith(("-10", "-11"))]
    try:
        results = {}
        for mode in ("snowball", "full"):
            backend, _, size = bench.build(tmp_path / mode, mode, slice_)
            assert size > 0
            results[mode] = bench.evaluate(backend, queries)
    finally:
        set_dictionary(None)
    full = bench.summarise(results["full"], [q.id for q in queries])
    plain = bench.summarise(results["snowball"], [q.id for q in queries])
    assert full == (1.0, 1.0)
    # Plain Snowball with the backend's typo correction may find these too; never more than the full analysis.
    assert plain[0] <= full[0]
