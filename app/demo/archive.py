"""The demo archive: earlier challenges of the demo organisations, imported from
docs/archive-example.jsonl the way an organisation imports its own (services/archive.py), so the
demo has past challenges in four languages to search. Loading twice adds nothing: the second
import finds every line already in the archive."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.challenges.services.archive import import_archive

if TYPE_CHECKING:
    from app.demo import DemoContext

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "archive-example.jsonl"


def load_archive(ctx: DemoContext) -> None:
    """Import the example archive as the platform admin (refused lines would be a bug in the file)."""
    with EXAMPLE.open("rb") as stream:
        plan = import_archive(stream=stream, by=ctx.users["admin"], now=ctx.now, source="demo")
    ctx.created += len(plan.created)
