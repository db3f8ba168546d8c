#!/usr/bin/env python3
"""Where the time of a page goes, in-process: the pages bench/pages.py measures, through the test client.

    .venv/bin/python bench/profile_pages.py [--challenges 1000] [--requests 300] [--pages home,list]
                                            [--profile] [--top 25] [--sort tottime|cumulative]
                                            [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

Seeds the same data as bench/pages.py (users, organisations, challenges) into a scratch database,
then a few warm-up requests per page, N timed requests per page in rounds that interleave the pages
(median wall and CPU milliseconds per request and the CPU time's 10th percentile, no profiler
attached), and with --profile N more per page under cProfile, printing the functions that take
the time. No server and no network: this is the app's own cost per request.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import COUNT_ONLY, PAGES, analyze, log, prepare, seed, seed_challenges  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--challenges", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--rounds", type=int, default=10, help="the timed requests interleave pages in rounds")
    parser.add_argument("--pages", default=",".join(PAGES), help=f"comma-separated, from {', '.join(PAGES)}")
    parser.add_argument("--profile", action="store_true", help="also profile each page with cProfile")
    parser.add_argument("--top", type=int, default=25, help="functions shown per profile")
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--database", metavar="URL", help="a PostgreSQL server URL (see bench/pages.py)")
    args = parser.parse_args()
    names = [n for n in args.pages.split(",") if n]
    unknown = [n for n in names if n not in PAGES and n not in COUNT_ONLY]
    if unknown or args.requests < 1 or args.rounds < 1:
        parser.error(f"unknown page(s) {unknown}; --requests and --rounds must be >= 1")

    tmp = Path(tempfile.mkdtemp(prefix="ca-profile-"))
    drop_db = None
    app = None
    try:
        _env, drop_db = prepare(tmp, args.database)
        app = seed(args.users, args.orgs)
        slug = seed_challenges(app, 0, args.challenges)
        analyze(app)
        log(f"seeded {args.users} users, {args.orgs} organisations, {args.challenges} challenges")
        paths = {name: {**PAGES, **COUNT_ONLY}[name].format(slug=slug) for name in names}
        client = app.test_client()
        status = {}
        for name, path in paths.items():
            for _ in range(5):
                status[name] = client.get(path, headers={"Host": "127.0.0.1"}).status_code
        # Rounds that interleave the pages, so that a noisy moment on the shared machine hits all alike.
        times: dict[str, list[float]] = {name: [] for name in paths}
        cpu: dict[str, list[float]] = {name: [] for name in paths}
        per_round = max(1, args.requests // args.rounds)
        for _ in range(args.rounds):
            for name, path in paths.items():
                for _ in range(per_round):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    client.get(path, headers={"Host": "127.0.0.1"})
                    times[name].append((time.perf_counter() - started) * 1000)
                    cpu[name].append((time.process_time() - started_cpu) * 1000)
        results = {name: (status[name], statistics.median(times[name]), statistics.median(cpu[name]),
                          statistics.quantiles(cpu[name], n=10)[0]) for name in paths}
        profiles = {}
        for name, path in paths.items():
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.requests):
                    client.get(path, headers={"Host": "127.0.0.1"})
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
                profiles[name] = out.getvalue()
        for name, text in profiles.items():
            print(f"\n==================== {name} ({paths[name]}), {args.requests} requests, by {args.sort}")
            print(text)
        print(f"\nIn-process ms per request (test client, {args.requests} requests, "
              f"{'PostgreSQL' if args.database else 'SQLite'}, {args.challenges} challenges)")
        # CPU time of this process is steadier than wall time on a shared machine (the SQLite work
        # is in-process; a PostgreSQL server's is not counted in it).
        print(f"{'page':<11}{'path':<40}{'status':>7}{'wall ms':>9}{'cpu ms':>8}{'cpu p10':>9}")
        for name, (code, wall, cpu_ms, cpu_p10) in results.items():
            print(f"{name:<11}{paths[name][:39]:<40}{code:>7}{wall:>9.2f}{cpu_ms:>8.2f}{cpu_p10:>9.2f}")
        print("profile (cpu ms, median/p10): " + " ".join(
            f"{name}={cpu_ms:.1f}/{cpu_p10:.1f}" for name, (_c, _w, cpu_ms, cpu_p10) in results.items()))
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
