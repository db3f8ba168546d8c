"""User Markdown headings sit below the page's own headings, with no level skipped (A02)."""
from __future__ import annotations

from app.core.markdown import render_markdown


def test_default_only_demotes_h1():
    html = str(render_markdown("# One\n\n## Two"))
    assert "<h2>One</h2>" in html
    assert "<h2>Two</h2>" in html


def test_top_level_shifts_the_highest_heading_to_top_and_caps_at_h6():
    html = str(render_markdown("# One\n\n## Two\n\n###### Six", top=4))
    assert "<h4>One</h4>" in html
    assert "<h5>Two</h5>" in html
    assert "<h6>Six</h6>" in html
    assert "<h1>" not in html


def test_a_text_that_starts_at_h2_starts_at_top():
    html = str(render_markdown("## Idea\n\n### Detail", top=4))
    assert "<h4>Idea</h4>" in html
    assert "<h5>Detail</h5>" in html
