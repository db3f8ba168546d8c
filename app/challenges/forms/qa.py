"""Forms of questions and answers: asking, answering, merging, declining, and announcements."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from app.challenges.services.qa import (
    ANNOUNCEMENT_BODY_MAX,
    ANNOUNCEMENT_TITLE_MAX,
    ANSWER_MAX,
    QUESTION_MAX,
    QUESTION_MIN,
    REASON_MAX,
)
from app.core.forms import TextLength
from app.i18n import _l


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class QuestionForm(FlaskForm):
    body = TextAreaField(_l("Your question"), filters=[_strip],
                         validators=[DataRequired(), TextLength(max=QUESTION_MAX, min=QUESTION_MIN, stated=True)],
                         description=_l("%(min)d to %(max)d characters. The organisers publish answered "
                                        "questions on the challenge page without your name.",
                                        min=QUESTION_MIN, max=QUESTION_MAX))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), filters=[_strip], validators=[DataRequired(), TextLength(max=ANSWER_MAX)],
                           description=_l("Published on the challenge page with the question, and emailed to "
                                          "its followers. You can use Markdown: **bold**, lists, links."))


class MergeForm(FlaskForm):
    into = SelectField(_l("Duplicate of"), coerce=int, validators=[DataRequired()],
                       description=_l("The question that answers this one. The person who asked gets its "
                                      "answer by email."))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason for declining"), filters=[_strip],
                           validators=[DataRequired(), TextLength(max=REASON_MAX)],
                           description=_l("Only the person who asked reads it; declined questions are never "
                                          "published."))


class AnnouncementForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip],
                        validators=[DataRequired(), TextLength(max=ANNOUNCEMENT_TITLE_MAX)])
    body = TextAreaField(_l("Announcement"), filters=[_strip],
                         validators=[DataRequired(), TextLength(max=ANNOUNCEMENT_BODY_MAX)],
                         description=_l("Shown on the challenge page and emailed to its followers. You can "
                                        "use Markdown: **bold**, lists, links."))
