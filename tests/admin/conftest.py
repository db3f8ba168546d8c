"""Admin tests reuse the organisation fixtures (tests are not packages, so add their folder to the path)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "organisations"))

from org_helpers import db_state, make_org, new_client  # noqa: E402, F401
