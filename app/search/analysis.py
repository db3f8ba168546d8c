"""Text analysis for Nordic public-sector prose (a first cut: folding and Snowball per language).

The analysis helper widens this module (compound splitting, tuned folding); the names below are
the contract the schema and the backends rely on.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path

from whoosh.analysis import (
    Analyzer,
    Filter,
    LanguageAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.lang import stopwords_for_language

LANGUAGES: tuple[str, ...] = ("en", "da", "nb", "sv")
# Whoosh's Snowball has Norwegian as "no" (Bokmål); there is no "nb".
SNOWBALL = {"en": "en", "da": "da", "nb": "no", "sv": "sv"}

_LETTERS = str.maketrans({"æ": "ä", "ø": "ö", "å": "å"})


def fold(text: str) -> str:
    """Case-fold, make æ/ä, ø/ö and aa/å meet, and drop other accents."""
    text = text.casefold().translate(_LETTERS).replace("aa", "å")
    kept = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            # keep the Nordic letters' marks (ä ö å stay apart from a o), drop the rest (é -> e)
            if ch in ("\u0308", "\u030a") and kept and kept[-1] in "aoå":
                kept.append(ch)
            continue
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


class FoldFilter(Filter):
    def __call__(self, tokens):  # type: ignore[no-untyped-def]
        for t in tokens:
            t.text = fold(t.text)
            yield t


def analyzer(lang: str, *, compounds: bool = True) -> Analyzer:
    code = SNOWBALL.get(lang, "en")
    return (RegexTokenizer() | LowercaseFilter() | StopFilter(stoplist=stopwords_for_language(code), minsize=1)
            | StemFilter(lang=code) | FoldFilter())


def plain_analyzer(lang: str) -> Analyzer:
    return LanguageAnalyzer(SNOWBALL.get(lang, "en"))


class CompoundDictionary:
    """Placeholder until compound splitting lands: splits nothing."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words = set(words)

    @classmethod
    def from_texts(cls, texts: Iterable[tuple[str, str]]) -> CompoundDictionary:
        return cls()

    def split(self, word: str, lang: str) -> list[str]:
        return [word]

    def save(self, path: Path) -> None:
        path.write_text("\n".join(sorted(self.words)), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> CompoundDictionary:
        return cls(path.read_text(encoding="utf-8").split())


_dictionary: CompoundDictionary | None = None


def set_dictionary(d: CompoundDictionary | None) -> None:
    global _dictionary
    _dictionary = d
