"""Every URL rule of the challenges feature, in one list: the route inventory reads here.

The endpoint of each rule is its view's name unless the options give one.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from app.challenges.views import archive, attachments, dashboard, editor, manage, public, qa

bp = Blueprint("challenges", __name__)

RULES: list[tuple[str, Any, dict[str, Any]]] = [
    # views/archive.py
    ("/organisations/<slug>/archive", archive.archive_page, {"methods": ["GET"]}),
    ("/organisations/<slug>/archive/check", archive.archive_check, {"methods": ["POST"]}),
    ("/organisations/<slug>/archive/import", archive.archive_import, {"methods": ["POST"]}),
    # views/attachments.py
    ("/challenges/<slug>/attachments", attachments.attachments, {}),
    ("/challenges/<slug>/attachments", attachments.upload_attachment, {"methods": ["POST"]}),
    ("/challenges/<slug>/attachments/<int:attachment_id>/delete", attachments.delete_attachment, {"methods": ["POST"]}),
    ("/challenges/<slug>/attachments/<int:attachment_id>/<path:filename>", attachments.attachment, {}),
    # views/editor.py
    ("/organisations/<org_slug>/challenges/new", editor.create, {"methods": ["GET", "POST"]}),
    ("/challenges/<slug>/edit", editor.edit, {"methods": ["GET", "POST"]}),
    ("/challenges/<slug>/rubric", editor.rubric, {"methods": ["GET", "POST"]}),
    ("/challenges/<slug>/preview", editor.preview, {}),
    ("/challenges/<slug>/publish", editor.publish, {"methods": ["POST"]}),
    # views/manage.py
    ("/challenges/<slug>/manage", manage.manage, {"methods": ["GET"]}),
    ("/challenges/<slug>/state", manage.change_state, {"methods": ["POST"]}),
    ("/organisations/<slug>/dashboard", dashboard.dashboard, {"methods": ["GET"]}),
    # views/public.py
    ("/challenges/", public.index, {}),
    ("/challenges/<slug>", public.detail, {}),
    ("/challenges/<slug>/cover", public.cover, {}),
    ("/challenges/<slug>/follow", public.follow, {"methods": ["POST"]}),
    ("/challenges/<slug>/unfollow", public.unfollow, {"methods": ["POST"]}),
    ("/organisations/<slug>/follow", public.follow_organisation, {"methods": ["POST"]}),
    ("/organisations/<slug>/unfollow", public.unfollow_organisation, {"methods": ["POST"]}),
    # views/qa.py
    ("/challenges/<slug>/questions/new", qa.ask_form, {"methods": ["GET"]}),
    ("/challenges/<slug>/questions", qa.ask, {"methods": ["POST"]}),
    ("/challenges/<slug>/questions", qa.questions, {"methods": ["GET"]}),
    ("/challenges/<slug>/questions/<int:question_id>", qa.question, {"methods": ["GET"]}),
    ("/challenges/<slug>/questions/<int:question_id>/answer", qa.answer, {"methods": ["POST"]}),
    ("/challenges/<slug>/questions/<int:question_id>/merge", qa.merge, {"methods": ["POST"]}),
    ("/challenges/<slug>/questions/<int:question_id>/decline", qa.decline, {"methods": ["POST"]}),
    ("/challenges/<slug>/announcements", qa.announce, {"methods": ["POST"]}),
]

for _rule, _view, _options in RULES:
    bp.add_url_rule(_rule, view_func=_view, **_options)

# Before CSRF reads the body: an upload far over its limit stops at the app's 413 page (S34).
bp.url_value_preprocessor(attachments.limit_upload_size)
bp.url_value_preprocessor(editor.limit_editor_uploads)
bp.url_value_preprocessor(archive.limit_archive_upload)
