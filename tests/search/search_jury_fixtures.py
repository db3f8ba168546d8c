"""make_judging for the jury search tests: the judging tests' own fixture (tests/judging/conftest.py),
loaded from its file, so both build a challenge in judging the same way (a conftest's fixtures
reach only the tests below it)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

_path = Path(__file__).resolve().parents[1] / "judging" / "conftest.py"
_spec = importlib.util.spec_from_file_location("_judging_fixtures_for_search", _path)
assert _spec is not None
assert _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

make_judging = _module.make_judging

__all__ = ["make_judging"]
