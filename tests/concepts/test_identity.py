"""The identity check of blind challenges (S19, S38, P09): one function for the team's submit-time
warning and the jury's "identifies itself" flag."""
from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.concepts.models import Concept, ConceptAttachment
from app.concepts.services.identity import file_text, identity_mentions
from app.core.files import document_path
from app.db import db


def _person(name: str, email: str = "x@example.org", institution: str | None = None) -> Any:
    return SimpleNamespace(display_name=name, email=email, institution=institution)


def pdf_with_text(text: str) -> bytes:
    """A minimal one-page PDF whose content stream shows `text` (Helvetica)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_names_match_whole_words_case_insensitively() -> None:
    people = [_person("Ann Berg", "ann@firm.dk", "Aalborg  University"), _person("Bo")]
    assert identity_mentions(texts=["An annual report by ANN BERG."], people=people) == ["Ann Berg", "Ann", "Berg"]
    assert identity_mentions(texts=["Annual figures, Bergen, bottle."], people=people) == []
    assert identity_mentions(texts=["Write to ANN@FIRM.DK"], people=people) == ["Ann", "ann@firm.dk"]
    assert identity_mentions(texts=["We study at aalborg university."], people=people) == ["Aalborg University"]
    # Names shorter than 3 letters are ignored ("Bo" is everywhere in Danish).
    assert identity_mentions(texts=["Bo bor i Bo."], people=people) == []
    assert identity_mentions(texts=["", None], people=people) == []  # type: ignore[list-item]


def test_pdf_text_is_read() -> None:
    assert "Ann Berg" in file_text(pdf_with_text("Made by Ann Berg"), "application/pdf")
    assert file_text(b"not a pdf", "application/pdf") == ""
    assert file_text(b"\x89PNG", "image/png") == ""


def _blind_draft(app: Flask, make_challenge: Any, make_concept: Any, blind: bool) -> dict[str, Any]:
    challenge = make_challenge("open", is_blind=blind)
    made = make_concept("draft", challenge=challenge, members=2)
    with app.app_context():
        mate = db.session.scalar(select(User).where(User.email == made["members"][1]))
        mate.institution = "Nordic Design School"
        concept = db.session.get(Concept, made["id"])
        concept.body_md = f"Our idea, by {mate.display_name}."
        content = pdf_with_text("Nordic Design School, 2027")
        digest = hashlib.sha256(content).hexdigest()
        path = document_path(app.config["UPLOAD_DIR"], digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        db.session.add(ConceptAttachment(concept_id=concept.id, filename="plan.pdf", content_hash=digest,
                                         mimetype="application/pdf", size=len(content)))
        db.session.commit()
        made["mate_name"] = mate.display_name
    return made


def test_blind_submit_page_warns_but_lets_the_team_submit(app: Flask, client: FlaskClient, login: Any,
                                                          make_challenge: Any, make_concept: Any) -> None:
    """S19: in a blind challenge the review page lists what names the team (text and PDF text);
    the submit form is still there (a warning, not a refusal)."""
    made = _blind_draft(app, make_challenge, make_concept, blind=True)
    login(made["owner"])
    page = client.get(f"/concepts/{made['id']}/submit").get_data(as_text=True)
    warning = page.split('id="identity-warning"')[1].split("</div>")[0]
    assert "Your concept mentions who you are" in warning
    assert made["mate_name"] in warning
    assert "Nordic Design School" in warning
    assert "Submit the concept" in page


def test_no_warning_outside_blind_challenges(app: Flask, client: FlaskClient, login: Any, make_challenge: Any,
                                             make_concept: Any) -> None:
    made = _blind_draft(app, make_challenge, make_concept, blind=False)
    login(made["owner"])
    page = client.get(f"/concepts/{made['id']}/submit").get_data(as_text=True)
    assert 'id="identity-warning"' not in page
