"""Issue 5's "done when", in a real browser, in English and Swedish: a student signs up, starts a
concept on an open challenge, invites a teammate who accepts from the email in the SMTP sink, both
edit, the lead uploads a PDF and submits, both get receipts; after the deadline (the clock moves)
the organiser sees the entry and exports it. axe-core finds no violation on the pages on the way."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfWriter

from app.core.timeutil import clock

from .conftest import NEW_PASSWORD, log_in, submit

pytestmark = pytest.mark.browser


def _pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _sign_up(page: Any, base: str, address: str, name: str, smtp_sink: Any,
             send_outbox: Callable[[], int]) -> None:
    page.goto(base + "/account/signup")
    page.fill("input[name=email]", address)
    page.fill("input[name=display_name]", name)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.check("input[name=participant_kind][value=student]")
    page.check("input[name=accept_terms]")
    submit(page)
    assert send_outbox() >= 1
    [link] = [u for u in smtp_sink.links(smtp_sink.to(address)[-1]) if "/account/verify/" in u]
    page.goto(link)
    submit(page)
    log_in(page, base, address, NEW_PASSWORD)


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_student_team_submits_and_organiser_exports(
        lang: str, app: Flask, live_server: str, new_page: Callable[..., Any], audit: Callable[..., None],
        make_challenge: Callable[..., dict[str, Any]], make_user: Callable[..., int], smtp_sink: Any,
        send_outbox: Callable[[], int], tmp_path: Any) -> None:
    challenge = make_challenge("open", allow_teams=True, max_team_size=3, eligibility=["student"])
    lead_addr, mate_addr = f"student-{lang}@example.org", f"mate-{lang}@example.org"
    make_user(mate_addr, locale=lang, display_name=f"Mate {lang}", participant_kind="student")
    lead = new_page(lang)
    try:
        # 1. Sign up, confirm from the email, log in.
        _sign_up(lead, live_server, lead_addr, f"Student {lang}", smtp_sink, send_outbox)

        # 2. Start a concept from the challenge page.
        lead.goto(f"{live_server}/challenges/{challenge['slug']}")
        audit(lead, f"concept journey {lang}: challenge page, signed in", lang=lang)
        submit(lead, "form[action$='/concepts/new']")
        match = re.search(r"/concepts/(\d+)/edit", lead.url)
        assert match, lead.url
        concept_id = int(match.group(1))
        audit(lead, f"concept journey {lang}: new draft", lang=lang)

        lead.fill("#title", "Bin stickers that speak every language")
        lead.fill("#summary", "Pictograms on every bin show what goes in, so nobody needs to read Danish.")
        lead.fill("#body_md", "## Idea\n\nPictures on the lid.\n\n- cheap\n- quick")
        pdf = tmp_path / "plan.pdf"
        pdf.write_bytes(_pdf_bytes())
        lead.set_input_files("input[name=attachment]", str(pdf))
        submit(lead, "form:has(button[name=action][value=save])")
        assert "plan.pdf" in lead.locator("main").inner_text()
        audit(lead, f"concept journey {lang}: draft saved with a file", lang=lang)

        # 3. Invite a teammate; they accept from the email.
        lead.goto(f"{live_server}/concepts/{concept_id}/team")
        lead.fill("#email", mate_addr)
        submit(lead, "form[action$='/team/invite']")
        assert mate_addr in lead.locator("main").inner_text()
        audit(lead, f"concept journey {lang}: team page, invitation pending", lang=lang)
        send_outbox()
        link = next(u for u in smtp_sink.links(smtp_sink.to(mate_addr)[-1]) if "/team-invitations/" in u)

        mate = new_page(lang)
        log_in(mate, live_server, mate_addr)
        mate.goto(link)
        audit(mate, f"concept journey {lang}: invitation", lang=lang)
        submit(mate, "form[action$='/accept']")

        # 4. The teammate edits the draft too.
        mate.goto(f"{live_server}/concepts/{concept_id}/edit")
        mate.fill("#body_md", "## Idea\n\nPictures on the lid.\n\n- cheap\n- quick\n- tested with 20 residents")
        submit(mate, "form:has(button[name=action][value=save])")
        assert mate.locator("#body_md").input_value().endswith("tested with 20 residents")

        # 5. The lead reviews and submits.
        lead.goto(f"{live_server}/concepts/{concept_id}/submit")
        assert "tested with 20 residents" in lead.locator("main").inner_text()
        audit(lead, f"concept journey {lang}: review and submit", lang=lang)
        lead.check("input[name=licence][value='cc-by-4.0']")
        lead.check("input[name=confirm_eligible]")
        lead.check("input[name=confirm_terms]")
        submit(lead, "form[action$='/submit']")
        assert re.search(r"/concepts/\d+/versions/1$", lead.url), lead.url
        audit(lead, f"concept journey {lang}: receipt", lang=lang)
        # The fingerprint is in the receipt's collapsed "for the technically minded" part (issue 12).
        fingerprint = re.search(r"\b[0-9a-f]{64}\b", lead.locator("details.technical code.fingerprint").first
                                .text_content() or "")
        assert fingerprint

        # Both members get a receipt with the fingerprint.
        send_outbox()
        for address in (lead_addr, mate_addr):
            receipts = [m for m in smtp_sink.to(address) if fingerprint.group(0) in smtp_sink.text_of(m)]
            assert len(receipts) == 1, address

        # 6. After the deadline the organiser sees the entry and exports it.
        with app.app_context():
            from app.challenges.models import Challenge
            from app.db import db
            deadline = db.session.get(Challenge, challenge["id"]).deadline_at
        clock.set(deadline + timedelta(minutes=1))
        organiser = new_page(lang)
        log_in(organiser, live_server, challenge["org"]["owner"])
        organiser.goto(f"{live_server}/challenges/{challenge['slug']}/entries")
        assert "Bin stickers that speak every language" in organiser.locator("main").inner_text()
        audit(organiser, f"concept journey {lang}: organiser's entries", lang=lang)
        organiser.goto(f"{live_server}/challenges/{challenge['slug']}/entries/{concept_id}")
        assert "tested with 20 residents" in organiser.locator("main").inner_text()
        audit(organiser, f"concept journey {lang}: organiser's entry", lang=lang)
        response = organiser.request.get(f"{live_server}/challenges/{challenge['slug']}/entries.csv")
        assert response.status == 200
        rows = list(csv.reader(io.StringIO(response.text().lstrip("\ufeff"))))
        assert any("Bin stickers that speak every language" in row for row in rows)
        zipped = organiser.request.get(f"{live_server}/challenges/{challenge['slug']}/entries.zip")
        assert zipped.status == 200
        assert zipped.body()[:2] == b"PK"
    finally:
        clock.reset()
