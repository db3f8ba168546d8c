#!/usr/bin/env python3
"""Where the time of a page goes, in-process: the pages bench/pages.py measures, through the test client.

    .venv/bin/python bench/profile_pages.py [--challenges 1000] [--requests 300] [--pages home,list]
                                            [--user] [--cache off|on] [--profile] [--top 25]
                                            [--sort tottime|cumulative]
                                            [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

Seeds the same data as bench/pages.py (users, organisations, the reader, challenges with their
concepts, decisions and placements) into a scratch database and builds the search index, then a
few warm-up requests per page, N timed requests per page in rounds that interleave the pages
(median wall and CPU milliseconds per request and the CPU time's 10th percentile, no profiler
attached), and with --profile N more per page under cProfile, printing the functions that take
the time. No server and no network: this is the app's own cost per request.

Pages are named as in bench/pages.py: home, list, filtered, challenge, org, concept, mine, winners,
search, list_org. A bare name is profiled anonymously, or as the logged-in reader with --user (who
logs in through the login form first); `anon_home` or `user_challenge` choose per page, so both
kinds can be profiled in one run (`--pages user_challenge,user_home`). Anonymous pages are
rendered every time by default (`--cache off`: PAGE_CACHE=0, the cost of a miss); `--cache on`
profiles what a hit costs instead.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import (  # noqa: E402
    ANON_PAGES,
    COUNT_ONLY,
    HOST,
    PAGES,
    USER_PAGES,
    analyze,
    build_index,
    log,
    login_test_client,
    page_targets,
    prepare,
    seed,
    seed_challenges,
)

KNOWN = {**PAGES, **COUNT_ONLY}


def _parse(names: str, user: bool) -> list[tuple[str, str]]:
    """[(group, page)] from "home,user_challenge,anon_list"; a bare name takes --user's group."""
    found = []
    for raw in (n.strip() for n in names.split(",")):
        if not raw:
            continue
        group, _, page = raw.partition("_") if raw.startswith(("anon_", "user_")) else ("", "", raw)
        found.append((group or ("user" if user else "anon"), page))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--challenges", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--rounds", type=int, default=10, help="the timed requests interleave pages in rounds")
    parser.add_argument("--pages", help=f"comma-separated, from {', '.join(KNOWN)}, each optionally prefixed "
                                        "anon_ or user_ (default: every page an anonymous reader, or with "
                                        "--user the logged-in reader, opens in bench/pages.py)")
    parser.add_argument("--user", action="store_true", help="bare page names are profiled logged in")
    parser.add_argument("--cache", choices=("off", "on"), default="off",
                        help="the page cache for anonymous pages: off renders each request (default)")
    parser.add_argument("--profile", action="store_true", help="also profile each page with cProfile")
    parser.add_argument("--top", type=int, default=25, help="functions shown per profile")
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--database", metavar="URL", help="a PostgreSQL server URL (see bench/pages.py)")
    args = parser.parse_args()
    chosen = _parse(args.pages or ",".join(USER_PAGES if args.user else ANON_PAGES), args.user)
    unknown = [f"{g}_{n}" for g, n in chosen if n not in KNOWN]
    if not chosen or unknown or args.requests < 1 or args.rounds < 1 or args.challenges < 100:
        parser.error(f"unknown page(s) {unknown}; --requests and --rounds must be >= 1, --challenges >= 100")

    os.environ["PAGE_CACHE"] = "1" if args.cache == "on" else "0"  # read by the app's config at create_app
    tmp = Path(tempfile.mkdtemp(prefix="ca-profile-"))
    drop_db = None
    app = None
    try:
        _env, drop_db = prepare(tmp, args.database)
        app = seed(args.users, args.orgs)
        seed_challenges(app, 0, args.challenges)
        analyze(app)
        documents = build_index(app)
        log(f"seeded {args.users} users, {args.orgs} organisations, {args.challenges} challenges; "
            f"indexed {documents} documents")
        fields = page_targets(app)
        paths = {f"{g}_{n}": KNOWN[n].format(**fields) for g, n in chosen}
        clients = {"anon": app.test_client(), "user": app.test_client()}
        if any(g == "user" for g, _ in chosen):
            login_test_client(clients["user"])

        def get(key: str) -> int:
            return clients[key.split("_", 1)[0]].get(paths[key], headers=HOST).status_code

        status = {}
        for key in paths:
            for _ in range(5):
                status[key] = get(key)
        # Rounds that interleave the pages, so that a noisy moment on the shared machine hits all alike.
        times: dict[str, list[float]] = {key: [] for key in paths}
        cpu: dict[str, list[float]] = {key: [] for key in paths}
        per_round = max(1, args.requests // args.rounds)
        for _ in range(args.rounds):
            for key in paths:
                for _ in range(per_round):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    get(key)
                    times[key].append((time.perf_counter() - started) * 1000)
                    cpu[key].append((time.process_time() - started_cpu) * 1000)
        results = {key: (status[key], statistics.median(times[key]), statistics.median(cpu[key]),
                         statistics.quantiles(cpu[key], n=10)[0]) for key in paths}
        profiles = {}
        if args.profile:
            for key in paths:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.requests):
                    get(key)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
                profiles[key] = out.getvalue()
        for key, text in profiles.items():
            print(f"\n==================== {key} ({paths[key]}), {args.requests} requests, by {args.sort}")
            print(text)
        print(f"\nIn-process ms per request (test client, {args.requests} requests, "
              f"{'PostgreSQL' if args.database else 'SQLite'}, {args.challenges} challenges, "
              f"anonymous page cache {args.cache})")
        # CPU time of this process is steadier than wall time on a shared machine (the SQLite work
        # is in-process; a PostgreSQL server's is not counted in it).
        print(f"{'page':<16}{'path':<42}{'status':>7}{'wall ms':>9}{'cpu ms':>8}{'cpu p10':>9}")
        for key, (code, wall, cpu_ms, cpu_p10) in results.items():
            print(f"{key:<16}{paths[key][:41]:<42}{code:>7}{wall:>9.2f}{cpu_ms:>8.2f}{cpu_p10:>9.2f}")
        print("profile (cpu ms, median/p10): " + " ".join(
            f"{key}={cpu_ms:.1f}/{cpu_p10:.1f}" for key, (_c, _w, cpu_ms, cpu_p10) in results.items()))
        return 0
    finally:
        if app is not None:
            from app.db import db

            with app.app_context():
                db.engine.dispose()
        if drop_db is not None:
            drop_db()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
