"""Speed at seed size and at 10,000× the seed: server time, query counts and throughput.

    .venv/bin/python bench/bench.py            # builds both databases, then measures (~10 min)
    .venv/bin/python bench/bench.py --reuse    # measure again with the databases already built

Two PostgreSQL databases are built: `smedash_bench_seed` (the seed data) and `smedash_bench_big`
(the seed plus 300,000 synthetic observations: 200 areas × 25 indicators × 60 years, marked
synthetic). For each it prints:

- server time (median, p95) and query count of the home, compare, area and JSON pages, timed
  inside Django with the cache disabled, so every request does all its work;
- a warm PNG export (cache disabled, browser already running);
- throughput (wrk, 2 threads, 8 connections, 10 s) through gunicorn with Redis of a cached
  compare page, an uncached compare page (cache disabled), and a static file of the same size
  served by the same server.

Targets: every page's median at 300,000 observations within 2× of its seed median; a cached page
at least half the static file's throughput; query counts the same at both sizes. Only loopback
addresses are contacted; every load is bounded in time.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DATABASES = {"seed": "smedash_bench_seed", "big": "smedash_bench_big"}
PAGES = {
    "home": "/en/",
    "compare": "/en/compare/firm_share/",
    "compare (fa)": "/fa/compare/firm_share/",
    "area": "/en/areas/IRN/",
    "compare JSON": "/en/compare/firm_share/data.json",
    "area JSON": "/en/areas/IRN/data.json",
}
PNG_PAGE = "/en/compare/firm_share/chart.png"
PORT = 8131
ROUNDS = 25

# Runs inside a Django process (DATABASE_URL chosen by the caller): times each page in-process.
TIMER = r"""
import json, statistics, sys, time
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
pages, rounds, png = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
client = Client()
out = {}
for name, url in list(pages.items()) + ([("PNG (warm)", png)] if png else []):
    n = rounds if name != "PNG (warm)" else min(rounds, 8)
    response = client.get(url)  # warm-up: imports, browser start
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(n):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200
    times.sort()
    out[name] = {"median_ms": statistics.median(times) * 1000, "p95_ms": times[int(0.95 * (n - 1))] * 1000,
                 "queries": len(queries), "bytes": len(response.content)}
print(json.dumps(out))
"""


def env_for(database, **extra):
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "DEBUG": "0",
        "SMEDASH_DEV_SECRET": "1",  # the development key in var/: a benchmark, not a deployment
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SETTINGS_MODULE": "smedash.settings",
        **extra,
    }


def run(args, env, **kwargs):
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kwargs)


def build(name, database):
    print(f"building {database} …", flush=True)
    for sql in (f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"):
        run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], os.environ)
    env = env_for(database)
    run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env)
    run([PYTHON, "manage.py", "load_seed"], env, stdout=subprocess.DEVNULL)
    if name == "big":
        run([PYTHON, "manage.py", "generate_synthetic_data", "--benchmark-database"], env)
    run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-q", "-c", "VACUUM ANALYZE"], os.environ)


def server_times(database, rounds):
    env = env_for(database, CACHE_DISABLED="1")
    result = run([PYTHON, "-c", TIMER, json.dumps(PAGES), str(rounds), PNG_PAGE], env, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def wrk(url, seconds=10):
    result = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
    )
    requests_per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    return requests_per_second, int(non_2xx.group(1)) if non_2xx else 0


def throughput(database, page_bytes):
    """Cached page, uncached page and a same-sized static file, through one gunicorn."""
    static_dir = ROOT / "staticfiles" / "bench"
    static_dir.mkdir(parents=True, exist_ok=True)
    (static_dir / "same-size.html").write_bytes(b"x" * page_bytes)
    results = {}
    for label, extra in (("cached", {"REDIS_URL": "redis://127.0.0.1:6379/14"}), ("uncached", {"CACHE_DISABLED": "1"})):
        env = env_for(database, GUNICORN_BIND=f"127.0.0.1:{PORT}", GUNICORN_WORKERS="2", **extra)
        if label == "cached":
            subprocess.run(["redis-cli", "-n", "14", "flushdb"], capture_output=True)
        server = subprocess.Popen(
            [GUNICORN, "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "smedash.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{PORT}"
            for _ in range(100):
                if subprocess.run(["curl", "-sf", "-o", "/dev/null", base + "/healthz"]).returncode == 0:
                    break
                time.sleep(0.2)
            results[f"{label} compare page"] = wrk(base + PAGES["compare"])
            if label == "cached":
                results["static file, same size"] = wrk(base + "/static/bench/same-size.html")
        finally:
            server.terminate()
            server.wait(timeout=30)
    shutil.rmtree(static_dir, ignore_errors=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", action="store_true", help="Reuse the benchmark databases if they exist.")
    parser.add_argument("--build-only", action="store_true", help="Build the databases, measure nothing.")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="Timed requests per page.")
    args = parser.parse_args()
    run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"], env_for("postgres"))
    if not args.reuse:
        for name, database in DATABASES.items():
            build(name, database)
    if args.build_only:
        return
    times = {name: server_times(database, args.rounds) for name, database in DATABASES.items()}
    flows = {name: throughput(database, times[name]["compare"]["bytes"]) for name, database in DATABASES.items()}

    print("\n| page | seed: median / p95 (ms) | 300k: median / p95 (ms) | ratio | queries seed / 300k |")
    print("| --- | --- | --- | --- | --- |")
    ok = True
    for page in times["seed"]:
        small, big = times["seed"][page], times["big"][page]
        ratio = big["median_ms"] / small["median_ms"]
        same_queries = small["queries"] == big["queries"]
        ok &= ratio <= 2 and same_queries
        print(
            f"| {page} | {small['median_ms']:.1f} / {small['p95_ms']:.1f} | {big['median_ms']:.1f} / "
            f"{big['p95_ms']:.1f} | {ratio:.2f}× | {small['queries']} / {big['queries']} |"
        )
    print("\n| throughput (requests/s) | seed | 300k |")
    print("| --- | --- | --- |")
    for label in flows["seed"]:
        print(f"| {label} | {flows['seed'][label][0]:.0f} | {flows['big'][label][0]:.0f} |")
    for name in DATABASES:
        cached, static = flows[name]["cached compare page"][0], flows[name]["static file, same size"][0]
        ok &= cached >= static / 2
        errors = sum(value[1] for value in flows[name].values())
        ok &= errors == 0
        print(f"{name}: cached page at {cached / static:.0%} of the static file's throughput; non-2xx: {errors}")
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
