"""Translation completeness (issue item 6): da, nb and sv translate every string we ship.

Fails, listing each entry, when a catalog is missing, has an untranslated or fuzzy entry, a
translation whose placeholders differ from the English, or lacks a message that a fresh
extraction of the code and templates finds (someone added a string without `make translations`).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
CATALOG_LANGUAGES = ("da", "nb", "sv")
# The same extraction as `make translations`.
KEYWORDS = ("_l", "lazy_gettext", "_n:1,2")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _label(message) -> str:  # type: ignore[no-untyped-def]
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return repr(msgid[:90])


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """A fresh `pybabel extract` of the code and templates, into a temporary file."""
    out = tmp_path_factory.mktemp("i18n") / "messages.pot"
    args = [sys.executable, "-c", "import sys; from babel.messages.frontend import main; sys.exit(main())",
            "-q", "extract", "-F", str(TRANSLATIONS / "babel.cfg"), "--no-location",
            # Without this pybabel skips directories named "_*", such as templates/_macros/.
            "--ignore-dirs", ".* ._ __pycache__", "-o", str(out)]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    subprocess.run([*args, "."], cwd=ROOT, check=True, capture_output=True, timeout=300)
    return _read(out)


def test_extraction_finds_the_strings_we_ship(extracted: Catalog) -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted if m.id}
    # One from a Python module (_l), one from a template ({% trans %} block, trimmed), one from base.html.
    assert "Email or password is incorrect." in ids or "Page not found" in ids
    assert "Skip to main content" in ids
    assert "required" in ids  # templates/_macros/forms.html
    assert any(i.startswith("This website is <strong>partially compliant</strong>") for i in ids)
    assert not any("\n" in i or "  " in i for i in ids if "partially compliant" in i)  # trimmed


@pytest.mark.parametrize("lang", CATALOG_LANGUAGES)
def test_catalog_is_complete(lang: str, extracted: Catalog) -> None:
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no {lang} catalog at {path.relative_to(ROOT)}: run `make translations`"
    catalog = _read(path, locale=lang)
    problems: list[str] = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {_label(message)}")
        elif not all(strings):
            problems.append(f"untranslated: {_label(message)}")
    for message, errors in catalog.check():
        problems += [f"placeholders differ: {_label(message)}: {error}" for error in errors]
    for message in extracted:
        if message.id and message.id not in catalog:
            problems.append(f"missing from the catalog: {_label(message)}")
    assert not problems, f"{lang}: {len(problems)} problems (run `make translations`, then translate):\n" + \
        "\n".join(problems)


def test_a_lazy_message_with_user_data_is_escaped_in_templates(app) -> None:
    """S28: a lazily translated message whose %(name)s is user data (a display name, a file name)
    prints as text, never as markup, wherever a template shows it (form errors, refusals)."""
    from flask import render_template_string

    from app.i18n import _l
    with app.test_request_context():
        message = _l("%(name)s joined your team", name='<script>alert(1)</script><b onmouseover="x">')
        html = render_template_string("<p>{{ m }}</p>", m=message)
        assert "<script>" not in html
        assert "<b " not in html
        assert "&lt;script&gt;" in html
        assert str(message).startswith("<script>")  # plain text stays plain text (emails, JSON)
