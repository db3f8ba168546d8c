"""Feed tests use the root fixtures (make_org, make_challenge) and the helpers of tests/challenges."""
from __future__ import annotations

import sys
from pathlib import Path

_CHALLENGES = Path(__file__).resolve().parent.parent / "challenges"
if str(_CHALLENGES) not in sys.path:
    sys.path.insert(0, str(_CHALLENGES))  # for `import public_helpers`
