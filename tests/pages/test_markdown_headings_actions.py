"""Issue 12, item 6: reading comfort. Headings in user Markdown sit below the page's own section
headings, in the outline and in size; long pages get an "On this page" list of their sections,
built on the server from the page's own <h2 id> headings."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.core.contents import contents_of

CSS = Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "app.css"
NAV = re.compile(r'<nav class="page-contents" aria-labelledby="page-contents-title">(.*?)</nav>', re.S)


def _contents(html: str) -> list[str]:
    match = NAV.search(html)
    assert match, "no contents list"
    return re.findall(r'<a href="#([^"]+)">', match.group(1))


def test_user_headings_on_the_challenge_page_sit_under_its_sections(client, make_challenge) -> None:
    made = make_challenge("open", problem_md="# Big\n\nText.\n\n## Smaller\n\nMore.",
                          background_md="## Why now\n\n### Details\n\nSpring.")
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert html.count("<h1") == 1  # the page's title only
    # Under the page's <h2> "The problem" and "Background", the text starts at <h3>, no level skipped.
    assert "<h3>Big</h3>" in html
    assert "<h4>Smaller</h4>" in html
    assert "<h3>Why now</h3>" in html
    assert "<h4>Details</h4>" in html


def _size(selector: str) -> float:
    css = CSS.read_text(encoding="utf-8")
    match = re.search(r"(?m)^" + re.escape(selector) + r"\s*\{[^}]*font-size:\s*([\d.]+)rem", css)
    assert match, selector
    return float(match.group(1))


def test_user_headings_are_styled_smaller_than_the_page_sections() -> None:
    page_h2 = _size("h2")
    sizes = [_size(f".prose {level}") for level in ("h2", "h3", "h4")]
    assert sizes[0] < page_h2
    assert sizes == sorted(sizes, reverse=True)  # the order of the levels stays visible


def test_the_challenge_page_lists_its_sections_after_the_title(client, make_challenge) -> None:
    made = make_challenge("open", background_md="## Why now\n\nSpring.")
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    anchors = _contents(html)
    assert anchors[:3] == ["concept-start-title", "brief-title", "background-title"]
    assert {"prize-title", "rubric-title", "timeline-title", "questions-title", "controller-title"} <= set(anchors)
    for anchor in anchors:
        assert f'id="{anchor}"' in html
    assert html.index("</h1>") < html.index('class="page-contents"') < html.index('id="brief-title"')
    assert "Why now" not in NAV.search(html).group(1)  # user headings are not the page's sections
    assert "<details open data-collapse-narrow>" in html  # open without JavaScript


def test_a_section_the_page_leaves_out_is_not_listed(client, make_challenge) -> None:
    made = make_challenge("results", background_md="")
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    anchors = _contents(html)
    assert "background-title" not in anchors
    assert "concept-start-title" not in anchors  # no "Take part" after the deadline


@pytest.mark.parametrize(("path", "first"), [("/privacy", "controller"), ("/terms", "account"),
                                             ("/accessibility", "status")])
def test_the_long_statement_pages_have_contents(client, path, first) -> None:
    html = client.get(path).get_data(as_text=True)
    anchors = _contents(html)
    assert anchors[0] == first
    assert len(anchors) >= 5
    assert html.count("<h1") == 1


def test_contents_of_reads_only_headings_with_an_id() -> None:
    html = ('<h2 id="a">One &amp; <span>two</span></h2><h2>No id</h2><h3 id="c">Lower</h3>'
            '<h2 class="x" id="b">Three</h2>')
    assert contents_of(html) == [("a", "One & two"), ("b", "Three")]
