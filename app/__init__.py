"""The application factory: the one module that knows every feature."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ROOT, check_production, load_config
from .db import configure_sqlite, db
from .extensions import babel, csrf, limiter, login_manager, migrate


def create_app(config: Mapping[str, Any] | str | None = None) -> Flask:
    """Build the app. `config` is an environment name ("production", "testing") or overrides."""
    env = config if isinstance(config, str) else None
    overrides = dict(config) if isinstance(config, Mapping) else {}
    settings = load_config(env or overrides.get("ENV_NAME"))
    settings.update(overrides)
    if settings["ENV_NAME"] == "production":
        check_production(settings)

    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(Path(__file__).parent / "static"),
                instance_path=str(ROOT / "instance"), instance_relative_config=False)
    app.config.from_mapping(settings)
    if app.config["TEMPLATE_CACHE_DIR"]:  # compiled templates shared by every app and worker
        from jinja2 import FileSystemBytecodeCache

        Path(app.config["TEMPLATE_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
        app.jinja_env.bytecode_cache = FileSystemBytecodeCache(app.config["TEMPLATE_CACHE_DIR"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)  # type: ignore[method-assign]

    logging.getLogger("concept_arena").setLevel(logging.INFO)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from app import (
        accounts,
        admin,
        api,
        challenges,
        concepts,
        core,
        demo,
        feeds,
        judging,
        mail,
        organisations,
        pages,
        search,
    )
    from app.cli import register_cli
    from app.i18n_setup import init_i18n
    from app.models import register_models

    register_models()
    init_i18n(app, babel)
    # Every feature wires itself here, in the order imports flow (STYLE §1): nothing registers a
    # route, helper, command or receiver by being imported.
    for feature in (core, mail, accounts, organisations, challenges, concepts, judging, search, api, feeds, pages, admin, demo):
        feature.init_app(app)
    register_cli(app)

    if settings["ENV_NAME"] == "production":
        from app.accounts.auth import refuse_demo_accounts

        try:
            refuse_demo_accounts(app)
        except Exception:
            with app.app_context():
                db.engine.dispose()  # this app never serves: close the connection it opened
            raise
    return app
