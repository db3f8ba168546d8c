"""The forms of the archive upload page: the file to check, and the import of the checked file."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from app.i18n import _l

ACCEPT = ".jsonl,.ndjson,.txt,application/jsonl,application/x-ndjson,text/plain"


class ArchiveFileForm(FlaskForm):
    file = FileField(_l("Archive file (JSONL)"), validators=[FileRequired(_l("Choose a JSONL file to check."))],
                     render_kw={"accept": ACCEPT})


class ArchiveImportForm(FlaskForm):
    # A signed reference to the checked file, bound to the organisation and the user (views/archive.py).
    checked = HiddenField(validators=[DataRequired(), Length(max=2000)])
