"""`flask serve` for `make run`. Every feature registers its own commands in its `init_app`."""
from __future__ import annotations

import click
from flask import Flask


def register_cli(app: Flask) -> None:
    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    def serve(host: str, port: int) -> None:
        """Serve the site for a local demo, with the outbox sender running beside it."""
        import os

        from app.challenges.tasks import start_background_ticker
        from app.config import local_base_url
        from app.core.sweep import start_background_sweeper
        from app.mail.sender import start_background_sender
        from app.search.indexing import start_background_indexer

        if not os.environ.get("BASE_URL"):
            # Links in emails and feeds point where this server listens (issue 12): `make run
            # PORT=8000` must not send people to :5000.
            app.config["BASE_URL"] = local_base_url(host, port)
            if host not in app.config["TRUSTED_HOSTS"] and host not in ("0.0.0.0", "::"):
                app.config["TRUSTED_HOSTS"].append(host)
        start_background_sender(app)
        start_background_ticker(app)  # records opened/closed challenges every minute
        start_background_sweeper(app)  # removes orphaned uploads every hour (R05)
        start_background_indexer(app)  # applies search index changes within a second; rebuilds a missing index
        click.echo(f"Concept Arena is running on {app.config['BASE_URL']}/  (Ctrl+C stops it)")
        # app.run() returns at once inside a `flask` command (FLASK_RUN_FROM_CLI): serve directly.
        from werkzeug.serving import run_simple

        run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)
