"""The pages feature's named signals (higher features subscribe; pages never imports them)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# /healthz asks every feature with a health signal of its own: a receiver returns
# (name, {"ok": bool, ...}); a failing one makes the site "degraded", not "down" (R13).
health_requested = _signals.signal("health-requested")
