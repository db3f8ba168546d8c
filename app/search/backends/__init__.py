"""Search backends: one small interface, two implementations (Whoosh embedded, PostgreSQL FTS)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from markupsafe import Markup

from app.search.documents import SearchDocument
from app.search.query import ParsedQuery

SORTS = ("relevance", "date")


class IndexUnavailableError(RuntimeError):
    """The index is missing, corrupt or cannot be opened: callers fall back to the database."""


@dataclass(frozen=True)
class SearchRequest:
    query: ParsedQuery = field(default_factory=ParsedQuery)
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # facet -> values (OR within)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: bool = True
    # A permission filter for entry documents (jury search): only these ids may be returned.
    only_ids: frozenset[str] | None = None
    suggest: bool = True


@dataclass(frozen=True)
class Hit:
    doc_id: str
    type: str
    object_id: int
    title: str
    snippet: Markup
    url: str
    language: str
    organisation: str
    organisation_name: str
    challenge_id: int
    challenge_title: str
    year: int
    date: datetime | None
    winner: bool
    imported: bool
    tag_names: tuple[str, ...]
    score: float


@dataclass
class SearchResults:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None       # the query with misspelt words corrected
    corrected: bool = False             # typos were matched fuzzily

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class SearchBackend(Protocol):
    name: str

    def search(self, request: SearchRequest) -> SearchResults:
        """Raises IndexUnavailableError when the index cannot answer."""

    def similar(self, doc_id: str, *, limit: int = 5, types: tuple[str, ...] = (),
                exclude_challenge: int | None = None) -> list[Hit]:
        """Documents like this one (more-like-this); [] when it is not in the index."""

    def similar_to_text(self, text: str, language: str, *, limit: int = 5,
                        types: tuple[str, ...] = ()) -> list[Hit]:
        """Documents like a text that is not in the index (a draft being written)."""

    def write(self, upserts: Iterable[SearchDocument], deletes: Iterable[str]) -> None:
        """Apply changes; callers hold `writing()`."""

    def writing(self, timeout: float = 10.0) -> AbstractContextManager[None]:
        """The lock every index write holds (one writer at a time, across processes)."""

    def rebuild(self, documents: Iterator[SearchDocument], *, replay: Callable[[], None]) -> int:
        """Build a complete new index aside and swap it in; `replay` runs just before the swap,
        holding the lock, to apply what changed while building. Returns the document count."""

    def doc_ids(self) -> set[str]:
        """Every id in the index (for `flask search check`)."""

    def count(self) -> int: ...

    def status(self) -> dict[str, object]:
        """{"ok": bool, ...} for /healthz."""
