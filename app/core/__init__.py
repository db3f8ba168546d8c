"""What every feature shares. `init_app` registers the response rules (headers, error pages), the
template helpers every feature uses, and `flask files sweep`."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.core import assets, cli, contents, formatting, pagecache, web

    web.init_app(app)
    pagecache.init_app(app)
    assets.init_app(app)
    formatting.init_app(app)
    contents.init_app(app)
    cli.register(app)
