"""The ceiling for bench/pages.py: a bare Flask app rendering a small Jinja template.

Served by gunicorn with the same settings as the real app (`gunicorn bare_app:app` from bench/),
so the ratio between the two is what our own code costs on this machine.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))

ITEMS = [f"Organisation {n}" for n in range(1, 13)]


@app.route("/")
def index() -> str:
    return render_template("bare.html", title="Bare Flask", items=ITEMS)
