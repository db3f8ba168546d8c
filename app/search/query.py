"""The search box's small syntax, parsed once for every backend.

    words          all of them (in any of the four languages' forms)
    "a phrase"     these words next to each other
    -word -"a b"   none of these
    a OR b         either (binds the two terms beside it)

Anything else is a plain word: there are no field names (`author:x`), wildcards or ranges, so the
public index can only be asked about its public text (S32), and `*` never expands to the whole
vocabulary. Unbalanced quotes and lone operators are reported as a `QuerySyntaxError` with a
message for the page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.i18n import _l

MAX_QUERY_CHARS = 500
MAX_TERMS = 12

# Word characters of any script, plus the apostrophe and hyphen inside a word.
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)


class QuerySyntaxError(ValueError):
    """The query cannot be understood; `message` says why, for the search page."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]           # one word, or a phrase's words
    phrase: bool = False

    def text(self) -> str:
        joined = " ".join(self.words)
        return f'"{joined}"' if self.phrase else joined


@dataclass
class ParsedQuery:
    required: list[tuple[Term, ...]] = field(default_factory=list)   # each: any of these (OR group)
    excluded: list[Term] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.required and not self.excluded

    @property
    def positive_words(self) -> list[str]:
        return [w for group in self.required for t in group for w in t.words]


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text))


def parse_query(text: str) -> ParsedQuery:
    """Parse the search box's text. Raises QuerySyntaxError."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(_l("The search is too long: use at most %(n)s characters.", n=MAX_QUERY_CHARS))
    if text.count('"') % 2:
        raise QuerySyntaxError(_l("A quotation mark is not closed: put a phrase between two quotation marks."))
    # Split into tokens: -"phrase", "phrase", -word, OR, word.
    tokens: list[tuple[str, str]] = []
    for m in re.finditer(r'(-?)"([^"]*)"|(\S+)', text):
        if m.group(3) is None:
            tokens.append(("-phrase" if m.group(1) else "phrase", m.group(2)))
        else:
            raw = m.group(3)
            if raw == "OR":
                tokens.append(("or", raw))
            elif raw.startswith("-") and len(raw) > 1:
                tokens.append(("-word", raw[1:]))
            else:
                tokens.append(("word", raw))
    parsed = ParsedQuery()
    pending_or = False
    for kind, value in tokens:
        if kind == "or":
            if not parsed.required or pending_or:
                raise QuerySyntaxError(_l("OR needs a word on each side, as in: cykel OR sykkel."))
            pending_or = True
            continue
        words = _words(value)
        if kind in ("-word", "-phrase"):
            if pending_or:
                raise QuerySyntaxError(_l("OR needs a word on each side, as in: cykel OR sykkel."))
            if words:
                parsed.excluded.append(Term(words, phrase=kind == "-phrase" and len(words) > 1))
            continue
        if not words:
            if pending_or:
                raise QuerySyntaxError(_l("OR needs a word on each side, as in: cykel OR sykkel."))
            continue  # punctuation, a lone "-" or "*": nothing to look for
        if kind == "phrase" and len(words) > 1:
            new_terms: list[Term] = [Term(words, phrase=True)]
        else:
            # A token such as "skole/uddannelse" or "e-mail" holds several words: each required.
            new_terms = [Term((w,)) for w in words]
        if pending_or:
            last = parsed.required.pop()
            parsed.required.append((*last, new_terms[0]))
            parsed.required.extend((t,) for t in new_terms[1:])
            pending_or = False
        else:
            parsed.required.extend((t,) for t in new_terms)
    if pending_or:
        raise QuerySyntaxError(_l("OR needs a word on each side, as in: cykel OR sykkel."))
    if len(parsed.required) + len(parsed.excluded) > MAX_TERMS:
        raise QuerySyntaxError(_l("The search has too many words: use at most %(n)s.", n=MAX_TERMS))
    if not parsed.required and parsed.excluded:
        raise QuerySyntaxError(_l("Say what to look for, not only what to leave out (a word without a minus)."))
    return parsed
