"""The public challenge list that makes sense (issue 12, items 4 and 5): cancelled challenges only on
request; "Largest prize" across currencies at the configured rates (in SQL, pages stable); amounts
written as people write them in each language; chosen filters as removable chips; topics with one
capitalisation, grouped by the challenges' language; cards with the cover (and its alt text) and the
organisation's logo; bad list parameters a 400 with one message at the field, the rest kept and a
link to the first page."""
from __future__ import annotations

import html as html_lib
import io
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from sqlalchemy import event, select
from werkzeug.datastructures import FileStorage

from app import create_app
from app.challenges.models import Challenge, Tag
from app.config import ConfigError, load_config
from app.core.money import comparison_key
from app.core.uploads import store_image
from app.db import db
from app.i18n_setup import format_money
from app.organisations.models import Organisation

CARD = re.compile(r'<h3><a href="/challenges/([^"]+)"')
CHIP = re.compile(r'<li><a href="([^"]+)"><span class="visually-hidden">([^<]*)</span>([^<]*)'
                  r'<span aria-hidden="true">×</span></a></li>')
FIELD_ERROR = re.compile(r'<p class="error-message" id="([^"]+)-error">(.*?)</p>', re.S)
NBSP = "\u00a0"


def slugs(client: Any, url: str, status: int = 200) -> list[str]:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return CARD.findall(response.get_data(as_text=True))


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(html_lib.unescape(url)).query)


def _png() -> FileStorage:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 27), (10, 120, 60)).save(buffer, "PNG")
    return FileStorage(io.BytesIO(buffer.getvalue()), "picture.png")


# ---------------------------------------------------------------- cancelled challenges
@pytest.mark.both_databases
def test_cancelled_challenges_leave_the_default_list_and_come_back_on_request(client, make_org,
                                                                             make_challenge) -> None:
    org = make_org()
    running = make_challenge("open", org=org, title="Still running")["slug"]
    cancelled = make_challenge("cancelled", org=org, title="Called off", cancel_reason="No budget")["slug"]
    assert slugs(client, "/challenges/") == [running]
    assert set(slugs(client, "/challenges/?status=all")) == {running, cancelled}
    assert slugs(client, "/challenges/?status=cancelled") == [cancelled]
    page = client.get("/challenges/").get_data(as_text=True)
    assert "Cancelled challenges are left out unless you choose them here." in page
    assert '<option value="all">Any status, including cancelled</option>' in page
    assert client.get(f"/challenges/{cancelled}").status_code == 200  # its page still says why


# ---------------------------------------------------------------- largest prize across currencies
@pytest.fixture
def prizes(make_org, make_challenge) -> dict[str, str]:
    """One prize per currency. In EUR at the default rates: DKK 100,000 = 13,400; EUR 13,000;
    NOK 150,000 = 12,750; SEK 140,000 = 12,740. As plain numbers the order would be NOK, SEK, DKK, EUR."""
    org = make_org()
    return {cur: make_challenge("open", org=org, title=f"Prize in {cur}", prize_minor=minor, currency=cur)["slug"]
            for cur, minor in (("NOK", 15_000_000), ("SEK", 14_000_000), ("DKK", 10_000_000), ("EUR", 1_300_000))}


@pytest.mark.both_databases
def test_largest_prize_compares_currencies_at_the_configured_rates(app, client, prizes) -> None:
    s = prizes
    assert slugs(client, "/challenges/?sort=prize") == [s["DKK"], s["EUR"], s["NOK"], s["SEK"]]
    # The rates come from the configuration, read on each request.
    app.config["PRIZE_EXCHANGE_RATES"] = {"EUR": "1", "DKK": "0.1", "NOK": "0.1", "SEK": "0.2"}
    # Settings change with a restart, which ends cached pages (core/pagecache.py); here they change
    # in the middle of a test, so every page is rendered.
    app.config["PAGE_CACHE"] = False
    assert slugs(client, "/challenges/?sort=prize") == [s["SEK"], s["NOK"], s["EUR"], s["DKK"]]


@pytest.mark.both_databases
def test_the_sql_order_agrees_with_the_python_twin(app, client, prizes) -> None:
    rates = app.config["PRIZE_EXCHANGE_RATES"]
    with app.app_context():
        rows = db.session.execute(select(Challenge.slug, Challenge.prize_minor, Challenge.currency,
                                         Challenge.id)).all()
    expected = [slug for slug, minor, cur, cid in sorted(rows, key=lambda r: (comparison_key(r[1], r[2], rates), r[3]),
                                                         reverse=True)]
    assert slugs(client, "/challenges/?sort=prize") == expected


@pytest.mark.both_databases
def test_prize_filters_are_in_the_reference_currency_or_the_chosen_one(client, prizes) -> None:
    s = prizes
    assert slugs(client, "/challenges/?sort=prize&prize_min=12745") == [s["DKK"], s["EUR"], s["NOK"]]
    assert slugs(client, "/challenges/?sort=prize&prize_max=12745") == [s["SEK"]]
    assert slugs(client, "/challenges/?sort=prize&prize_min=12745&prize_max=13000") == [s["EUR"], s["NOK"]]
    assert slugs(client, "/challenges/?currency=NOK&prize_min=150000") == [s["NOK"]]
    assert slugs(client, "/challenges/?currency=NOK&prize_min=150001") == []
    page = client.get("/challenges/").get_data(as_text=True)
    assert "In the currency chosen above, or else in EUR." in page
    assert "converted to EUR at fixed, indicative rates: 1 DKK = 0.134 EUR, 1 NOK = 0.085 EUR" in page


@pytest.mark.both_databases
def test_pages_of_the_prize_order_neither_repeat_nor_skip(client, make_org, make_challenge) -> None:
    org = make_org()
    # Equal prizes in EUR (DKK 10,000 = EUR 1,340 exactly at 0.134) tie: the id decides, the same way each time.
    made = [make_challenge("open", org=org, prize_minor=134_000 if i % 2 else 1_000_000, currency="EUR" if i % 2 else "DKK")
            for i in range(25)]
    first, second = slugs(client, "/challenges/?sort=prize"), slugs(client, "/challenges/?sort=prize&page=2")
    assert (len(first), len(second)) == (20, 5)
    assert sorted(first + second) == sorted(m["slug"] for m in made)
    assert first + second == [m["slug"] for m in reversed(made)]


def test_cards_show_the_prize_in_its_own_currency(client, prizes) -> None:
    page = client.get("/challenges/?sort=prize").get_data(as_text=True)
    assert f"NOK{NBSP}150,000" in page
    assert "€13,000" in page
    danish = client.get("/challenges/?sort=prize", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert f"100.000{NBSP}kr." in danish
    assert f"150.000{NBSP}NOK" in danish


# ---------------------------------------------------------------- money as people write it
@pytest.mark.parametrize(("lang", "minor", "currency", "expected"), [
    ("en", 7_500_000, "NOK", f"NOK{NBSP}75,000"),
    ("en", 7_500_000, "DKK", f"DKK{NBSP}75,000"),
    ("en", 7_500_000, "EUR", "€75,000"),
    ("en", 7_500_050, "DKK", f"DKK{NBSP}75,000.50"),  # decimals when there are some
    ("en", 0, "SEK", f"SEK{NBSP}0"),
    ("da", 7_500_000, "DKK", f"75.000{NBSP}kr."),
    ("da", 7_500_000, "EUR", f"75.000{NBSP}€"),
    ("da", 123_450, "DKK", f"1.234,50{NBSP}kr."),
    ("da", 75_000, "ISK", f"75.000{NBSP}ISK"),  # no minor unit
    ("nb", 7_500_000, "NOK", f"75{NBSP}000{NBSP}kr"),
    ("nb", 7_500_000, "DKK", f"75{NBSP}000{NBSP}DKK"),
    ("sv", 7_500_000, "SEK", f"75{NBSP}000{NBSP}kr"),
    ("sv", 12_345_678, "SEK", f"123{NBSP}456,78{NBSP}kr"),
])
def test_money_is_written_as_people_write_it(app, lang, minor, currency, expected) -> None:
    with app.test_request_context(headers={"Accept-Language": lang}):
        assert format_money(minor, currency) == expected


# ---------------------------------------------------------------- chips
def test_each_chosen_filter_is_a_chip_that_removes_only_itself(app, client, make_org, make_challenge) -> None:
    org = make_org("Aarhus Kommune", country="DK")
    make_challenge("open", org=org, prize_minor=10_000_000)
    url = "/challenges/?status=open&country=DK&currency=DKK&prize_min=50000&sort=prize&page=1"
    page = client.get(url).get_data(as_text=True)
    chips = {(hidden + text).strip(): href for href, hidden, text in CHIP.findall(page)}
    assert set(chips) == {"Remove filter: Status: Open for concepts", "Remove filter: Country: Denmark",
                          "Remove filter: Currency: DKK", f"Remove filter: Prize money at least: DKK{NBSP}50,000"}
    kept = {"status": ["open"], "country": ["DK"], "currency": ["DKK"], "prize_min": ["50000"], "sort": ["prize"]}
    for name, label in (("status", "Status: Open for concepts"), ("country", "Country: Denmark"),
                        ("currency", "Currency: DKK")):
        assert query_of(chips[f"Remove filter: {label}"]) == {k: v for k, v in kept.items() if k != name}
    assert 'aria-label="Chosen filters"' in page
    assert '(4 chosen)' in page  # on the closed disclosure, too
    clear_all = re.search(r'<a class="clear-all" href="([^"]+)">Clear all filters</a>', page)
    assert clear_all
    assert query_of(clear_all.group(1)) == {"sort": ["prize"]}
    # A chip leads to a page that works, with one chip fewer.
    after = client.get(html_lib.unescape(chips["Remove filter: Country: Denmark"]))
    assert after.status_code == 200
    assert len(CHIP.findall(after.get_data(as_text=True))) == 3
    assert CHIP.findall(client.get("/challenges/?sort=prize").get_data(as_text=True)) == []


def test_an_amount_chip_without_currency_is_in_the_reference_currency(client, make_challenge) -> None:
    make_challenge("open")
    page = client.get("/challenges/?prize_max=20000", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert f"Præmiesum højst: 20.000{NBSP}€" in html_lib.unescape(page)


# ---------------------------------------------------------------- topics
def test_topics_have_one_capitalisation_and_are_grouped_by_language(app, client, make_org, make_challenge) -> None:
    org = make_org()
    made = {lang: make_challenge("open", org=org, language=lang) for lang in ("nb", "sv", "da")}
    extra_da = make_challenge("open", org=org, language="da")
    with app.app_context():
        eldre, aldre = Tag(slug="eldre", name="eldre"), Tag(slug="aldre", name="Äldre")
        mobility, iot = Tag(slug="mobilitet", name="mobilitet"), Tag(slug="iot", name="IoT")
        for lang, tags in (("nb", [eldre, mobility]), ("sv", [aldre, mobility, iot]), ("da", [mobility])):
            db.session.get(Challenge, made[lang]["id"]).tags = tags
        db.session.get(Challenge, extra_da["id"]).tags = [mobility]
        db.session.commit()
    page = client.get("/challenges/").get_data(as_text=True)
    select_html = page[page.index('name="tag">'):]
    select_html = select_html[:select_html.index("</select>")]
    # "mobilitet" is used twice in Danish, once in Norwegian and Swedish: it goes with Danish.
    # Within a group by code point, which puts Ä after the other letters, as Swedish does.
    assert select_html == ('name="tag"><option selected value="">Any topic</option>'
                           '<optgroup label="Dansk" lang="da"><option value="mobilitet">Mobilitet</option></optgroup>'
                           '<optgroup label="Norsk bokmål" lang="nb"><option value="eldre">Eldre</option></optgroup>'
                           '<optgroup label="Svenska" lang="sv"><option value="iot">IoT</option>'
                           '<option value="aldre">Äldre</option></optgroup>')
    assert '<ul class="tag-list" aria-label="Topics" lang="nb">\n    <li>Eldre</li><li>Mobilitet</li>' in page
    chosen = client.get("/challenges/?tag=eldre").get_data(as_text=True)
    assert '<option selected value="eldre">Eldre</option>' in chosen
    assert any(text.strip() == "Topic: Eldre" for _href, _hidden, text in CHIP.findall(chosen))
    detail = client.get(f"/challenges/{made['nb']['slug']}").get_data(as_text=True)
    assert '<a href="/challenges/?tag=eldre">Eldre</a>' in detail


# ---------------------------------------------------------------- cards: cover and logo
def _count_statements(app: Any, client: Any, url: str) -> int:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    return len(seen)


def test_cards_show_the_cover_with_its_alt_text_and_the_logo(app, client, make_org, make_challenge) -> None:
    def add(n: int) -> None:
        for _ in range(n):
            org = make_org()
            challenge = make_challenge("open", org=org)
            with app.app_context():
                row = db.session.get(Challenge, challenge["id"])
                row.cover_image_hash = store_image(_png(), max_bytes=2_000_000, upload_dir=app.config["UPLOAD_DIR"])
                row.cover_image_alt = "Bins in a courtyard"
                db.session.get(Organisation, org["id"]).logo_hash = store_image(
                    _png(), max_bytes=2_000_000, upload_dir=app.config["UPLOAD_DIR"])
                db.session.commit()

    add(2)
    plain = make_challenge("open")  # no cover, no logo
    few = _count_statements(app, client, "/challenges/")
    for url in ("/challenges/", "/"):
        page = client.get(url).get_data(as_text=True)
        covers = re.findall(r'<img class="card-cover" src="([^"]+)" alt="Bins in a courtyard" lang="en" loading="lazy">',
                            page)
        logos = re.findall(r'<img class="card-logo" src="([^"]+)" alt="" width="24" height="24" loading="lazy">', page)
        assert (len(covers), len(logos)) == (2, 2), url
        for src in covers + logos:
            image = client.get(html_lib.unescape(src))
            assert image.status_code == 200, src
            assert image.mimetype.startswith("image/"), src
    card = page[page.index(f'href="/challenges/{plain["slug"]}"'):]
    card = card[:card.index("</li>")]
    assert "<img" not in card
    add(4)
    assert _count_statements(app, client, "/challenges/") == few  # covers and logos cost no query per card


# ---------------------------------------------------------------- bad parameters
@pytest.fixture
def one_danish(make_org, make_challenge) -> str:
    return make_challenge("open", org=make_org(country="DK"))["slug"]


@pytest.mark.parametrize(("query", "field"), [
    ("prize_min=abc", "prize_min"), ("prize_min=1e9", "prize_min"), ("prize_min=-5", "prize_min"),
    ("prize_max=2000000000", "prize_max"),
])
def test_a_bad_amount_is_one_message_at_its_field_with_the_rest_kept(client, one_danish, query, field) -> None:
    response = client.get(f"/challenges/?country=DK&sort=prize&{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = FIELD_ERROR.findall(page)
    assert [name for name, _text in errors] == [field]
    assert errors[0][1].count("Enter a whole number from 0 to 1,000,000,000.") == 1
    assert "Not a valid integer value" not in page
    assert page.count('<li><a href="#') == 1  # one entry in the error summary
    assert '<option selected value="DK">' in page
    assert '<option selected value="prize">' in page
    assert f'value="{query.split("=")[1]}"' in page  # what was typed stays in the box
    assert '<details class="filter-panel" data-open-wide open>' in page  # the field to correct is shown
    first = re.search(r'<p><a href="([^"]+)">Show the first page</a></p>', page)
    assert first
    assert query_of(first.group(1)) == {"country": ["DK"], "sort": ["prize"]}
    assert slugs(client, html_lib.unescape(first.group(1))) == [one_danish]


@pytest.mark.parametrize(("page_arg", "message"), [
    ("abc", "The page number must be a whole number from 1 upwards."),
    ("0", "The page number must be a whole number from 1 upwards."),
    ("1.5", "The page number must be a whole number from 1 upwards."),
    ("999", "There is no page 999: this list has only 1 page."),
])
def test_a_bad_page_keeps_the_filters_and_links_to_the_first_page(client, one_danish, page_arg, message) -> None:
    response = client.get(f"/challenges/?country=DK&sort=prize&page={page_arg}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count(message) == 1
    assert FIELD_ERROR.findall(page) == []
    assert '<option selected value="DK">' in page
    links = re.findall(r'<a href="([^"]+)">Show the first page</a>', page)
    assert links
    assert all(query_of(link) == {"country": ["DK"], "sort": ["prize"]} for link in links)
    assert slugs(client, html_lib.unescape(links[0])) == [one_danish]


def test_empty_fields_as_the_form_sends_them_are_no_error(client, one_danish) -> None:
    query = "status=&organisation=&country=DK&kind=&tag=&sdg=&language=&currency=&prize_min=&prize_max=&sort=closing"
    assert slugs(client, f"/challenges/?{query}") == [one_danish]


# ---------------------------------------------------------------- configuration
def test_the_rate_table_is_read_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.delenv("PRIZE_REFERENCE_CURRENCY", raising=False)
    monkeypatch.setenv("PRIZE_EXCHANGE_RATES", "DKK=0.13, nok=0.09")
    rates = load_config("testing")["PRIZE_EXCHANGE_RATES"]
    assert (rates["DKK"], rates["NOK"]) == (Decimal("0.13"), Decimal("0.09"))
    assert (rates["SEK"], rates["EUR"]) == (Decimal("0.091"), 1)  # the defaults for the rest
    monkeypatch.delenv("PRIZE_EXCHANGE_RATES")
    monkeypatch.setenv("PRIZE_REFERENCE_CURRENCY", "DKK")
    cfg = load_config("testing")
    assert cfg["PRIZE_REFERENCE_CURRENCY"] == "DKK"
    assert cfg["PRIZE_EXCHANGE_RATES"]["DKK"] == 1
    assert round(cfg["PRIZE_EXCHANGE_RATES"]["EUR"], 2) == Decimal("7.46")  # the defaults, in kroner
    for bad in ("DKK=abc", "DKK=-1", "DKK", "DANISH=0.1"):
        monkeypatch.setenv("PRIZE_EXCHANGE_RATES", bad)
        with pytest.raises(ConfigError, match="PRIZE_EXCHANGE_RATES"):
            load_config("testing")


def test_an_app_without_a_rate_for_an_accepted_currency_does_not_start(app_config) -> None:
    with pytest.raises(ConfigError, match="no rate for NOK, SEK"):
        create_app({**app_config, "PRIZE_EXCHANGE_RATES": {"EUR": 1, "DKK": "0.134"}})
