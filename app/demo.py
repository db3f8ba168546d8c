"""Demo data: `flask demo load [--if-empty]` fills an empty database with fictional content.

Every demo account is verified, has accepted the current terms, is marked `is_demo` (a
production app refuses to start while any exist, S10) and shares one printed password.

The loader is a list of sections run in order inside one transaction. A later feature adds
its content by writing a function `(ctx: DemoContext) -> None` and appending it to SECTIONS
(for example challenges that use `ctx.orgs["fjordvik"]` and `ctx.users["ingrid"]`). Sections
find-or-create by natural key (email, slug), so loading twice adds nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from app.accounts.models import ParticipantKind, TermsAcceptance, User
from app.accounts.passwords import hash_password
from app.core.timeutil import utcnow
from app.db import db
from app.organisations.models import (
    Country,
    Membership,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Role,
)

DEMO_PASSWORD = "arena-demo-2026"
DEMO_DOMAIN = "demo.example.org"  # RFC 2606: example.org never reaches a real mailbox


@dataclass
class DemoContext:
    password_hash: str
    now: datetime
    users: dict[str, User] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    # (email, what to try with it), printed at the end in this order.
    logins: list[tuple[str, str]] = field(default_factory=list)
    created: int = 0


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


CPH, OSLO, STHLM = "Europe/Copenhagen", "Europe/Oslo", "Europe/Stockholm"
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


@dataclass(frozen=True)
class DemoOrg:
    key: str
    slug: str
    name: str
    kind: OrganisationKind
    country: Country
    timezone: str
    description: str  # in the organisation's own language
    members: tuple[tuple[str, Role], ...]
    status: OrganisationStatus = OrganisationStatus.APPROVED


DEMO_ORGS = (
    DemoOrg("aarhusby", "aarhusby-kommune", "Aarhusby Kommune", OrganisationKind.MUNICIPALITY, Country.DK, CPH,
            "Aarhusby Kommune er en fiktiv østjysk kommune med 60.000 indbyggere. Vi søger nye idéer til "
            "grøn mobilitet, ældrepleje og et mere levende bymidte.",
            (("mette", Role.OWNER), ("jonas", Role.EDITOR))),
    DemoOrg("midtvest", "region-midtvest", "Region Midtvest", OrganisationKind.REGION, Country.DK, CPH,
            "Region Midtvest driver sygehuse og regional udvikling. Vi vil gøre det lettere for patienter "
            "at komme til og fra behandling.",
            (("jonas", Role.OWNER),)),
    DemoOrg("fjordvik", "fjordvik-kommune", "Fjordvik kommune", OrganisationKind.MUNICIPALITY, Country.NO, OSLO,
            "Fjordvik kommune er en fiktiv kystkommune på Vestlandet. Vi trenger gode løsninger for "
            "hurtigbåtruter, turisme og et aktivt lokalsamfunn hele året.",
            (("ingrid", Role.OWNER), ("ola", Role.EDITOR))),
    DemoOrg("sjostad", "sjostad-kommun", "Sjöstad kommun", OrganisationKind.MUNICIPALITY, Country.SE, STHLM,
            "Sjöstad kommun är en påhittad kommun vid Mälaren. Vi söker idéer om cirkulär ekonomi, "
            "trygga skolvägar och digitala tjänster för äldre.",
            (("karin", Role.OWNER), ("erik", Role.EDITOR))),
    DemoOrg("ntu", "nordic-technical-university", "Nordic Technical University", OrganisationKind.UNIVERSITY,
            Country.OTHER, CPH,
            "Nordic Technical University is a fictional university with campuses in all three Scandinavian "
            "countries. Our students take part in challenges as part of their courses.",
            (("priya", Role.OWNER),)),
    DemoOrg("gronn", "gronn-logistikk-as", "Grønn Logistikk AS", OrganisationKind.COMPANY, Country.NO, OSLO,
            "Grønn Logistikk AS er et fiktivt selskap som leverer varer med elektriske lastesykler og "
            "ferger. Vi ser etter smartere ruter for den siste kilometeren.",
            (("ola", Role.OWNER),)),
    # Awaiting approval, so the demo admin has an application to review.
    DemoOrg("nordhavn", "nordhavn-kommune", "Nordhavn Kommune", OrganisationKind.MUNICIPALITY, Country.DK, CPH,
            "Nordhavn Kommune er en fiktiv havneby i Nordjylland. Vi vil gerne bruge Concept Arena til "
            "idéer om klimatilpasning af havnefronten.",
            (("henrik", Role.OWNER),), status=OrganisationStatus.PENDING),
)


def load_users(ctx: DemoContext) -> None:
    cfg = current_app.config
    for spec in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.email == spec.email))
        if user is None:
            user = User(email=spec.email, password_hash=ctx.password_hash, display_name=spec.name,
                        locale=spec.locale, timezone=spec.timezone, participant_kind=spec.kind,
                        institution=spec.institution, is_admin=spec.admin, is_demo=True,
                        email_verified_at=ctx.now, created_at=ctx.now, password_changed_at=ctx.now)
            db.session.add(user)
            db.session.flush()
            for document, key in (("terms", "TERMS_VERSION"), ("privacy", "PRIVACY_VERSION")):
                db.session.add(TermsAcceptance(user_id=user.id, document=document, version=cfg[key],
                                               accepted_at=ctx.now))
            ctx.created += 1
        ctx.users[spec.key] = user
        ctx.logins.append((spec.email, f"{spec.role} ({spec.locale})"))


def load_organisations(ctx: DemoContext) -> None:
    for spec in DEMO_ORGS:
        org = db.session.scalar(select(Organisation).where(Organisation.slug == spec.slug))
        if org is None:
            creator = ctx.users[spec.members[0][0]]
            approved = spec.status == OrganisationStatus.APPROVED
            org = Organisation(slug=spec.slug, name=spec.name, kind=spec.kind, country=spec.country,
                               website=f"https://{spec.slug}.example.org/", description=spec.description,
                               contact_email=f"contact@{spec.slug}.example.org", timezone=spec.timezone,
                               status=spec.status, created_by_id=creator.id,
                               created_at=ctx.now - timedelta(days=30 if approved else 1),
                               reviewed_at=ctx.now - timedelta(days=29) if approved else None)
            db.session.add(org)
            db.session.flush()
            for key, role in spec.members:
                db.session.add(Membership(organisation_id=org.id, user_id=ctx.users[key].id, role=role,
                                          created_at=ctx.now))
            ctx.created += 1
        ctx.orgs[spec.key] = org


def load_challenges(ctx: DemoContext) -> None:
    """Ten challenges in four languages, one in every lifecycle state (app/challenges/demo.py)."""
    from app.challenges.demo import load_challenges as load

    load(ctx)


def load_concepts(ctx: DemoContext) -> None:
    """Forty-two concepts with teams, drafts, submissions and files (app/concepts/demo.py)."""
    from app.concepts.demo import load_concepts as load

    load(ctx)


# Run in order; later sections may use what earlier ones put in the context.
SECTIONS: list[Callable[[DemoContext], None]] = [load_users, load_organisations, load_challenges, load_concepts]


def load_demo(*, password: str = DEMO_PASSWORD) -> DemoContext:
    """Add the demo content to the current session (the caller commits). Idempotent."""
    ctx = DemoContext(password_hash=hash_password(password), now=utcnow())
    for section in SECTIONS:
        section(ctx)
    db.session.flush()
    return ctx


def register(app: Flask) -> None:
    @app.cli.group("demo")
    def demo() -> None:
        """Demo content for trying Concept Arena locally."""

    @demo.command("load")
    @click.option("--if-empty", is_flag=True, help="Do nothing if the database already has any user.")
    def load(if_empty: bool) -> None:
        """Load fictional organisations and demo users (one shared, printed password)."""
        if current_app.config["ENV_NAME"] == "production":
            raise click.ClickException("Demo data is never loaded in production (S10).")
        if if_empty and db.session.scalar(select(func.count()).select_from(User)):
            click.echo("The database already has users: demo data not loaded.")
            return
        try:
            ctx = load_demo()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        if ctx.created:
            click.echo(f"Demo data loaded ({ctx.created} new users, organisations, challenges and concepts).")
        else:
            click.echo("Demo data was already there: nothing added.")
        click.echo("")
        click.echo(f"Log in at {current_app.config['BASE_URL']}/account/login with one of these "
                   f"(password for all: {DEMO_PASSWORD}):")
        width = max(len(email) for email, _ in ctx.logins)
        for email, role in ctx.logins:
            click.echo(f"  {email.ljust(width)}  {role}")
