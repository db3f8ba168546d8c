"""Demo organisations: municipalities, a region, a university and a company, one awaiting approval."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.db import db
from app.organisations.models import (
    Country,
    Membership,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Role,
)

if TYPE_CHECKING:
    from app.demo import DemoContext

CPH, OSLO, STHLM = "Europe/Copenhagen", "Europe/Oslo", "Europe/Stockholm"


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
