"""Outbox sender (being built)."""
from flask import Flask


def start_background_sender(app: Flask) -> None:
    return None
