"""Demo users: fourteen accounts in four languages, each with the role printed next to its login."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select

from app.accounts.models import ParticipantKind, TermsAcceptance, User
from app.db import db

if TYPE_CHECKING:
    from app.demo import DemoContext

CPH, OSLO, STHLM = "Europe/Copenhagen", "Europe/Oslo", "Europe/Stockholm"
DEMO_DOMAIN = "demo.example.org"  # RFC 2606: example.org never reaches a real mailbox


@dataclass(frozen=True)
class DemoUser:
    key: str
    name: str
    locale: str
    timezone: str
    kind: ParticipantKind
    role: str  # shown next to the login
    institution: str | None = None
    admin: bool = False

    @property
    def email(self) -> str:
        return f"{self.key}@{DEMO_DOMAIN}"


STAFF = ParticipantKind.ORGANISATION_STAFF

DEMO_USERS = (
    DemoUser("admin", "Platform Admin", "en", CPH, ParticipantKind.OTHER, "platform admin", admin=True),
    DemoUser("mette", "Mette Sørensen", "da", CPH, STAFF, "owner of Aarhusby Kommune", "Aarhusby Kommune"),
    DemoUser("jonas", "Jonas Dahl", "da", CPH, STAFF, "editor at Aarhusby Kommune, owner of Region Midtvest",
             "Aarhusby Kommune"),
    DemoUser("ingrid", "Ingrid Haugen", "nb", OSLO, STAFF, "owner of Fjordvik kommune", "Fjordvik kommune"),
    DemoUser("ola", "Ola Nordmann Berg", "nb", OSLO, STAFF, "owner of Grønn Logistikk AS, editor at Fjordvik",
             "Grønn Logistikk AS"),
    DemoUser("karin", "Karin Lindqvist", "sv", STHLM, STAFF, "owner of Sjöstad kommun", "Sjöstad kommun"),
    DemoUser("erik", "Erik Johansson", "sv", STHLM, STAFF, "editor at Sjöstad kommun", "Sjöstad kommun"),
    DemoUser("priya", "Priya Raman", "en", CPH, STAFF, "owner of Nordic Technical University",
             "Nordic Technical University"),
    DemoUser("henrik", "Henrik Holm", "da", CPH, STAFF, "applicant for Nordhavn Kommune (pending)",
             "Nordhavn Kommune"),
    DemoUser("freja", "Freja Kristensen", "da", CPH, ParticipantKind.STUDENT, "student",
             "Nordic Technical University"),
    DemoUser("astrid", "Astrid Lund", "sv", STHLM, ParticipantKind.STUDENT, "student", "Sjöstad gymnasium"),
    DemoUser("lars", "Lars Eriksen", "nb", OSLO, ParticipantKind.YOUNG_PROFESSIONAL, "young professional"),
    DemoUser("sam", "Sam Taylor", "en", CPH, ParticipantKind.YOUNG_PROFESSIONAL, "young professional"),
    DemoUser("noah", "Noah Andersen", "da", CPH, ParticipantKind.STARTUP, "startup founder", "Byflow ApS"),
)


def demo_user(ctx: DemoContext, *, email: str, name: str, locale: str, timezone: str, kind: ParticipantKind,
              institution: str | None = None, admin: bool = False) -> User:
    """Find or make one demo account (verified, terms accepted, marked is_demo): the one way every
    demo module makes its people."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        cfg = current_app.config
        user = User(email=email, password_hash=ctx.password_hash, display_name=name, locale=locale,
                    timezone=timezone, participant_kind=kind, institution=institution, is_admin=admin,
                    is_demo=True, email_verified_at=ctx.now, created_at=ctx.now, password_changed_at=ctx.now)
        db.session.add(user)
        db.session.flush()
        for document, key in (("terms", "TERMS_VERSION"), ("privacy", "PRIVACY_VERSION")):
            db.session.add(TermsAcceptance(user_id=user.id, document=document, version=cfg[key],
                                           accepted_at=ctx.now))
        ctx.created += 1
    return user


def load_users(ctx: DemoContext) -> None:
    for spec in DEMO_USERS:
        ctx.users[spec.key] = demo_user(ctx, email=spec.email, name=spec.name, locale=spec.locale,
                                        timezone=spec.timezone, kind=spec.kind, institution=spec.institution,
                                        admin=spec.admin)
        ctx.logins.append((spec.email, f"{spec.role} ({spec.locale})"))
