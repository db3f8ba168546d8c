"""Mail: the transactional outbox, its sender, the demo mailbox and the admin's outbox page.

`init_app` is the one place that wires the feature into an app.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.mail import cli
    from app.mail.services import recipient_time
    from app.mail.views import bp

    app.register_blueprint(bp)
    app.add_template_filter(recipient_time, "recipient_time")
    cli.register(app)
