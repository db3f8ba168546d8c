"""LIX, the Scandinavian readability index (Björnsson 1968), with a plain-language verdict.

LIX = words / sentences + 100 * long words / words, where a long word has more than six letters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.i18n import _l

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?:;]+(?=\s|$)|\n\s*\n")

# Bands as used by Swedish and Danish plain-language guidance.
BANDS = (
    (25, _l("Very easy: children's books.")),
    (35, _l("Easy: fiction and popular magazines.")),
    (45, _l("Medium: newspapers. Most readers can follow this.")),
    (55, _l("Difficult: official documents and reports. Consider shorter sentences and words.")),
    (10_000, _l("Very difficult: academic or legal prose. Many citizens will struggle; please simplify.")),
)


@dataclass(frozen=True)
class Readability:
    lix: int
    words: int
    sentences: int
    long_words: int
    verdict: str


def lix(text: str) -> Readability | None:
    """The LIX of `text`, or None when there are too few words (under 10) to say anything."""
    words = _WORD.findall(text or "")
    if len(words) < 10:
        return None
    sentences = max(1, len([s for s in _SENTENCE_END.split(text.strip()) if _WORD.search(s)]))
    long_words = sum(1 for w in words if len(w.replace("-", "").replace("'", "").replace("’", "")) > 6)
    score = round(len(words) / sentences + 100 * long_words / len(words))
    verdict = next(str(label) for limit, label in BANDS if score < limit)
    return Readability(lix=score, words=len(words), sentences=sentences, long_words=long_words, verdict=verdict)
