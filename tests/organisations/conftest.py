"""Fixtures for organisation tests; they live in org_helpers.py so tests/admin can use them too."""
from org_helpers import db_state, make_org, new_client  # noqa: F401
