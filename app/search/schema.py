"""One schema for challenges and published concepts, with per-language text fields.

A document's text goes only into the fields of its own language (title_da, summary_da, body_da
for a Danish one), each analysed by that language's analyser; a query runs through all four, so
one query word meets inflected forms in every language the archive holds (analysis.py).
"""
from __future__ import annotations

from collections.abc import Callable

from whoosh.analysis import Analyzer, RegexTokenizer
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from app.search import analysis

# Title weighs more than summary, summary more than body (issue 11, item 1).
TEXT_PARTS = {"title": 3.0, "summary": 1.6, "body": 1.0}
# Facets people filter on: the index field that holds each one's values.
FACETS = ("type", "organisation", "country", "year", "language", "tag", "sdg", "winner")


def text_fields() -> list[str]:
    return [f"{part}_{lang}" for part in TEXT_PARTS for lang in analysis.LANGUAGES]


def spelling_analyzer() -> Analyzer:
    """Whole words, lower-cased with the Nordic letters kept, unstemmed: what "did you mean"
    proposes from, so a suggestion reads "välfärdsteknik", not a folded "vaelfaerdsteknik"."""
    return RegexTokenizer() | analysis.NordicLowercaseFilter()


def build_schema(make_analyzer: Callable[[str], Analyzer] | None = None) -> Schema:
    """The index schema; `make_analyzer(lang)` gives each language's analyser (the full analysis
    by default, plain Snowball for the quality bench's baseline)."""
    make = make_analyzer or analysis.analyzer
    fields: dict[str, object] = {
        "doc_id": ID(stored=True, unique=True),
        "type": ID(stored=True),
        "object_id": NUMERIC(stored=True),
        "challenge_id": NUMERIC(stored=True),
        "organisation": ID(stored=True),
        "country": ID(stored=True),
        "language": ID(stored=True),
        "tag": KEYWORD(stored=True, commas=True, lowercase=True),
        "sdg": KEYWORD(stored=True, commas=True),
        "year": NUMERIC(stored=True, sortable=True),
        "winner": BOOLEAN(stored=True),
        "imported": BOOLEAN(stored=True),
        "date": DATETIME(stored=True, sortable=True),
        "state": ID(stored=True),
        "prize_minor": NUMERIC(stored=True, bits=64),
        "currency": STORED(),
        "url": STORED(),
        "organisation_name": STORED(),
        "challenge_title": STORED(),
        "tag_names": STORED(),
        "words": TEXT(analyzer=spelling_analyzer(), spelling=True),
    }
    for lang in analysis.LANGUAGES:
        an = make(lang)
        for part, boost in TEXT_PARTS.items():
            # Title and summary are stored for the result's title and highlighted snippet; the
            # body is not (size), so the snippet comes from the summary (TOOLS.md: re-analysing
            # stored bodies costs ~20 ms a page).
            fields[f"{part}_{lang}"] = TEXT(analyzer=an, stored=part != "body", field_boost=boost,
                                            phrase=True)
    return Schema(**fields)
