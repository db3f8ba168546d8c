"""Every URL rule of the concepts feature, in one list: the route inventory reads here.

The endpoint of each rule is its view's name unless the options give one.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from app.concepts.views import entries, mine, public, submission, teams, workspace

bp = Blueprint("concepts", __name__)

RULES: list[tuple[str, Any, dict[str, Any]]] = [
    # views/entries.py
    ("/challenges/<slug>/entries", entries.entries_page, {"methods": ["GET"], "endpoint": "entries"}),
    ("/challenges/<slug>/entries/<int:concept_id>", entries.entry, {"methods": ["GET"]}),
    ("/challenges/<slug>/entries/<int:concept_id>/ineligible", entries.mark_ineligible, {"methods": ["POST"]}),
    ("/challenges/<slug>/entries/<int:concept_id>/eligible", entries.mark_eligible, {"methods": ["POST"]}),
    ("/challenges/<slug>/entries/<int:concept_id>/files/<int:file_id>/<path:filename>", entries.entry_file, {"methods": ["GET"]}),
    ("/challenges/<slug>/entries/<int:concept_id>/cover", entries.entry_cover, {"methods": ["GET"]}),
    ("/challenges/<slug>/extensions", entries.extensions, {"methods": ["GET", "POST"]}),
    ("/challenges/<slug>/entries.csv", entries.export_csv, {"methods": ["GET"]}),
    ("/challenges/<slug>/entries.zip", entries.export_zip, {"methods": ["GET"]}),
    # views/mine.py
    ("/my/concepts", mine.mine, {}),
    ("/my/invitations/<int:invitation_id>/accept", mine.accept_my_invitation, {"methods": ["POST"]}),
    ("/my/invitations/<int:invitation_id>/decline", mine.decline_my_invitation, {"methods": ["POST"]}),
    # views/public.py
    ("/challenges/<slug>/concepts", public.published, {"methods": ["GET"]}),
    ("/challenges/<slug>/concepts/<int:concept_id>", public.public, {"methods": ["GET"]}),
    ("/challenges/<slug>/concepts/<int:concept_id>/cover", public.public_cover, {"methods": ["GET"]}),
    ("/challenges/<slug>/concepts/<int:concept_id>/files/<int:file_id>/<path:filename>", public.public_file, {"methods": ["GET"]}),
    # views/submission.py
    ("/concepts/<int:concept_id>", submission.overview, {}),
    ("/concepts/<int:concept_id>/submit", submission.submit, {"methods": ["GET", "POST"]}),
    ("/concepts/<int:concept_id>/versions/<int:number>", submission.version, {}),
    ("/concepts/<int:concept_id>/versions/<int:number>/files/<int:file_id>/<path:filename>", submission.version_file, {}),
    ("/concepts/<int:concept_id>/reopen", submission.reopen, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/withdraw", submission.withdraw, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/restore", submission.restore, {"methods": ["POST"]}),
    # views/teams.py
    ("/concepts/<int:concept_id>/team", teams.team, {}),
    ("/concepts/<int:concept_id>/team/invite", teams.invite, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/team/invitations/<int:invitation_id>/revoke", teams.revoke_invitation, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/team/members/<int:member_id>/remove", teams.remove_member, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/team/members/<int:member_id>/lead", teams.make_lead, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/team/leave", teams.leave, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/team/name", teams.team_name, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/team/consent", teams.name_consent, {"methods": ["POST"]}),
    ("/team-invitations/<token>", teams.team_invitation, {}),
    ("/team-invitations/<token>/accept", teams.accept_team_invitation, {"methods": ["POST"]}),
    ("/team-invitations/<token>/decline", teams.decline_team_invitation, {"methods": ["POST"]}),
    # views/workspace.py
    ("/challenges/<slug>/concepts/new", workspace.start, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/edit", workspace.edit, {"methods": ["GET", "POST"]}),
    ("/concepts/<int:concept_id>/autosave", workspace.autosave, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/attachments", workspace.upload, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/attachments/<int:attachment_id>/delete", workspace.delete_attachment, {"methods": ["POST"]}),
    ("/concepts/<int:concept_id>/attachments/<int:attachment_id>/<path:filename>", workspace.draft_file, {}),
    ("/concepts/<int:concept_id>/cover", workspace.cover, {}),
]

for _rule, _view, _options in RULES:
    bp.add_url_rule(_rule, view_func=_view, **_options)

