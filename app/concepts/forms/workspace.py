"""Forms of the concept workspace: the shape of what a team types (rules live in workspace.py)."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import HiddenInput

from app.challenges.forms.editor import LanguageTagsMixin, language_choices
from app.concepts.services.workspace import (
    CONCEPT_FILE_TYPES,
    MAX_ALT_CHARS,
    MAX_BODY_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    DraftInput,
)
from app.core.files import accepted_extensions
from app.core.forms import TextLength
from app.i18n import _l

ACCEPT = ",".join(accepted_extensions(CONCEPT_FILE_TYPES))


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _strip_text(value: Any) -> Any:
    # Markdown keeps its inner line breaks and indentation; only surrounding blank lines go.
    return value.strip("\r\n") if isinstance(value, str) else value


def _one_paragraph(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


class DraftTextForm(LanguageTagsMixin, FlaskForm):
    """The text of a draft: what the full form and autosave both send. No files."""

    lock_version = IntegerField(widget=HiddenInput(), validators=[
        InputRequired(message=_l("The form is incomplete. Reload the page and try again."))])
    title = StringField(_l("Title"), filters=[_strip], validators=[
        TextLength(max=MAX_TITLE_CHARS, stated=True)],
        description=_l("Needed to submit, not to save. At most 200 characters."))
    summary = TextAreaField(_l("Summary"), filters=[_one_paragraph], validators=[
        TextLength(max=MAX_SUMMARY_CHARS, stated=True)],
        description=_l("One paragraph, at most 1,000 characters: what problem your concept solves, for whom, "
                       "and how."), render_kw={"rows": 4})
    body_md = TextAreaField(_l("Your concept"), filters=[_strip_text], validators=[
        TextLength(max=MAX_BODY_CHARS, stated=True)],
        description=_l("Markdown: ## headings, *emphasis*, - lists, [links](https://…). At most 50,000 "
                       "characters. Use “Save and preview” to see it formatted."), render_kw={"rows": 20})
    language = SelectField(_l("Language of the concept"), choices=language_choices(), default="en",
                           validate_choice=False)
    tags = StringField(_l("Tags"), filters=[_strip], validators=[TextLength(max=600, quiet=True)],
                       description=_l("Separate tags with commas, for example: recycling, apps, schools. "
                                      "At most 10 tags of 40 characters each."))
    cover_alt = StringField(_l("Text alternative for the cover image"), filters=[_strip], validators=[
        TextLength(max=MAX_ALT_CHARS)],
        description=_l("Required with an image: describe what it shows for people who cannot see it, in one "
                       "sentence."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tag_list: list[tuple[str, str]] = []


    def draft_input(self, cover_hash: str | None = None, remove_cover: bool = False) -> DraftInput:
        """The validated values of this form's fields, and nothing else (S20)."""
        return DraftInput(title=self.title.data or "", summary=self.summary.data or "",
                          body_md=self.body_md.data or "", language=self.language.data,
                          tags=self.tag_list, cover_hash=cover_hash, cover_alt=self.cover_alt.data or "",
                          remove_cover=remove_cover)


class AutosaveForm(DraftTextForm):
    # CSRFProtect has already checked the token (X-CSRFToken header or the form field) before the view.
    class Meta:
        csrf = False


class DraftForm(DraftTextForm):
    """The whole workspace form: the text, the cover image and one new attachment (for pages without JS)."""

    cover = FileField(_l("Cover image (optional)"),
                      description=_l("PNG, JPEG or WebP, at most 5 MB. Shown at most 512 pixels wide."),
                      render_kw={"accept": "image/png,image/jpeg,image/webp"})
    remove_cover = BooleanField(_l("Remove the cover image"))
    attachment = FileField(_l("Add a file (optional)"), render_kw={"accept": ACCEPT})

    def validate_cover_alt(self, field: Any) -> None:
        upload = self.cover.data
        if upload is not None and getattr(upload, "filename", "") and not field.data:
            raise ValidationError(_l("Describe the cover image in a sentence for people who cannot see it."))


class UploadForm(FlaskForm):
    """One file, sent by the page's script (with a progress bar) or by the form below the list."""

    lock_version = IntegerField(widget=HiddenInput(), validators=[])
    attachment = FileField(_l("Add a file (optional)"), render_kw={"accept": ACCEPT})
