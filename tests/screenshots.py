"""Screenshots of what a browser test saw, for people to look at: test-artifacts/<name>.png."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Taken by default, but not under CI=true, whose fresh clone and its test-artifacts/ nobody opens (a
# full-page PNG costs about a quarter of the time of each state an audit checks). SCREENSHOTS=1
# (or 0) asks for them (or not) anywhere. Screenshots check nothing: the assertions are the same.
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
SCREENSHOTS = os.environ.get("SCREENSHOTS", "0" if os.environ.get("CI", "").lower() == "true" else "1") == "1"


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot as test-artifacts/<name>.png, unless screenshots are off (above)."""
    path = ARTIFACTS / f"{name}.png"
    if SCREENSHOTS:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
    return path
