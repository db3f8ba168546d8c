"""Headers, health and error pages shared by every feature."""
from __future__ import annotations


def test_security_headers_on_pages_and_errors(client) -> None:
    # S25
    for url, status in (("/", 200), ("/does-not-exist", 404)):
        response = client.get(url)
        assert response.status_code == status
        csp = response.headers["Content-Security-Policy"]
        for part in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                     "frame-ancestors 'none'", "form-action 'self'"):
            assert part in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response.headers["Referrer-Policy"]


def test_healthz_reports_each_signal(client) -> None:
    # R13
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) >= {"database", "disk", "search_index", "outbox"}
