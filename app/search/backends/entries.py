"""The jury's entries index on Whoosh: the public backend's schema and analysis in a second
directory (SEARCH_INDEX_DIR/entries), so that entry documents never enter the public index (S32).

The compound dictionary is process-global (analysis.set_dictionary) and belongs to the public
archive, built from its vocabulary: the entries index splits with it and never replaces it (a
rebuild of the entries index would otherwise swap the archive's dictionary for one built from a
few hundred private entries).
"""
from __future__ import annotations

from pathlib import Path

from app.search.backends.whoosh import WhooshBackend

SHARED_DICTIONARY = "shared-dictionary"


class EntriesWhooshBackend(WhooshBackend):
    name = "whoosh"

    def __init__(self, root: str | Path) -> None:
        super().__init__(root, analysis_mode="full")
        # The analysers above are the full ones; the mode now only tells rebuild() and the opening
        # of an index not to build, save or load a dictionary of their own.
        self.analysis_mode = SHARED_DICTIONARY

    def _load_dictionary(self, path: Path) -> None:
        return None
