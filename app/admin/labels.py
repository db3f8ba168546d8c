"""What the audit log's codes mean to a person: one phrase per action code, object type and detail key.

Every feature writes its own codes with `record_event(action=...)`; the admin pages read them all,
so the one mapping lives here, above every feature. A code missing from the mapping is shown as
it is (tests/admin/test_admin_audit_log.py fails when a `record_event` call in app/ uses one).
"""
from __future__ import annotations

from typing import Any

from app.i18n import _l

ACTION_LABELS: dict[str, Any] = {
    # accounts and the admin pages
    "user.create_admin": _l("Administrator account created from the command line"),
    "user.promote_admin": _l("Made administrator from the command line"),
    "user.suspended": _l("Account suspended"),
    "user.unsuspended": _l("Suspension lifted"),
    "user.admin_granted": _l("Administrator rights given"),
    "user.admin_revoked": _l("Administrator rights taken away"),
    # organisations
    "organisation.applied": _l("Organisation applied to join"),
    "organisation.updated": _l("Organisation details changed"),
    "organisation.approved": _l("Organisation approved"),
    "organisation.rejected": _l("Organisation rejected"),
    "invitation.created": _l("Staff invitation sent"),
    "invitation.revoked": _l("Staff invitation withdrawn"),
    "invitation.accepted": _l("Staff invitation accepted"),
    "invitation.declined": _l("Staff invitation declined"),
    "membership.created": _l("Joined an organisation's staff"),
    "membership.role_changed": _l("Staff role changed"),
    "membership.removed": _l("Removed from an organisation's staff"),
    # challenges
    "challenge.created": _l("Challenge created"),
    "challenge.updated": _l("Challenge edited"),
    "challenge.amended": _l("Published challenge amended"),
    "challenge.rubric_saved": _l("Rubric saved"),
    "challenge.rubric_amended": _l("Rubric amended after publishing"),
    "challenge.published": _l("Challenge published"),
    "challenge.attachment_added": _l("Briefing file added"),
    "challenge.attachment_deleted": _l("Briefing file removed"),
    "challenge.announcement": _l("Announcement posted"),
    "archive.imported": _l("Past challenges imported into the archive"),
    # lifecycle.py writes challenge.<new state> for every move
    "challenge.draft": _l("Challenge moved back to draft"),
    "challenge.scheduled": _l("Challenge scheduled"),
    "challenge.open": _l("Challenge opened"),
    "challenge.closed": _l("Challenge closed"),
    "challenge.judging": _l("Judging started"),
    "challenge.results": _l("Results published"),
    "challenge.archived": _l("Challenge archived"),
    "challenge.cancelled": _l("Challenge cancelled"),
    "question.asked": _l("Question asked"),
    "question.answered": _l("Question answered"),
    "question.answer_changed": _l("Answer changed"),
    "question.merged": _l("Question merged with another"),
    "question.declined": _l("Question declined"),
    # concepts and teams
    "concept.started": _l("Concept started"),
    "concept.attachment_added": _l("File added to a concept"),
    "concept.attachment_deleted": _l("File removed from a concept"),
    "concept.submitted": _l("Concept submitted"),
    "concept.reopened": _l("Concept reopened for editing"),
    "concept.withdrawn": _l("Concept withdrawn"),
    "concept.restored": _l("Concept restored"),
    "concept.ineligible": _l("Concept marked ineligible"),
    "concept.eligible": _l("Concept marked eligible again"),
    "concept.extension_granted": _l("Deadline extended for a team"),
    "concept.lead_changed": _l("Team lead changed"),
    "concept.team_renamed": _l("Team renamed"),
    "concepts.export_csv": _l("Entries exported as CSV"),
    "concepts.export_zip": _l("Entries downloaded as ZIP"),
    "team_invitation.created": _l("Team invitation sent"),
    "team_invitation.replaced": _l("Team invitation replaced by a new one"),
    "team_invitation.revoked": _l("Team invitation withdrawn"),
    "team_invitation.accepted": _l("Team invitation accepted"),
    "team_invitation.declined": _l("Team invitation declined"),
    "concept_member.joined": _l("Joined a team"),
    "concept_member.left": _l("Left a team"),
    "concept_member.removed": _l("Removed from a team"),
    "concept_member.name_consent": _l("Choice about showing the name publicly changed"),
    # judging
    "jury_invitation.created": _l("Jury invitation sent"),
    "jury_invitation.revoked": _l("Jury invitation withdrawn"),
    "jury_invitation.accepted": _l("Jury invitation accepted"),
    "jury_invitation.declined": _l("Jury invitation declined"),
    "jury_seat.joined": _l("Joined a jury"),
    "jury_seat.rejoined": _l("Rejoined a jury"),
    "jury_seat.confirmed": _l("Jury seat confirmed by a new invitation"),
    "jury_seat.chair_named": _l("Named chair of the jury"),
    "jury_seat.chair_ended": _l("No longer chair of the jury"),
    "jury_seat.removed": _l("Removed from a jury"),
    "jury_seat.listing_changed": _l("Choice about being listed on the jury changed"),
    "judging.round_opened": _l("Judging round opened"),
    "judging.round_added": _l("Judging round added"),
    "judging.assignment_made": _l("Concepts assigned to jurors"),
    "judging.assignment_edited": _l("Assignment changed"),
    "judging.conflict_declared": _l("Conflict of interest declared"),
    "judging.conflicts_confirmed": _l("Conflict of interest declaration completed"),
    "judging.conflict_confirmed": _l("Possible conflict of interest confirmed"),
    "judging.conflict_dismissed": _l("Possible conflict of interest dismissed"),
    "judging.concept_opened": _l("Concept opened by a juror"),
    "judging.file_opened": _l("Concept file opened by a juror"),
    "judging.sheet_submitted": _l("Score sheet submitted"),
    "judging.ballot_submitted": _l("Ranking submitted"),
    "judging.juror_reminded": _l("Juror reminded"),
    "judging.decision_finalised": _l("Final decision recorded"),
    "judging.decision_unlocked": _l("Final decision reopened"),
    "judging.export": _l("Results table exported"),
    # mail
    "outbox.retry": _l("Email sent again"),
}

OBJECT_TYPE_LABELS: dict[str, Any] = {
    "user": _l("User"),
    "organisation": _l("Organisation"),
    "invitation": _l("Staff invitation"),
    "membership": _l("Staff membership"),
    "challenge": _l("Challenge"),
    "question": _l("Question"),
    "concept": _l("Concept"),
    "concept_member": _l("Team member"),
    "team_invitation": _l("Team invitation"),
    "jury_invitation": _l("Jury invitation"),
    "jury_seat": _l("Jury seat"),
    "judging_round": _l("Judging round"),
    "score_sheet": _l("Score sheet"),
    "ranking_ballot": _l("Ranking"),
    "conflict": _l("Possible conflict of interest"),
    "outbox_message": _l("Email"),
}

# Detail keys that name another object: (kind of object, label). The page loads them in bulk.
REFERENCE_KEYS: dict[str, tuple[str, Any]] = {
    "user_id": ("user", _l("User")),
    "from_user_id": ("user", _l("From")),
    "to_user_id": ("user", _l("To")),
    "organisation_id": ("organisation", _l("Organisation")),
    "challenge_id": ("challenge", _l("Challenge")),
    "challenge": ("challenge", _l("Challenge")),
    "concept_id": ("concept", _l("Concept")),
}

DETAIL_LABELS: dict[str, Any] = {
    "reason": _l("Reason"),
    "previous_reason": _l("Earlier reason"),
    "name": _l("Name"),
    "title": _l("Title"),
    "team_name": _l("Team name"),
    "fields": _l("Fields"),
    "from": _l("From"),
    "to": _l("To"),
    "old": _l("Before"),
    "new": _l("After"),
    "role": _l("Role"),
    "state": _l("State"),
    "version": _l("Version"),
    "round": _l("Round"),
    "filename": _l("File name"),
    "size": _l("Size in bytes"),
    "format": _l("Format"),
    "rows": _l("Rows"),
    "entries": _l("Entries"),
    "attempts": _l("Attempts"),
    "last_error": _l("Last error"),
    "until": _l("Until"),
    "note": _l("Note"),
    "fingerprint": _l("Fingerprint"),
    "change_id": _l("Change number"),
    "as_chair": _l("As chair"),
    "is_chair": _l("Chair"),
    "show_publicly": _l("Listed publicly"),
    "show_name_publicly": _l("Name shown publicly"),
    "counting_version": _l("Version that counts"),
    "source": _l("Source"),
    "lines": _l("Lines"),
    "refused_lines": _l("Lines refused"),
}


def action_label(code: str) -> str:
    """The translated phrase for an audit action code; an unknown code as it is."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def object_type_label(code: str) -> str:
    label = OBJECT_TYPE_LABELS.get(code)
    return str(label) if label is not None else code


def detail_label(key: str) -> str | None:
    """The translated name of a details key; None for a key without one (shown as it is, as code)."""
    if key in REFERENCE_KEYS:
        return str(REFERENCE_KEYS[key][1])
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else None


def reference_kind(key: str) -> str | None:
    """The kind of object a detail key names ("challenge_id" -> "challenge"), or None."""
    ref = REFERENCE_KEYS.get(key)
    return ref[0] if ref else None
