"""The public search page."""
from __future__ import annotations

from typing import Any

from flask import render_template, request

from app.search.forms import read_params
from app.search.queries import FACET_LABELS, run_search
from app.search.schema import FACETS


def search() -> Any:
    params = read_params(request.args)
    page = run_search(params)
    status = 400 if params.errors or page.syntax_error else 200
    return render_template("search/results.html", page=page, params=params, facets=FACETS,
                           facet_labels=FACET_LABELS), status
