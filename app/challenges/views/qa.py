"""Challenge routes: questions and answers, and announcements.

Participants ask on POST /challenges/<slug>/questions (the form lives on the challenge page, in
`challenges/_qa_ask.html`, and on its own page); the organisers work on
/challenges/<slug>/questions and answer, merge or decline one question at a time.
"""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.accounts.decorators import verified_required
from app.challenges.forms.qa import AnnouncementForm, AnswerForm, DeclineForm, MergeForm, QuestionForm
from app.challenges.models import Challenge, Question, QuestionStatus
from app.challenges.permissions import can_edit_challenge
from app.challenges.services import qa
from app.challenges.views._load import visible_challenge
from app.challenges.views.manage import labels_context
from app.core.seclog import security_event
from app.core.timeutil import clock
from app.core.web import place_error
from app.db import db
from app.errors import DomainError
from app.extensions import client_ip, limiter
from app.i18n import _

DEFAULT_QUESTION_LIMIT = "10 per hour"


def _question_limit() -> str:
    return str(current_app.config.get("QUESTION_LIMIT_PER_USER", DEFAULT_QUESTION_LIMIT))


def _asker_key() -> str:
    # Limits run before login_required, so an anonymous request is keyed by its address.
    return f"question:user:{current_user.id}" if current_user.is_authenticated else f"question:ip:{client_ip()}"


def _on_breach(limit: Any) -> None:
    security_event("rate_limited", path="questions", ip=client_ip(), limit=str(limit.limit))


def _detail_url(challenge: Challenge) -> str:
    return url_for(".detail", slug=challenge.slug)


def _form_error(form: FlaskForm, exc: DomainError) -> int:
    """Show a service's refusal at its field (400), or as a conflict with the current state (409)."""
    return 400 if place_error(form, exc) is None else 409


# ---------------------------------------------------------------- asking
def _render_ask(challenge: Challenge, form: QuestionForm | None = None, status: int = 200,
                refused: str | None = None) -> tuple[str, int]:
    return render_template("challenges/qa_ask.html", challenge=challenge, form=form or QuestionForm(),
                           open=qa.accepts_questions(challenge, clock.now()), refused=refused,
                           detail_url=_detail_url(challenge)), status


@verified_required
def ask_form(slug: str) -> Any:
    return _render_ask(visible_challenge(slug))


@limiter.limit(_question_limit, key_func=_asker_key, methods=["POST"], on_breach=_on_breach)
@verified_required
def ask(slug: str) -> Any:
    challenge = visible_challenge(slug)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _render_ask(challenge, form, 400)
    try:
        qa.ask_question(challenge=challenge, user=current_user, body=form.body.data, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        status = _form_error(form, exc)
        return _render_ask(challenge, form, status, refused=str(exc) if status == 409 else None)
    db.session.commit()
    flash(_("Your question was sent to the organisers; answered questions are published on this page."),
          "success")
    return redirect(_detail_url(challenge))


# ---------------------------------------------------------------- the organisers' side
def _render_questions(challenge: Challenge, form: AnnouncementForm | None = None, status: int = 200,
                      refused: str | None = None) -> tuple[str, int]:
    return render_template("challenges/qa_questions.html", challenge=challenge,
                           grouped=qa.questions_by_status(challenge), announcements=qa.announcements_of(challenge),
                           form=form or AnnouncementForm(), refused=refused, QuestionStatus=QuestionStatus,
                           detail_url=_detail_url(challenge), **labels_context()), status


@login_required
def questions(slug: str) -> Any:
    return _render_questions(visible_challenge(slug, may=can_edit_challenge))


def _load_question(challenge: Challenge, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.challenge_id != challenge.id:
        abort(404)
    return question


def _merge_choices(question: Question) -> list[tuple[int, str]]:
    others = [q for status in (QuestionStatus.ANSWERED, QuestionStatus.PENDING)
              for q in qa.questions_by_status(question.challenge)[status] if q.id != question.id]
    return [(q.id, _("Question %(number)d: %(text)s", number=q.id, text=_shorten(q.body))) for q in others]


def _shorten(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _render_question(challenge: Challenge, question: Question, *, answer: AnswerForm | None = None,
                     merge: MergeForm | None = None, decline: DeclineForm | None = None, status: int = 200,
                     refused: str | None = None) -> tuple[str, int]:
    answer = answer or AnswerForm(formdata=None, answer=question.answer or "")
    merge = merge or MergeForm(formdata=None)
    merge.into.choices = _merge_choices(question)
    decline = decline or DeclineForm(formdata=None)
    merged_into = db.session.get(Question, question.merged_into_id) if question.merged_into_id else None
    return render_template("challenges/qa_question.html", challenge=challenge, question=question,
                           answer_form=answer, merge_form=merge, decline_form=decline, merged_into=merged_into,
                           refused=refused, QuestionStatus=QuestionStatus, detail_url=_detail_url(challenge),
                           anchor=qa.question_anchor(question), **labels_context()), status


@login_required
def question(slug: str, question_id: int) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    return _render_question(challenge, _load_question(challenge, question_id))


def _done(challenge: Challenge, message: str) -> Any:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".questions", slug=challenge.slug))


@login_required
def answer(slug: str, question_id: int) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    question = _load_question(challenge, question_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_question(challenge, question, answer=form, status=400)
    try:
        first = qa.answer_question(question=question, by=current_user, answer=form.answer.data, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        status = _form_error(form, exc)
        return _render_question(challenge, question, answer=form, status=status,
                                refused=str(exc) if status == 409 else None)
    return _done(challenge, _("The answer is published; followers will get it by email.") if first
                 else _("The answer has been changed."))


@login_required
def merge(slug: str, question_id: int) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    question = _load_question(challenge, question_id)
    form = MergeForm()
    form.into.choices = _merge_choices(question)
    if not form.validate_on_submit():
        return _render_question(challenge, question, merge=form, status=400)
    into = _load_question(challenge, form.into.data)
    try:
        qa.merge_question(question=question, into=into, by=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        status = _form_error(form, exc)
        return _render_question(challenge, question, merge=form, status=status,
                                refused=str(exc) if status == 409 else None)
    return _done(challenge, _("The question was merged with question %(number)d.", number=into.id))


@login_required
def decline(slug: str, question_id: int) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    question = _load_question(challenge, question_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render_question(challenge, question, decline=form, status=400)
    try:
        qa.decline_question(question=question, by=current_user, reason=form.reason.data, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        status = _form_error(form, exc)
        return _render_question(challenge, question, decline=form, status=status,
                                refused=str(exc) if status == 409 else None)
    return _done(challenge, _("The question was declined; the person who asked gets your reason by email."))


@login_required
def announce(slug: str) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    form = AnnouncementForm()
    if not form.validate_on_submit():
        return _render_questions(challenge, form, 400)
    try:
        qa.post_announcement(challenge=challenge, by=current_user, title=form.title.data, body_md=form.body.data,
                             now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        status = _form_error(form, exc)
        return _render_questions(challenge, form, status, refused=str(exc) if status == 409 else None)
    return _done(challenge, _("The announcement is published; followers will get it by email."))
