"""Questions and answers, and announcements: the services behind qa_views.

Participants ask clarifying questions while a challenge is scheduled or open; the organisers
answer in public, merge a duplicate into the question that answers it, or decline with a reason
that only the asker sees. Only answered questions are ever public, and never with the asker's
name (P08). Followers hear about every answer and announcement through the outbox.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.challenges import lifecycle
from app.challenges.models import Announcement, Challenge, ChallengeState, Question, QuestionStatus
from app.challenges.permissions import can_ask_question
from app.challenges.services.follows import followers_of, notify_followers
from app.core.audit import record_event
from app.db import db
from app.errors import DomainError
from app.i18n import _l
from app.mail.services import external_url, queue_mail

QUESTION_MIN, QUESTION_MAX = 10, 2000
ANSWER_MAX = 10_000
REASON_MAX = 1000
ANNOUNCEMENT_TITLE_MAX, ANNOUNCEMENT_BODY_MAX = 200, 20_000
# A question makes sense while people can still act on the answer.
ASKING_STATES = frozenset({ChallengeState.SCHEDULED, ChallengeState.OPEN})


def question_anchor(question: Question) -> str:
    """The id of a question on the public challenge page (`#question-12`)."""
    return f"question-{question.id}"


def accepts_questions(challenge: Challenge, now: datetime) -> bool:
    """Published and scheduled or open at `now`."""
    return challenge.is_published and lifecycle.effective_state(challenge, now) in ASKING_STATES


def ask_question(*, challenge: Challenge, user: Any, body: str, now: datetime) -> Question:
    """A participant's clarifying question, waiting for the organisers. Raises DomainError."""
    if not can_ask_question(user, challenge):
        raise DomainError(_l("Please confirm your email address before asking a question."))
    if not accepts_questions(challenge, now):
        raise DomainError(_l("Questions can be asked only while a challenge is open or about to open."))
    body = (body or "").strip()
    if not QUESTION_MIN <= len(body) <= QUESTION_MAX:
        raise DomainError(_l("Write your question in %(min)d to %(max)d characters.",
                             min=QUESTION_MIN, max=QUESTION_MAX), field="body")
    question = Question(challenge_id=challenge.id, asked_by_id=user.id, body=body,
                        status=QuestionStatus.PENDING, created_at=now)
    db.session.add(question)
    db.session.flush()
    record_event(actor=user, action="question.asked", object_type="question", object_id=question.id,
                 details={"challenge": challenge.id})
    return question


def _merged_into(question: Question) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.merged_into_id == question.id,
                                                          Question.status == QuestionStatus.MERGED)))


def _email_asker(question: Question, *, template: str, subject: Any, **context: Any) -> None:
    asker = question.asked_by
    if asker is None or not asker.is_verified or asker.is_suspended:
        return
    queue_mail(to=asker.email, template=template, locale=asker.locale, subject=subject,
               challenge=question.challenge, recipient=asker, **context)


def answer_question(*, question: Question, by: User, answer: str, now: datetime) -> bool:
    """Answer in public (or correct an answer). Returns whether this was the first answer, which
    emails the followers, the asker and the askers of duplicates. Raises DomainError."""
    if question.status not in (QuestionStatus.PENDING, QuestionStatus.ANSWERED):
        raise DomainError(_l("Only questions waiting for an answer, or already answered, can be answered."))
    answer = (answer or "").strip()
    if not answer or len(answer) > ANSWER_MAX:
        raise DomainError(_l("Write an answer of at most %(max)d characters.", max=ANSWER_MAX), field="answer")
    first = question.status == QuestionStatus.PENDING
    question.answer = answer
    question.status = QuestionStatus.ANSWERED
    question.answered_by_id = by.id
    question.answered_at = now
    record_event(actor=by, action="question.answered" if first else "question.answer_changed",
                 object_type="question", object_id=question.id, details={"challenge": question.challenge_id})
    if first:
        challenge = question.challenge
        link = external_url("challenges.detail", slug=challenge.slug, anchor=question_anchor(question))
        subject = _l("Question answered: %(title)s", title=challenge.title)
        askers = [q for q in (question, *_merged_into(question)) if q.asked_by is not None]
        asker_ids = {q.asked_by_id for q in askers}
        for user in followers_of(challenge):
            if user.id not in asker_ids:  # they get the asker's version below, once
                queue_mail(to=user.email, template="challenges/answered", locale=user.locale, subject=subject,
                           challenge=challenge, recipient=user, question_url=link, to_asker=False,
                           asked=question, answered=question)
        for asked in askers:
            _email_asker(asked, template="challenges/answered", subject=subject, question_url=link,
                         to_asker=True, asked=asked, answered=question)
    return first


def merge_question(*, question: Question, into: Question, by: User, now: datetime) -> None:
    """Mark `question` a duplicate of `into` (same challenge). Raises DomainError."""
    if question.status != QuestionStatus.PENDING:
        raise DomainError(_l("Only questions waiting for an answer can be merged."))
    if into.challenge_id != question.challenge_id or into.id == question.id:
        raise DomainError(_l("Choose another question of this challenge."), field="into")
    if into.status not in (QuestionStatus.PENDING, QuestionStatus.ANSWERED):
        raise DomainError(_l("Choose a question that is answered or waiting for an answer."), field="into")
    question.status = QuestionStatus.MERGED
    question.merged_into_id = into.id
    question.answered_by_id = by.id
    question.answered_at = now
    record_event(actor=by, action="question.merged", object_type="question", object_id=question.id,
                 details={"challenge": question.challenge_id, "into": into.id})
    if into.status == QuestionStatus.ANSWERED:
        challenge = question.challenge
        _email_asker(question, template="challenges/answered",
                     subject=_l("Question answered: %(title)s", title=challenge.title),
                     question_url=external_url("challenges.detail", slug=challenge.slug, anchor=question_anchor(into)),
                     to_asker=True, asked=question, answered=into)


def decline_question(*, question: Question, by: User, reason: str, now: datetime) -> None:
    """Decline a question; only the asker learns why (it is never public). Raises DomainError."""
    if question.status != QuestionStatus.PENDING:
        raise DomainError(_l("Only questions waiting for an answer can be declined."))
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise DomainError(_l("Please give a reason of at most %(max)d characters: the person who asked "
                             "will read it.", max=REASON_MAX), field="reason")
    question.status = QuestionStatus.DECLINED
    question.decline_reason = reason
    question.answered_by_id = by.id
    question.answered_at = now
    record_event(actor=by, action="question.declined", object_type="question", object_id=question.id,
                 details={"challenge": question.challenge_id})
    challenge = question.challenge
    _email_asker(question, template="challenges/question_declined",
                 subject=_l("About your question on %(title)s", title=challenge.title), asked=question, reason=reason,
                 challenge_url=external_url("challenges.detail", slug=challenge.slug))


def post_announcement(*, challenge: Challenge, by: User, title: str, body_md: str,
                      now: datetime) -> Announcement:
    """Publish an announcement on the challenge page and email it to followers. Raises DomainError."""
    if not challenge.is_published:
        raise DomainError(_l("Publish the challenge before posting announcements."))
    title, body_md = (title or "").strip(), (body_md or "").strip()
    if not title or len(title) > ANNOUNCEMENT_TITLE_MAX:
        raise DomainError(_l("Give the announcement a title of at most %(max)d characters.",
                             max=ANNOUNCEMENT_TITLE_MAX), field="title")
    if not body_md or len(body_md) > ANNOUNCEMENT_BODY_MAX:
        raise DomainError(_l("Write the announcement in at most %(max)d characters.", max=ANNOUNCEMENT_BODY_MAX),
                          field="body")
    announcement = Announcement(challenge_id=challenge.id, author_id=by.id, title=title, body_md=body_md,
                                created_at=now)
    db.session.add(announcement)
    db.session.flush()
    record_event(actor=by, action="challenge.announcement", object_type="challenge", object_id=challenge.id,
                 details={"announcement": announcement.id})
    notify_followers(challenge, template="challenges/announcement",
                     subject=_l("News from %(title)s: %(headline)s", title=challenge.title, headline=title),
                     announcement=announcement,
                     challenge_url=external_url("challenges.detail", slug=challenge.slug,
                                            anchor=f"announcement-{announcement.id}"))
    return announcement


# ---------------------------------------------------------------- reading
def announcements_of(challenge: Challenge) -> list[Announcement]:
    """Announcements, newest first."""
    return list(db.session.scalars(select(Announcement).where(Announcement.challenge_id == challenge.id)
                                   .order_by(Announcement.created_at.desc(), Announcement.id.desc())))


def questions_by_status(challenge: Challenge) -> dict[QuestionStatus, list[Question]]:
    """Every question of the challenge for its organisers, grouped by status, oldest first."""
    grouped: dict[QuestionStatus, list[Question]] = {s: [] for s in QuestionStatus}
    for question in db.session.scalars(select(Question).where(Question.challenge_id == challenge.id)
                                       .order_by(Question.created_at, Question.id)):
        grouped[QuestionStatus(question.status)].append(question)
    return grouped
