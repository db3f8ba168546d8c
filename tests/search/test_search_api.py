"""Open data (issue 11, item 9): the search as JSON at /api/v1/search and on /search by content
negotiation, described by a JSON Schema, and as an Atom feed of a saved query. The same results
as the HTML page, only what is public (S32), bad input a 400 and never a 500 (S28, S31)."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest

from app.api.views import SCHEMA_FILE
from app.challenges.models import Challenge
from app.core.timeutil import utcnow
from app.db import db
from app.feeds.builders import entry_id

BASE = "http://localhost"  # the tests' BASE_URL (tests/conftest.py)
JSON = {"Accept": "application/json"}


def _api(client: Any, **params: Any) -> tuple[int, dict[str, Any], Any]:
    response = client.get("/api/v1/search", query_string=params)
    return response.status_code, json.loads(response.get_data(as_text=True)), response


def _paths(document: dict[str, Any]) -> list[str]:
    return [r["url"].removeprefix(BASE) for r in document["results"]]


# ---------------------------------------------------------------- a JSON Schema check, by hand
# jsonschema is not installed; this covers the keywords search.schema.json uses, and the test
# below shows it refuses what it should, so a passing check means something.
def schema_errors(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str = "$") -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return schema_errors(value, root["$defs"][name], root, path)
    errors: list[str] = []
    if "oneOf" in schema:
        branches = [schema_errors(value, s, root, path) for s in schema["oneOf"]]
        passing = branches.count([])
        if passing != 1:
            errors.append(f"{path}: matches {passing} of oneOf")
        if passing == 0:
            errors += [e for branch in branches for e in branch]
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    if "type" in schema:
        wanted = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any((isinstance(value, int) and not isinstance(value, bool)) if t == "integer"
                 else isinstance(value, kinds[t]) for t in wanted)
        if not ok:
            return [f"{path}: {value!r} is not {wanted}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: {value} > {schema['maximum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, str) and schema.get("format") == "date-time" \
            and not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value):
        errors.append(f"{path}: {value!r} is not an ISO 8601 UTC date-time")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing {key}")
        if len(value) < schema.get("minProperties", 0):
            errors.append(f"{path}: fewer than {schema['minProperties']} properties")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if "propertyNames" in schema:
                errors += schema_errors(key, schema["propertyNames"], root, f"{path}[name {key}]")
            if key in props:
                errors += schema_errors(item, props[key], root, f"{path}.{key}")
            elif extra is False:
                errors.append(f"{path}: unexpected {key}")
            elif isinstance(extra, dict):
                errors += schema_errors(item, extra, root, f"{path}.{key}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{path}: {len(value)} items")
        if "items" in schema:
            for i, item in enumerate(value):
                errors += schema_errors(item, schema["items"], root, f"{path}[{i}]")
    return errors


@pytest.fixture
def schema() -> Callable[[Any], list[str]]:
    root = json.loads(Path(SCHEMA_FILE).read_text(encoding="utf-8"))
    return lambda document: schema_errors(document, root, root)


@pytest.fixture
def archive(make_org: Any, make_challenge: Any, make_concept: Any, rebuild_index: Any) -> dict[str, Any]:
    """Public challenges in two countries and languages, and a published winning-age concept."""
    dk, se = make_org("Affaldsby Kommune", country="DK"), make_org("Sopstad kommun", country="SE")
    now = utcnow()
    chs = [
        make_challenge("open", org=dk, title="Affaldssortering i boligområder", language="da",
                       summary="Hvordan sorterer beboerne mere affald rigtigt?", deadline_at=now + timedelta(days=5)),
        make_challenge("open", org=dk, title="Mindre affald fra skolernes kantiner", language="da",
                       summary="Skolerne smider for meget mad ud.", deadline_at=now + timedelta(days=9)),
        make_challenge("open", org=se, title="Sortera avfall i flerfamiljshus", language="sv",
                       summary="Hur får vi fler att sortera sitt avfall?", deadline_at=now + timedelta(days=3)),
    ]
    results = make_challenge("results", org=dk, concept_publication="all", title="Genbrug på genbrugspladsen",
                             language="da", summary="Idéer til mere genbrug af affald.")
    concept = make_concept("submitted", challenge=results, title="Affaldsapp for beboere",
                           summary="En app viser, hvor affaldet skal hen.", language="da")
    rebuild_index()
    return {"dk": dk, "se": se, "challenges": chs, "results": results, "concept": concept}


# ---------------------------------------------------------------- the same results as the page
@pytest.mark.both_databases
def test_the_json_holds_the_same_results_as_the_page(client, archive, search) -> None:
    for q, params in (("affald", {}), ("affald", {"country": "DK"}), ("", {"type": "challenge"}),
                      ("affald", {"sort": "date"}), ("", {"language": ["da", "sv"]}), ("nothingmatcheszz", {})):
        status, html, urls = search(q, **params)
        code, document, _ = _api(client, q=q, **params)
        assert (code, status) == (200, 200), (q, params)
        assert _paths(document) == urls, (q, params)
        assert f"{document['total']} result" in html or f"{document['total']} document" in html
        for facet, values in document["facets"].items():
            for v in values:  # every count the JSON gives is the one the page's facet form shows
                assert f'value="{v["value"]}"' in html, (facet, v)
                assert f'({v["count"]})' in html, (facet, v)
    code, document, _ = _api(client, q="affald")
    assert document["total"] >= 3  # both languages, challenges and the concept: the analysis works
    types = {r["type"] for r in document["results"]}
    assert types == {"challenge", "concept"}


def test_the_json_validates_against_its_schema(client, archive, schema) -> None:
    _code, document, _ = _api(client, q="affald", per_page=2)
    assert schema(document) == []
    assert document["per_page"] == 2
    assert document["pages"] == -(-document["total"] // 2)
    concept = next(r for r in _api(client, q="affaldsapp")[1]["results"] if r["type"] == "concept")
    assert concept["challenge"] == {"id": archive["results"]["id"], "title": "Genbrug på genbrugspladsen"}
    assert concept["url"] == f"{BASE}/challenges/{archive['results']['slug']}/concepts/{archive['concept']['id']}"
    _code, errors, _ = _api(client, page="0")
    assert schema(errors) == []
    # The check refuses what the schema refuses (so passing means something).
    broken = dict(document, total="3")
    del broken["links"]
    found = schema(broken)
    assert any("missing links" in e for e in found)
    assert any(".total" in e for e in found)
    assert schema(dict(document, results=[dict(document["results"][0], date="yesterday")]))
    assert schema({"errors": {}})


def test_links_page_through_the_results(client, archive) -> None:
    _code, first, _ = _api(client, q="affald", per_page=2)
    links = first["links"]
    assert links["prev"] is None
    assert links["self"].startswith(f"{BASE}/api/v1/search?")
    assert links["html"] == f"{BASE}/search?q=affald"
    assert links["atom"] == f"{BASE}/search/feed.atom?q=affald"
    seen = _paths(first)
    url = links["next"]
    while url:
        response = client.get(url.removeprefix(BASE))
        page = response.get_json()
        seen += _paths(page)
        url = page["links"]["next"]
    assert len(seen) == len(set(seen)) == first["total"]
    assert page["links"]["prev"] is not None


# ---------------------------------------------------------------- content negotiation
def test_search_answers_json_when_the_client_prefers_it(client, archive) -> None:
    _code, api, _ = _api(client, q="affald", country="DK")
    for accept, wanted in (("application/json", "json"), ("application/json, text/html;q=0.5", "json"),
                           ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
                           ("text/html, application/json", "html"), ("*/*", "html"), (None, "html")):
        headers = {"Accept": accept} if accept else {}
        response = client.get("/search", query_string={"q": "affald", "country": "DK"}, headers=headers)
        assert response.status_code == 200
        assert "Accept" in response.headers.get("Vary", ""), accept
        if wanted == "json":
            assert response.mimetype == "application/json", accept
            document = response.get_json()
            assert {k: v for k, v in document.items() if k != "links"} == \
                   {k: v for k, v in api.items() if k != "links"}
            assert document["links"]["self"].startswith(f"{BASE}/search?")
            assert response.headers["Access-Control-Allow-Origin"] == "*"
        else:
            assert response.mimetype == "text/html", accept
            assert "Access-Control-Allow-Origin" not in response.headers
    response = client.get("/search", query_string={"page": "0"}, headers=JSON)
    assert (response.status_code, response.mimetype) == (400, "application/json")
    assert "page" in response.get_json()["errors"]


# ---------------------------------------------------------------- bad input
def test_bad_input_is_a_400_with_the_field_and_a_message(client, archive) -> None:
    """S28/S31: never a 500; the message says what is wrong, by parameter."""
    cases = [({"q": '"affald'}, "q"), ({"q": "OR"}, "q"), ({"q": "x" * 10_000}, "q"),
             ({"page": "0"}, "page"), ({"page": "abc"}, "page"), ({"page": str(10**9)}, "page"),
             ({"sort": "title;DROP TABLE x"}, "sort"), ({"sort": "author_email"}, "sort"),
             ({"per_page": "1000"}, "per_page"), ({"per_page": "0"}, "per_page"), ({"per_page": "-5"}, "per_page"),
             ({"year": "abc"}, "year"), ({"type": "secret"}, "type"), ({"sdg": "99"}, "sdg"),
             ({"winner": "maybe"}, "winner"), ({"organisation": "Not A Slug!"}, "organisation"),
             ({"per_page": "50", "page": "21"}, "page"), ({"lang": "xx"}, "lang")]
    for params, field in cases:
        code, document, response = _api(client, **params)
        assert code == 400, params
        assert response.mimetype == "application/json"
        assert document["errors"].get(field), params
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert _api(client, per_page="50", page="20")[0] == 200  # 1,000 results deep, as the page
    assert _api(client, organisation="no-such-org")[0] == 200  # a well-formed value that matches nothing
    assert _api(client, q="<script>alert(1)</script>")[0] == 200


def test_error_messages_follow_the_language_asked_for(client) -> None:
    response = client.get("/api/v1/search?page=0", headers={"Accept-Language": "sv-SE,sv;q=0.9"})
    assert response.get_json()["errors"]["page"] == "Sidan måste vara ett heltal, 1 eller mer."
    english = client.get("/api/v1/search?page=0").get_json()["errors"]["page"]
    danish = client.get("/api/v1/search?page=0&lang=da", headers={"Accept-Language": "sv"}).get_json()
    assert danish["errors"]["page"] not in (english, "Sidan måste vara ett heltal, 1 eller mer.")
    assert "Accept-Language" in response.headers["Vary"]


def test_an_unknown_api_address_is_a_json_404(client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert (response.status_code, response.mimetype) == (404, "application/json")
    assert response.get_json()["errors"]["request"]


# ---------------------------------------------------------------- what never appears
def test_private_content_never_appears_in_the_json_or_the_feed(client, make_challenge, make_concept,
                                                               rebuild_index, archive) -> None:
    """S32: a marker in a draft challenge, in concepts of a challenge still judging, in a draft and
    a withdrawn concept of a published one, and in a team name is in no answer."""
    marker = "qzxopendata"
    make_challenge("draft", title=f"{marker} draft challenge", summary=marker)
    judging = make_challenge("judging", concept_publication="all", title="Affald i judging")
    make_concept("submitted", challenge=judging, title=f"{marker} unpublished", summary=marker)
    published = archive["results"]
    make_concept("draft", challenge=published, title=f"{marker} draft concept", summary=marker, body_md=marker)
    make_concept("withdrawn", challenge=published, title=f"{marker} withdrawn", summary=marker)
    make_concept("submitted", challenge=published, team_name=f"Team {marker}", members=[f"{marker}@example.org"])
    rebuild_index()
    for q in ("", "affald", "judging", "team", "draft"):
        for response in (client.get("/api/v1/search", query_string={"q": q, "per_page": "50"}),
                         client.get("/search", query_string={"q": q}, headers=JSON),
                         client.get("/search/feed.atom", query_string={"q": q})):
            assert response.status_code == 200
            assert marker not in response.get_data(as_text=True), response.request.url
    # Searching for the marker itself echoes it in `query` and the links, and finds nothing.
    found = client.get("/api/v1/search", query_string={"q": marker}).get_json()
    assert (found["total"], found["results"], found["facets"]) == (0, [], {f: [] for f in found["facets"]})
    assert feedparser.parse(client.get("/search/feed.atom", query_string={"q": marker}).get_data()).entries == []


# ---------------------------------------------------------------- snippets
def test_snippets_are_plain_text_with_the_matches_marked(client, make_challenge, rebuild_index) -> None:
    """S28: user markup is text in the JSON; `snippet_html` has only our <mark>."""
    make_challenge("open", title="<img src=x onerror=alert(1)> Cykelstier",
                   summary="<script>x</script> Nye cykelstier & bedre cykelparkering ved stationen.", language="da")
    rebuild_index()
    result = _api(client, q="cykelstier")[1]["results"][0]
    assert result["title"] == "<img src=x onerror=alert(1)> Cykelstier"
    assert "script>x</script> Nye" in result["snippet"]  # Whoosh's fragment starts at a word
    assert "& bedre" in result["snippet"]
    assert result["highlights"], result
    for start, end in result["highlights"]:
        assert result["snippet"][start:end].casefold().startswith("cykel")
    assert "<script>" not in result["snippet_html"]
    assert "x&lt;/script&gt; Nye <mark>" in result["snippet_html"]
    assert "&amp;" in result["snippet_html"]
    assert re.sub(r"<mark>(.*?)</mark>", r"\1", result["snippet_html"]) == \
           result["snippet"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")\
           .replace("'", "&#39;")
    assert re.findall(r"<(\w+)", result["snippet_html"]) == ["mark"] * len(result["highlights"])


# ---------------------------------------------------------------- headers, limits, degraded
def test_open_data_headers(client, archive, logged_in) -> None:
    """Any origin may read it (no credentials involved); caches keep it a minute; signed in, the
    site's no-store still wins (S27)."""
    response = _api(client, q="affald")[2]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.cache_control.public
    assert response.cache_control.max_age == 60
    schema = client.get("/api/v1/schemas/search.json")
    assert schema.status_code == 200
    assert schema.headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(schema.get_data(as_text=True))["$defs"]["result"]
    feed = client.get("/search/feed.atom?q=affald")
    assert feed.cache_control.public
    assert feed.cache_control.max_age == 900
    logged_in()
    assert _api(client, q="affald")[2].headers["Cache-Control"] == "no-store"


def test_a_rate_limit_is_shared_by_the_open_data_answers(app, client, archive) -> None:
    """R11: per address; the HTML page is not limited (a class behind one address searches together)."""
    app.config["OPEN_DATA_LIMIT_PER_IP"] = "3 per minute"
    assert _api(client, q="affald")[0] == 200
    assert client.get("/search?q=affald", headers=JSON).status_code == 200
    assert client.get("/search/feed.atom?q=affald").status_code == 200
    code, document, response = _api(client, q="affald")
    assert code == 429
    assert document["errors"]["request"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    limited = client.get("/search?q=affald", headers=JSON)
    assert (limited.status_code, limited.mimetype) == (429, "application/json")
    feed = client.get("/search/feed.atom?q=affald")
    assert (feed.status_code, feed.mimetype) == (429, "text/plain")
    assert feed.headers["Retry-After"]
    assert client.get("/search?q=affald").status_code == 200
    other = app.test_client()
    assert other.get("/api/v1/search", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


def test_a_missing_index_still_answers_and_says_degraded(app, client, archive, delete_index) -> None:
    """R08: the database fallback answers the JSON too, marked degraded and cached only briefly."""
    delete_index()
    code, document, response = _api(client, q="Affaldssortering")
    assert code == 200
    assert document["degraded"] is True
    assert document["facets"] == {}
    assert f"/challenges/{archive['challenges'][0]['slug']}" in _paths(document)
    assert response.cache_control.max_age == 5
    assert client.get("/search/feed.atom?q=Affaldssortering").status_code == 200


# ---------------------------------------------------------------- the Atom feed
def test_the_feed_lists_the_newest_matches_first(app, client, make_challenge, rebuild_index) -> None:
    now = utcnow()
    # "Newest" is by publication (the search's date for a challenge).
    made = [make_challenge("open", title=f"Bynatur nummer {i}", language="da", summary="Mere bynatur i byen.",
                           published_at=now - timedelta(days=1 + i)) for i in range(22)]
    make_challenge("open", title="<script>alert(1)</script> & bynatur", language="da",
                   published_at=now - timedelta(hours=1))
    rebuild_index()
    response = client.get("/search/feed.atom", query_string={"q": "bynatur", "sort": "relevance", "page": "3"})
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    raw = response.get_data(as_text=True)
    assert "<script>" not in raw
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    entries = feed.entries
    assert len(entries) == 20
    assert entries[0].title == "<script>alert(1)</script> & bynatur"  # S28: text, escaped in the XML
    # The search's date order, newest first: the same order as the JSON sorted by date.
    by_date = _api(client, q="bynatur", sort="date", per_page=20)[1]["results"]
    assert [e.link for e in entries] == [r["url"] for r in by_date]
    dates = [r["date"] for r in by_date]
    assert dates == sorted(dates, reverse=True)
    assert entries[1].link == f"{BASE}/challenges/{made[0]['slug']}"
    for e in entries:  # published when it was published
        assert e.published_parsed <= utcnow().timetuple()
    for e in entries:
        assert e.link.startswith(f"{BASE}/challenges/")
        assert re.fullmatch(r"tag:localhost,\d{4}-\d\d-\d\d:challenge/\d+", e.id)
        assert e.author_detail.href.startswith(f"{BASE}/organisations/")
    assert len({e.id for e in entries}) == 20
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"{BASE}/search/feed.atom?q=bynatur"
    assert links["alternate"] == f"{BASE}/search?q=bynatur&sort=date"
    assert feed.feed.title == "Concept Arena search: bynatur"
    with app.app_context():
        # One entry id for a challenge in every feed of the site (app/feeds too).
        assert entry_id(db.session.get(Challenge, made[0]["id"])) == entries[1].id


def test_the_feed_refuses_bad_input_with_a_400(client, archive) -> None:
    for params in ({"q": '"affald'}, {"q": "x" * 10_000}, {"year": "abc"}, {"type": "secret"}):
        response = client.get("/search/feed.atom", query_string=params)
        assert response.status_code == 400, params
        assert response.mimetype == "text/plain"
        assert response.get_data(as_text=True).strip()
    filtered = feedparser.parse(client.get("/search/feed.atom", query_string={"country": "SE"}).get_data())
    assert [e.title for e in filtered.entries] == ["Sortera avfall i flerfamiljshus"]
    assert "Sweden" in filtered.feed.title


def test_the_results_page_offers_the_feed(client, archive) -> None:
    html = client.get("/search", query_string={"q": "affald", "country": "DK", "sort": "date"}).get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml" href="/search/feed.atom?q=affald&amp;country=DK"' in html
    assert '<a href="/search/feed.atom?q=affald&amp;country=DK" type="application/atom+xml">' \
           'Follow this search as a feed</a>' in html
    broken = client.get("/search", query_string={"q": '"affald'}).get_data(as_text=True)
    assert "feed.atom" not in broken


def test_a_fault_inside_the_api_is_a_json_500(app, client, archive) -> None:
    """Never the HTML error page to a program: a table gone under the running site (a broken
    deployment) gives a JSON 500 with the site's own message."""
    from sqlalchemy import text

    with app.app_context():
        # The facet labels read it (a rename, as a DROP would cascade into the rows that refer to it).
        db.session.execute(text("ALTER TABLE organisations RENAME TO organisations_gone"))
        db.session.commit()
    try:
        code, document, response = _api(client, q="affald")
    finally:  # the PostgreSQL test database is shared by the tests that follow
        with app.app_context():
            db.session.rollback()
            db.session.execute(text("ALTER TABLE organisations_gone RENAME TO organisations"))
            db.session.commit()
    assert code == 500
    assert response.mimetype == "application/json"
    assert document["errors"]["request"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_browser_opening_the_feed_gets_the_page_on_how_to_subscribe(client, archive) -> None:
    """As the site's other feeds (app/feeds): a person gets the address to copy, a reader the feed."""
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    page = client.get("/search/feed.atom", query_string={"q": "affald", "country": "DK"}, headers=browser)
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert f'value="{BASE}/search/feed.atom?q=affald&amp;country=DK"' in html
    assert f'href="{BASE}/search/feed.atom?q=affald&amp;country=DK&amp;format=raw"' in html
    raw = client.get("/search/feed.atom", query_string={"q": "affald", "country": "DK", "format": "raw"},
                     headers=browser)
    assert raw.mimetype == "application/atom+xml"
    assert feedparser.parse(raw.get_data()).entries
