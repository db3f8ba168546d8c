"""Challenge routes: the organisation dashboard, every challenge of an organisation by state."""
from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_login import current_user, login_required

from app.challenges import lifecycle, queries
from app.challenges.models import ChallengeState
from app.challenges.permissions import can_create_challenge, can_edit_challenge, can_import_archive
from app.challenges.views.manage import labels_context
from app.core.timeutil import clock
from app.organisations import queries as organisation_queries
from app.organisations.permissions import _is_admin, is_member


@login_required
def dashboard(slug: str) -> Any:
    organisation = organisation_queries.organisation_by_slug(slug)
    if organisation is None:
        abort(404)
    staff = is_member(current_user, organisation)
    if not (staff or _is_admin(current_user)):
        abort(404)
    now = clock.now()
    data = queries.dashboard(organisation)
    groups: dict[ChallengeState, list[Any]] = {s: [] for s in ChallengeState}
    for challenge in data.challenges:
        groups[lifecycle.effective_state(challenge, now)].append(challenge)
    return render_template(
        "challenges/dashboard.html", organisation=organisation, groups=groups, followers=data.followers,
        questions=data.questions, concepts=queries.concept_counts(data.challenge_ids), org_followers=data.org_followers,
        staff=staff,
        can_edit=lambda c: can_edit_challenge(current_user, c),
        can_create=can_create_challenge(current_user, organisation),
        can_import=can_import_archive(current_user, organisation), total=len(data.challenges), **labels_context())

