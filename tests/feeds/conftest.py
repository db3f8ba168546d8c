"""Feed tests reuse the challenge fixtures (make_org, make_challenge) and helpers of tests/challenges."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_CHALLENGES = Path(__file__).resolve().parent.parent / "challenges"
if str(_CHALLENGES) not in sys.path:
    sys.path.insert(0, str(_CHALLENGES))  # for `import public_helpers`

_spec = importlib.util.spec_from_file_location("challenge_fixtures_for_feeds", _CHALLENGES / "conftest.py")
assert _spec is not None
assert _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
make_org = _module.make_org
make_challenge = _module.make_challenge
