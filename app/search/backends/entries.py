"""The jury's entries index on Whoosh: the public backend's schema and analysis in a second
directory (SEARCH_INDEX_DIR/entries), so that entry documents never enter the public index (S32).

The compound dictionary is process-global (analysis.set_dictionary) and belongs to the public
archive, built from its vocabulary: the entries index splits with it and never replaces it (a
rebuild of the entries index would otherwise swap the archive's dictionary for one built from a
few hundred private entries, and a dictionary built from private entries would be a list of their
words). A process that has not opened the public index yet loads the public dictionary before it
writes or searches entries, so both are analysed alike.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from app.search import analysis
from app.search.backends import SearchRequest, SearchResults
from app.search.backends.whoosh import CURRENT, DICTIONARY, WhooshBackend
from app.search.documents import SearchDocument

SHARED_DICTIONARY = "shared-dictionary"


class EntriesWhooshBackend(WhooshBackend):
    name = "whoosh"

    def __init__(self, root: str | Path, *, public_root: str | Path | None = None) -> None:
        super().__init__(root, analysis_mode="full")
        # The analysers above are the full ones; the mode now only tells rebuild() and the opening
        # of an index not to build, save or load a dictionary of their own.
        self.analysis_mode = SHARED_DICTIONARY
        self.public_root = Path(public_root) if public_root is not None else None

    def _ensure_dictionary(self) -> None:
        if self.public_root is None or analysis.get_dictionary() is not None:
            return
        try:
            current = self.public_root / os.readlink(self.public_root / CURRENT)
        except OSError:
            return
        file = current / DICTIONARY
        if file.exists():
            analysis.set_dictionary(analysis.CompoundDictionary.load(file))

    def _load_dictionary(self, path: Path) -> None:
        self._ensure_dictionary()

    def search(self, request: SearchRequest) -> SearchResults:
        self._ensure_dictionary()
        return super().search(request)

    def write(self, upserts: Iterable[SearchDocument], deletes: Iterable[str]) -> None:
        self._ensure_dictionary()
        super().write(upserts, deletes)

    def rebuild(self, documents: Callable[[], Iterator[SearchDocument]], *, replay: Callable[[], None]) -> int:
        self._ensure_dictionary()
        return super().rebuild(documents, replay=replay)
