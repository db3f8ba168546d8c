"""Judging: juries score concepts against the weighted rubric, blind where chosen; aggregation,
assignment of concepts to jurors, decisions and results (issue 10).

The pure parts come first and know nothing of Flask or the database: `aggregate.py` (scores to
rankings, calibration, uncertainty, agreement) and `assignment.py` (which juror reads which
concept). The feature is wired into the app by an `init_app(app)` here once it has pages.
"""
