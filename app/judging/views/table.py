"""The chair's deliberation table of a round and its exports (issue 10, item 8)."""
from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal, format_percent
from flask import abort, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required
from markupsafe import Markup

from app.core.downloads import as_download
from app.db import db
from app.i18n import _
from app.judging.aggregate import AgreementLevel, Alpha, AlphaUndefined, Basis
from app.judging.models import RoundMethod
from app.judging.services import exports
from app.judging.services.table import CACHE, Table, build_table, round_for
from app.judging.views._load import jury_challenge

MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class NumberText:
    """Fast locale-aware figures for the table's thousands of cells: the locale's decimal sign and
    minus, trailing zeros dropped ("55", "54,5"), as Babel's format_decimal writes numbers below 1000
    (which every score, mean and spread is). Babel itself takes about 20 µs a cell: 90 ms a page."""

    def __init__(self, locale: str) -> None:
        from babel import Locale

        symbols = Locale.parse(locale).number_symbols.get("latn", {})
        self.decimal = symbols.get("decimal", ".")
        self.minus = symbols.get("minusSign", "-")

    def __call__(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return ""
        text = f"{float(value):.{digits}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text in ("-0", ""):
            text = "0"
        return text.replace("-", self.minus).replace(".", self.decimal)


def percent(share: float) -> str:
    return format_percent(share, locale=str(get_locale() or "en"))


def agreement_sentence(alpha: Alpha | None, criterion: str | None = None) -> str:
    """Aggregate's agreement level as one translated sentence for the chair (its own English
    explanation is for publication only)."""
    if alpha is None or alpha.undefined is AlphaUndefined.TOO_FEW_JURORS:
        if criterion is None:
            return _("Agreement between jurors cannot be measured yet: no concept has been scored by two "
                     "jurors.")
        return _("Agreement on %(criterion)s cannot be measured yet: no concept has been scored on it by two "
                 "jurors.", criterion=criterion)
    if alpha.undefined is AlphaUndefined.NO_VARIANCE or alpha.value is None:
        if criterion is None:
            return _("Agreement between jurors cannot be measured: every score given is the same.")
        return _("Agreement on %(criterion)s cannot be measured: every score given on it is the same.",
                 criterion=criterion)
    value = format_decimal(round(alpha.value, 2), format="0.00", locale=str(get_locale() or "en"))
    if alpha.level is AgreementLevel.GOOD:
        if criterion is None:
            return _("Overall the jurors agree well (Krippendorff’s alpha %(alpha)s; 0.80 or more is good "
                     "agreement).", alpha=value)
        return _("The jurors agree well on %(criterion)s (alpha %(alpha)s).", criterion=criterion, alpha=value)
    if alpha.level is AgreementLevel.TENTATIVE:
        if criterion is None:
            return _("Overall the jurors agree only in part (Krippendorff’s alpha %(alpha)s, between 0.67 and "
                     "0.80): treat conclusions from these scores as tentative.", alpha=value)
        return _("The jurors agree only in part on %(criterion)s (alpha %(alpha)s): treat it as tentative.",
                 criterion=criterion, alpha=value)
    if criterion is None:
        return _("Overall the jurors disagree (Krippendorff’s alpha %(alpha)s, below 0.67): discuss the scores "
                 "before deciding.", alpha=value)
    return _("The jurors disagree on %(criterion)s (alpha %(alpha)s): discuss it before deciding.",
             criterion=criterion, alpha=value)


def _basis() -> Basis:
    return Basis.CALIBRATED if request.args.get("basis") == Basis.CALIBRATED else Basis.RAW


def _round_number() -> int | None:
    raw = request.args.get("round")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 6:
        abort(404)
    return int(raw)


@login_required
def table(slug: str) -> Any:
    challenge, _seat = jury_challenge(slug, chair=True)
    number = _round_number()
    rounds, judging_round = round_for(challenge, number)
    if number is not None and judging_round is None:
        abort(404)
    result = build_table(challenge, judging_round, _basis()) if judging_round is not None else None
    body = _body(result) if result is not None and result.method != RoundMethod.RANKING else ""
    return render_template("judging/table.html", challenge=challenge, rounds=rounds, judging_round=judging_round,
                           table=result, basis=_basis(), body=body)


def _body(table: Table) -> Markup:
    """The ranking, agreement and charts as HTML, cached per table and locale: rendering thousands
    of cells is most of the page's time, and allocating them on every request brings the garbage
    collector's full passes round often enough to show in the p95."""
    locale = str(get_locale() or "en")
    key = ("html", table.cache_key, locale)
    html = CACHE.get(key)
    if html is None:
        html = Markup(render_template("judging/_table_body.html", table=table, basis=table.basis,
                                      agreement_sentence=agreement_sentence, percent=percent,
                                      num=NumberText(locale)))
        CACHE.put(key, html)
    return html


def _export(slug: str, fmt: str) -> Any:
    challenge, _seat = jury_challenge(slug, chair=True)
    number = _round_number()
    _rounds, judging_round = round_for(challenge, number)
    if judging_round is None:
        abort(404)
    result = build_table(challenge, judging_round, _basis())
    data, name = exports.export_table(table=result, by=current_user, fmt=fmt)
    db.session.commit()
    response = current_app.response_class(data, mimetype=MIMETYPES[fmt].split(";")[0])
    response.headers["Content-Type"] = MIMETYPES[fmt]
    return as_download(response, name)


@login_required
def table_csv(slug: str) -> Any:
    return _export(slug, "csv")


@login_required
def table_xlsx(slug: str) -> Any:
    return _export(slug, "xlsx")
