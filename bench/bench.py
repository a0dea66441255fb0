"""Speed at seed size and at 10,000× the seed: server time, query counts, throughput, downloads.

    .venv/bin/python bench/bench.py            # builds both databases, then measures (~15 min)
    .venv/bin/python bench/bench.py --reuse    # measure again with the databases already built
    .venv/bin/python bench/bench.py --reuse --downloads-only   # the full-data downloads alone

Two PostgreSQL databases are built: `smedash_bench_seed` (the seed data) and `smedash_bench_big`
(the seed plus 300,000 synthetic observations: 200 areas × 25 indicators × 60 years, marked
synthetic). For each it prints:

- server time (median, p95) and query count of the home, compare, area and JSON pages, timed
  inside Django with the cache disabled, so every request does all its work;
- a warm PNG export (cache disabled, browser already running);
- throughput (wrk, 2 threads, 8 connections, 10 s) through gunicorn with Redis of a cached
  compare page, an uncached compare page (cache disabled), and a static file of the same size
  served by the same server;
- the full-data downloads through the same gunicorn (curl, one at a time): for CSV and JSON,
  streamed, the time to the first byte and to the last, the size, and the serving worker's
  memory growth; for XLSX, the first answer (a 503 while the workbook is built in the
  background, at 300,000 rows), how long until it is ready, and how long serving it then takes.

Targets: every page's median at 300,000 observations within 2× of its seed median; a cached page
at least 0.7× the static file's throughput (CACHED_TO_STATIC); query counts the same at both
sizes; every download complete and well within gunicorn's 30 s (CSV and JSON under 20 s, their
first byte under 1 s, a worker's memory growing by less than 100 MB; the workbook's first answer
under 2 s, ready within 5 minutes, then served under 2 s). Only loopback addresses are contacted; every load is
bounded in time.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PAGES = {
    "home": "/en/",
    "compare": "/en/compare/firm_share/",
    "compare (fa)": "/fa/compare/firm_share/",
    "area": "/en/areas/IRN/",
    "compare JSON": "/en/compare/firm_share/data.json",
    "area JSON": "/en/areas/IRN/data.json",
    # A trend: the first page of areas (eight lines), and two named areas in Persian.
    "trend": "/en/trends/firm_share/",
    "trend (fa)": "/fa/trends/firm_share/?areas=IRN,JPN",
    "trend JSON": "/en/trends/firm_share/data.json",
}
PNG_PAGE = "/en/compare/firm_share/chart.png"
PORT = 8131
ROUNDS = 25
CACHED_TO_STATIC = 0.7  # a cached page's throughput, at least, as a share of a same-sized static file's
# Load on each address before measuring it: a worker's first seconds (its Chromium starting, its
# first reads) are not its pace.
WARM_UP_SECONDS = 3
STREAMED_DOWNLOADS = {
    "CSV": "/api/v1/downloads/observations.csv",
    "CSV (fa)": "/api/v1/downloads/observations.csv?lang=fa",
    "JSON": "/api/v1/downloads/observations.json",
    "JSON (fa)": "/api/v1/downloads/observations.json?lang=fa",
}
WORKBOOK_DOWNLOADS = {
    "XLSX": "/api/v1/downloads/observations.xlsx",
    "XLSX (fa)": "/api/v1/downloads/observations.xlsx?lang=fa",
}
DOWNLOAD_ROUNDS = 3
WORKBOOK_WAIT_SECONDS = 600

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


def databases(prefix):
    return {name: f"{prefix}_{name}" for name in ("seed", "big")}


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
        if label == "cached":
            subprocess.run(["redis-cli", "-n", "14", "flushdb"], capture_output=True)
        with Server(database, **extra) as server:
            addresses = {f"{label} compare page": server.base + PAGES["compare"]}
            if label == "cached":
                addresses["static file, same size"] = server.base + "/static/bench/same-size.html"
            for address in addresses.values():
                wrk(address, seconds=WARM_UP_SECONDS)
            for name, address in addresses.items():
                results[name] = wrk(address)
    shutil.rmtree(static_dir, ignore_errors=True)
    return results


class Server:
    """One gunicorn (2 workers) on PORT, for as long as the ``with`` lasts."""

    def __init__(self, database, worker=False, **extra):
        self.env = env_for(database, GUNICORN_BIND=f"127.0.0.1:{PORT}", GUNICORN_WORKERS="2", **extra)
        self.base = f"http://127.0.0.1:{PORT}"
        self.worker = worker  # also the background worker (manage.py db_worker), as make serve-prod runs it

    def up(self):
        return subprocess.run(["curl", "-sf", "-o", "/dev/null", self.base + "/healthz"]).returncode == 0

    def __enter__(self):
        if self.up():
            raise SystemExit(f"Something already answers on port {PORT}: choose another with --port.")
        self.process = subprocess.Popen(
            [GUNICORN, "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "smedash.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.worker_process = None
        if self.worker:
            self.worker_process = subprocess.Popen(
                [PYTHON, "manage.py", "db_worker", "--no-reload"],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        for _ in range(100):
            if self.up():
                break
            time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        for process in (self.process, self.worker_process):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:  # a worker in the middle of a build
                    process.kill()
                    process.wait()

    def workers_rss_mb(self):
        """Resident memory of each worker (the server's child processes), in MB."""
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()
        sizes = {}
        for pid in found:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            sizes[pid] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        return sizes


def fetch(url, target, max_seconds):
    """(status, seconds to the first byte, seconds in all, bytes) of one GET, body into ``target``."""
    result = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            str(target),
            "--max-time",
            str(max_seconds),
            "-w",
            "%{http_code} %{time_starttransfer} %{time_total} %{size_download}",
            url,
        ],
        capture_output=True,
        text=True,
    )
    status, first, total, size = result.stdout.split()
    return int(status), float(first), float(total), int(size)


def complete(name, path):
    """Whether a streamed body is whole (a worker killed mid-stream leaves it cut short)."""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 8))
        tail = handle.read()
    return tail.endswith(b"\n]}\n") if name.startswith("JSON") else tail.endswith(b"\n")


def downloads(database, rounds):
    """The full-data downloads through gunicorn with Redis, one request at a time."""
    results = {}
    subprocess.run(["redis-cli", "-n", "14", "flushdb"], capture_output=True)
    with (
        tempfile.TemporaryDirectory(prefix="smedash-bench-var-") as var,
        Server(
            database,
            worker=True,  # a large workbook is built by the worker, queued by the first request
            REDIS_URL="redis://127.0.0.1:6379/14",
            RATELIMIT_EXPENSIVE="100000/m",  # the bench's own requests are not an abuse
            SMEDASH_VAR_DIR=var,  # the workbooks it builds go away with it
        ) as server,
    ):
        body = Path(var) / "body"
        for name, path in STREAMED_DOWNLOADS.items():
            runs, peaks = [], []
            for _ in range(rounds):
                before = server.workers_rss_mb()
                peak = dict(before)
                done = threading.Event()

                def sample(peak=peak, done=done):
                    while not done.wait(0.1):
                        for pid, size in server.workers_rss_mb().items():
                            peak[pid] = max(peak.get(pid, 0), size)

                sampler = threading.Thread(target=sample)
                sampler.start()
                try:
                    status, first, total, size = fetch(server.base + path, body, 60)
                finally:
                    done.set()
                    sampler.join()
                ok = status == 200 and complete(name, body)
                runs.append((first, total, size, ok))
                peaks.append(max((peak[pid] - before.get(pid, peak[pid]) for pid in peak), default=0))
            results[name] = {
                "first_byte_s": statistics.median(r[0] for r in runs),
                "total_s": statistics.median(r[1] for r in runs),
                "max_total_s": max(r[1] for r in runs),
                "bytes": runs[-1][2],
                "complete": all(r[3] for r in runs) and len({r[2] for r in runs}) == 1,
                "memory_mb": max(peaks),
            }
        for name, path in WORKBOOK_DOWNLOADS.items():
            start = time.perf_counter()
            status, _first, first_total, _size = fetch(server.base + path, body, 60)
            first_status = status
            while status == 503 and time.perf_counter() - start < WORKBOOK_WAIT_SECONDS:
                time.sleep(1)
                status, _first, _total, _size = fetch(server.base + path, body, 60)
            ready = time.perf_counter() - start
            served = [fetch(server.base + path, body, 60) for _ in range(rounds)]
            results[name] = {
                "first_status": first_status,
                "first_s": first_total,
                "ready_s": ready if first_status == 503 else first_total,
                "served_s": statistics.median(r[2] for r in served),
                "bytes": served[-1][3],
                "complete": status == 200 and all(r[0] == 200 for r in served),
            }
    return results


def report_downloads(loads):
    ok = True
    names = list(loads)
    print(
        f"\n| download (streamed) | {' | '.join(f'{n}: first byte / all (s)' for n in names)} | size "
        f"{' / '.join(names)} (MB) | worker memory growth (MB) |"
    )
    print("| --- |" + " --- |" * (len(names) + 2))
    for name in STREAMED_DOWNLOADS:
        cells = [f"{loads[n][name]['first_byte_s']:.2f} / {loads[n][name]['total_s']:.2f}" for n in names]
        sizes = " / ".join(f"{loads[n][name]['bytes'] / 1e6:.2f}" for n in names)
        memory = " / ".join(f"{loads[n][name]['memory_mb']:.0f}" for n in names)
        print(f"| {name} | {' | '.join(cells)} | {sizes} | {memory} |")
        for n in names:
            entry = loads[n][name]
            ok &= entry["complete"] and entry["max_total_s"] < 20 and entry["first_byte_s"] < 1
            ok &= entry["memory_mb"] < 100
    heads = " | ".join(f"{n}: first answer, ready after, then served in (s)" for n in names)
    print(f"\n| workbook | {heads} | size (MB) |")
    print("| --- |" + " --- |" * (len(names) + 1))
    for name in WORKBOOK_DOWNLOADS:
        cells = [
            f"{loads[n][name]['first_status']} in {loads[n][name]['first_s']:.2f}, {loads[n][name]['ready_s']:.1f}, "
            f"{loads[n][name]['served_s']:.2f}"
            for n in names
        ]
        sizes = " / ".join(f"{loads[n][name]['bytes'] / 1e6:.2f}" for n in names)
        print(f"| {name} | {' | '.join(cells)} | {sizes} |")
        for n in names:
            entry = loads[n][name]
            ok &= entry["complete"] and entry["first_s"] < 2 and entry["ready_s"] < 300 and entry["served_s"] < 2
    for n in names:
        cut = [name for name, entry in loads[n].items() if not entry["complete"]]
        if cut:
            print(f"{n}: INCOMPLETE: {', '.join(cut)}")
    return ok


def main():
    global PORT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", action="store_true", help="Reuse the benchmark databases if they exist.")
    parser.add_argument("--build-only", action="store_true", help="Build the databases, measure nothing.")
    parser.add_argument("--downloads-only", action="store_true", help="Measure the full-data downloads alone.")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="Timed requests per page.")
    parser.add_argument("--download-rounds", type=int, default=DOWNLOAD_ROUNDS, help="Timed requests per download.")
    parser.add_argument(
        "--database-prefix", default="smedash_bench", help="The databases are <prefix>_seed and <prefix>_big."
    )
    parser.add_argument("--port", type=int, default=PORT, help="Where the measured gunicorn listens (loopback).")
    args = parser.parse_args()
    PORT = args.port
    names = databases(args.database_prefix)
    run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"], env_for("postgres"))
    if not args.reuse:
        for name, database in names.items():
            build(name, database)
    if args.build_only:
        return
    ok = True
    if not args.downloads_only:
        ok &= pages_and_throughput(names, args.rounds)
    loads = {name: downloads(database, args.download_rounds) for name, database in names.items()}
    ok &= report_downloads(loads)
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    sys.exit(0 if ok else 1)


def pages_and_throughput(names, rounds):
    times = {name: server_times(database, rounds) for name, database in names.items()}
    flows = {name: throughput(database, times[name]["compare"]["bytes"]) for name, database in names.items()}

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
    for name in names:
        cached, static = flows[name]["cached compare page"][0], flows[name]["static file, same size"][0]
        ok &= cached >= static * CACHED_TO_STATIC
        errors = sum(value[1] for value in flows[name].values())
        ok &= errors == 0
        print(f"{name}: cached page at {cached / static:.0%} of the static file's throughput; non-2xx: {errors}")
    return ok


if __name__ == "__main__":
    main()
