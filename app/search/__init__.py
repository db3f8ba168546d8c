"""Search and archive: the public index of challenges and published concepts (issue 11).

It reads the features below it (documents.py decides what is public) and no feature imports it.
init_app registers the page, the CLI, the session events that queue index changes, and the
backend chosen by SEARCH_BACKEND (whoosh, the default; postgres for several app hosts).
"""
from __future__ import annotations

from flask import Flask

from app.search import hooks


def init_app(app: Flask) -> None:
    from app.challenges import signals as challenge_signals
    from app.concepts import signals as concept_signals
    from app.pages import signals as page_signals
    from app.search import cli, indexing, related
    from app.search.routes import bp

    app.register_blueprint(bp)
    indexing.backend_for(app)  # an unknown SEARCH_BACKEND fails at start, not on the first search
    indexing.entries_backend_for(app)  # the jury's entries index, of the same kind (item 6)
    hooks.listen()
    cli.register(app)
    page_signals.health_requested.connect(indexing.health)
    # Related and similar (item 5): the pages below ask through their signals; search answers.
    challenge_signals.related_requested.connect(related.related_challenges)
    concept_signals.similar_requested.connect(related.similar_concepts)
    concept_signals.prior_art_requested.connect(related.prior_art)
