"""Fault drills against real servers on this machine; each prints its figures and exits 1 on failure.

    .venv/bin/python bench/faults.py postgres   # restart PostgreSQL under reads and admin writes
    .venv/bin/python bench/faults.py redis      # stop Redis under reads
    .venv/bin/python bench/faults.py png        # flood chart PNGs while timing a cached page
    .venv/bin/python bench/faults.py redis-fill # flood uncached addresses into a Redis with maxmemory
    .venv/bin/python bench/faults.py all

Each drill creates its own PostgreSQL database, runs two gunicorn app servers on loopback ports
(like `make serve-prod`), drives bounded loops of requests for a bounded time, and cleans up.
Only 127.0.0.1 is ever contacted. PostgreSQL and Redis are restarted with the commands this
machine kind documents, so the drills need root on a machine of that kind. The PNG drill needs
Chromium (as the PNG tests do) and Redis; it restarts nothing and uses Redis database 14 only.
The Redis-filling drill starts two redis-servers of its own on free loopback ports (the cache's,
with a small maxmemory and allkeys-lru, and the rate-limit counters', noeviction) and stops them.
"""

import argparse
import contextlib
import http.cookiejar
import itertools
import json
import multiprocessing
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis  # the drills run with the project's venv, which has it (django-redis)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PORTS = (8101, 8102)
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/15"
PNG_PORTS = (8111, 8112)
PNG_REDIS_DB = 14  # the PNG drill's own database, emptied before and after: no cached image left over


def pg_cluster_command(action):
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]


def psql(sql, database="postgres"):
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-q", "-c", sql], check=True)


def wait_until(check, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return False


def status_of(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return "no answer"


class Servers:
    """A fresh database and two gunicorn app servers against it."""

    def __init__(self, name, extra_env=None, ports=PORTS):
        self.ports = ports
        self.database = f"smedash_fault_{name}_{os.getpid()}"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.database}",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DB_CONN_MAX_AGE": "60",
            **(extra_env or {}),
        }
        self.processes = []
        self.password = secrets.token_urlsafe(16)

    def __enter__(self):
        psql(f"DROP DATABASE IF EXISTS {self.database}")
        psql(f"CREATE DATABASE {self.database}")
        manage = [PYTHON, "manage.py"]
        for args in (["migrate", "--no-input", "-v0"], ["load_seed"], ["collectstatic", "--no-input", "-v0"]):
            subprocess.run(manage + args, cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)
        create = (
            "from django.contrib.auth import get_user_model;"
            f"get_user_model().objects.create_superuser('drill', 'drill@example.org', '{self.password}')"
        )
        subprocess.run(manage + ["shell", "-c", create], cwd=ROOT, env=self.env, check=True)
        for port in self.ports:
            env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"}
            log = open(ROOT / "var" / f"fault-server-{port}.log", "w")  # noqa: SIM115 (closed at exit)
            self.processes.append(
                subprocess.Popen(
                    [GUNICORN, "-c", "gunicorn.conf.py", "smedash.wsgi"], cwd=ROOT, env=env, stdout=log, stderr=log
                )
            )
        for port in self.ports:
            if not wait_until(lambda p=port: status_of(f"http://127.0.0.1:{p}/healthz") == 200, 30):
                raise RuntimeError(f"app server on port {port} did not start")
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)
        psql(f"DROP DATABASE IF EXISTS {self.database}")

    def count_areas_with_prefix(self, prefix):
        result = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", self.database, "-tAc",
             f"SELECT count(*) FROM countries_area WHERE code LIKE '{prefix}%'"],  # noqa: S608 (our constant)
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return int(result.stdout.strip())


class AdminWriter:
    """Adds areas through the admin's real HTML form, remembering every acknowledged write."""

    def __init__(self, base, password):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.password = password
        self.acknowledged = []
        self.statuses = Counter()

    def _csrf(self, path):
        with self.opener.open(self.base + path, timeout=5) as response:
            html = response.read().decode()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def _post(self, path, fields):
        token = self._csrf(path)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        headers = {"Referer": self.base + path}
        request = urllib.request.Request(self.base + path, data=data, headers=headers)  # noqa: S310 (loopback)
        try:
            with self.opener.open(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def login(self):
        status = self._post("/en/admin/login/?next=/en/admin/", {"username": "drill", "password": self.password})
        if status != 302:
            raise RuntimeError(f"admin login failed: {status}")

    def add_area(self, code):
        try:
            status = self._post(
                "/en/admin/countries/area/add/",
                {"code": code, "kind": "aggregate", "name_en": f"Drill {code}", "name_ar": "تمرين", "name_fa": "تمرین"},
            )
        except (urllib.error.URLError, TimeoutError, ConnectionError, AttributeError):
            status = "no answer"  # AttributeError: the form page itself was a 503 without a token
        self.statuses[status] += 1
        if status == 302:  # the admin redirects only after the row is committed
            self.acknowledged.append(code)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def reader(urls, stop, statuses):
    while not stop.is_set():
        for url in urls:
            statuses[status_of(url)] += 1
            if stop.is_set():
                break


def drill_postgres():
    print("== PostgreSQL restarted under reads and admin writes")
    with Servers("pg") as servers:
        stop = threading.Event()
        statuses = Counter()
        urls = [f"http://127.0.0.1:{port}{path}" for port in PORTS for path in ("/en/", "/fa/", "/healthz")]
        threads = [threading.Thread(target=reader, args=(urls, stop, statuses)) for _ in range(4)]
        writer = AdminWriter(f"http://127.0.0.1:{PORTS[0]}", servers.password)
        writer.login()
        prefix = "DR"

        def write_loop():
            number = 0
            while not stop.is_set() and number < 5000:
                number += 1
                writer.add_area(f"{prefix}{number:04d}")
                time.sleep(0.05)

        threads.append(threading.Thread(target=write_loop))
        for thread in threads:
            thread.start()
        time.sleep(3)
        restarted_at = time.monotonic()
        subprocess.run(pg_cluster_command("restart"), check=True, capture_output=True)
        back = wait_until(lambda: status_of(f"http://127.0.0.1:{PORTS[1]}/healthz") == 200, 60, step=0.1)
        recovery = time.monotonic() - restarted_at
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        stored = servers.count_areas_with_prefix(prefix)
        lost = len(writer.acknowledged) - stored
    server_errors = {k: v for k, v in statuses.items() if isinstance(k, int) and k >= 500 and k != 503}
    print(f"reads: {sum(statuses.values())} {dict(statuses)}")
    print(f"admin writes: {dict(writer.statuses)}; acknowledged {len(writer.acknowledged)}, stored {stored}")
    print(f"service back {recovery:.1f} s after the restart began; unexpected 5xx: {server_errors or 'none'}")
    ok = back and not server_errors and lost == 0 and writer.statuses.get(500, 0) == 0
    print("PASS" if ok else "FAIL")
    return ok


def drill_redis():
    print("== Redis stopped under reads")
    start_redis = [
        "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
        "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
    ]  # fmt: skip
    with Servers("redis", {"REDIS_URL": REDIS_URL}) as servers:
        del servers  # only the running app servers are needed
        urls = [f"http://127.0.0.1:{port}{path}" for port in PORTS for path in ("/en/", "/ar/", "/fa/")]
        before = Counter(status_of(url) for url in urls * 5)
        subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True)
        try:
            wait_until(lambda: subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0, 10)
            started = time.monotonic()
            during = Counter(status_of(url) for url in urls * 5)
            elapsed = time.monotonic() - started
            health = status_of(f"http://127.0.0.1:{PORTS[0]}/healthz")
        finally:
            subprocess.run(start_redis, check=True, capture_output=True)
        wait_until(lambda: subprocess.run(["redis-cli", "ping"], capture_output=True).returncode == 0, 10)
        after = Counter(status_of(url) for url in urls * 5)
    print(f"with Redis: {dict(before)}; without: {dict(during)} in {elapsed:.1f} s; healthz without: {health}")
    print(f"after Redis came back: {dict(after)}")
    ok = set(before) == {200} and set(during) == {200} and health == 503 and set(after) == {200}
    print("PASS" if ok else "FAIL")
    return ok


# PNG flood ------------------------------------------------------------------------------------------

PAGE = "/en/about/"  # a page every visitor may ask for, cached whole (PageCacheMiddleware)
PRESETS = ("small", "medium", "large", "share")


def fetch(url, timeout=30):
    """(status, content type, seconds, body length); never raises."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            status, kind, length = response.status, response.headers.get("Content-Type", ""), len(response.read())
    except urllib.error.HTTPError as error:
        status, kind, length = error.code, error.headers.get("Content-Type", ""), len(error.read())
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        status, kind, length = "no answer", "", 0
    return status, kind, time.monotonic() - started, length


def _shuffled_addresses(base_urls, paths):
    random.Random(1).shuffle(paths)
    return [base_urls[number % len(base_urls)] + path for number, path in enumerate(paths)]


def flood_addresses(base_urls):
    """Distinct chart images (every one a cache miss: page x areas x language x preset), and
    distinct data.json answers; each list shuffled, spread over the servers."""
    with urllib.request.urlopen(f"{base_urls[0]}/api/v1/indicators", timeout=10) as response:  # noqa: S310
        indicators = [row["code"] for row in json.load(response)["results"]]
    with urllib.request.urlopen(f"{base_urls[0]}/api/v1/areas?kind=country", timeout=10) as response:  # noqa: S310
        areas = [row["code"] for row in json.load(response)["results"]]
    pairs = [",".join(pair) for pair in itertools.combinations(areas, 2)]
    views = [f"compare/{code}/chart.png?areas={pair}" for code in indicators for pair in pairs]
    views += [f"areas/{code}/chart.png?year=all" for code in areas]
    paths = [f"/{lang}/{view}&size={preset}" for view in views for lang in ("en", "ar", "fa") for preset in PRESETS]
    # The same pages' data.json with another year: the page data the PNG requests left in the
    # cache does not serve them, so they cost what an uncached answer costs.
    views = [f"compare/{code}/data.json?areas={pair}&year=all" for code in indicators for pair in pairs]
    views += [f"areas/{code}/data.json?year=latest" for code in areas]
    json_paths = [f"/{lang}/{view}" for view in views for lang in ("en", "ar", "fa")]
    return _shuffled_addresses(base_urls, paths), _shuffled_addresses(base_urls, json_paths)


def flood(urls, clients, seconds, pause, results):
    """``clients`` threads, each asking for the next address as soon as it has an answer, or
    ``pause`` seconds after a 429; until ``seconds`` have passed or the addresses run out. Runs in
    a process of its own, so that its threads do not slow the client that times the page."""
    addresses = iter(urls)
    lock = threading.Lock()
    answers = []
    deadline = time.monotonic() + seconds

    def client():
        while time.monotonic() < deadline:
            with lock:
                url = next(addresses, None)
            if url is None:
                return
            status, kind, elapsed, length = fetch(url)
            answers.append((status, kind.split(";")[0], elapsed, length))
            if status == 429 and pause:
                time.sleep(pause)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(answers)


def time_page(base_urls, seconds, pause=0.05):
    """Latencies (s) of the cached page, one request at a time, alternating servers."""
    times, statuses = [], Counter()
    deadline = time.monotonic() + seconds
    for number in itertools.count():
        if time.monotonic() >= deadline:
            break
        status, _kind, elapsed, _length = fetch(base_urls[number % len(base_urls)] + PAGE, timeout=30)
        statuses[status] += 1
        times.append(elapsed)
        time.sleep(pause)
    return times, statuses


def descendants(roots):
    """Every process below ``roots`` (their pids), from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), set(roots)
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def browser_memory(roots):
    """Proportional memory (MB) of the servers' Chromium processes (not Python's)."""
    total = 0
    for pid in descendants(roots):
        try:
            if b"python" in Path(f"/proc/{pid}/cmdline").read_bytes():  # gunicorn's workers
                continue
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE).group(1))
    return total / 1024


def summary(times):
    if not times:
        return "none"
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"n={len(ms)} median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms"


def server_durations(ports, suffix, status):
    """Milliseconds the servers spent on requests whose path ends with ``suffix`` and answered
    ``status`` (from their JSON access logs)."""
    durations = []
    for port in ports:
        for line in (ROOT / "var" / f"fault-server-{port}.log").read_text().splitlines():
            if '"duration_us"' in line and line.startswith("{"):
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if entry["path"].endswith(suffix) and entry["status"] == status:
                        durations.append(entry["duration_us"] / 1e6)
    return durations


class Flood:
    """One flood against running servers while the cached page is timed; the figures it saw."""

    def __init__(self, bases, roots, redis_url, urls, clients, seconds, pause):
        self.bases, self.roots, self.redis_url = bases, roots, redis_url
        self.urls, self.clients, self.seconds, self.pause = urls, clients, seconds, pause

    def run(self):
        self.slots_seen, self.memory = [], []
        sampling = threading.Event()

        def sample():
            connection = redis.Redis.from_url(self.redis_url)
            while not sampling.is_set():
                self.slots_seen.append(len(connection.keys("*png-slot*")))
                self.memory.append(browser_memory(self.roots))
                sampling.wait(0.25)

        context = multiprocessing.get_context("fork")
        results = context.Queue()
        flooder = context.Process(target=flood, args=(self.urls, self.clients, self.seconds, self.pause, results))
        sampler = threading.Thread(target=sample)
        started = time.monotonic()
        flooder.start()  # before the sampling thread: fork a process with one thread
        sampler.start()
        time.sleep(1)  # let the flood build up
        self.during, self.during_statuses = time_page(self.bases, self.seconds - 2)
        self.answers = results.get(timeout=self.seconds + 60)
        flooder.join(timeout=30)
        self.elapsed = time.monotonic() - started
        sampling.set()
        sampler.join()
        self.kinds = Counter((status, kind) for status, kind, _elapsed, _length in self.answers)
        self.drawn = [elapsed for status, kind, elapsed, _length in self.answers if status == 200]
        self.busy = [e for status, kind, e, _length in self.answers if status == 429 and kind == "text/plain"]
        return self

    def report(self, what):
        print(f"-- {what}: {self.clients} clients, {self.seconds} s, a 429 retried after {self.pause:g} s")
        print(f"page {PAGE} during: {summary(self.during)}  {dict(self.during_statuses)}")
        print(f"requests: {len(self.answers)} in {self.elapsed:.1f} s: {dict(self.kinds)}")
        if self.busy or self.drawn:
            print(f"  200 (drawn): {summary(self.drawn)}; {len(self.drawn) / self.elapsed:.1f} images/s")
            print(f"  429 (no drawing slot): {summary(self.busy)}")
            print(f"drawing slots held at once (sampled every 0.25 s): max {max(self.slots_seen, default=0)}")
            peak, last = max(self.memory, default=0), (self.memory or [0])[-1]
            print(f"Chromium memory (PSS, all servers): max {peak:.0f} MB, at the end {last:.0f} MB")


def drill_png(clients=16, seconds=20, max_requests=3000, concurrency=1, bound_ms=200, pause=1.0, hammer=False):
    """Chart images asked for faster than they can be drawn must not slow the pages.

    Two servers of two sync workers each (four workers, as in the issue), sharing Redis; a per
    address rate limit high enough never to trigger (a flood can come from many addresses), so
    that only the site-wide drawing slots stand between the flood and the workers. Every image
    asked for is a different one (page x areas x language x preset), so every one is a cache miss.

    The clients retry a 429 after ``pause`` seconds (a fifth of the Retry-After they are given).
    ``hammer`` adds, for the record, clients that retry at once, and the same clients asking for
    data.json instead (no image at all): a refusal costs a worker as much as an uncached data
    answer, so clients that never wait slow the pages through any uncached address alike.
    """
    print(f"== PNG flood: {clients} clients, {seconds} s, at most {max_requests} images; {concurrency} drawing slot(s)")
    # The figures mean little on a machine already busy with other work: say how busy it was.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start")
    redis_url = f"redis://127.0.0.1:6379/{PNG_REDIS_DB}"
    subprocess.run(["redis-cli", "-n", str(PNG_REDIS_DB), "flushdb"], check=True, capture_output=True)
    env = {
        "REDIS_URL": redis_url,
        "RATELIMIT_EXPENSIVE": "1000000/m",
        "RATELIMIT_UNCACHED": "1000000/m",  # --hammer's data.json flood: the slots are what is measured
        "SMEDASH_PNG_CONCURRENCY": str(concurrency),
    }
    try:
        with Servers("png", env, ports=PNG_PORTS) as servers:
            bases = [f"http://127.0.0.1:{port}" for port in PNG_PORTS]
            roots = [process.pid for process in servers.processes]
            urls, json_urls = flood_addresses(bases)
            for base in bases * 4:  # the page is cached on both servers before timing
                fetch(base + PAGE)
            before, before_statuses = time_page(bases, 5)
            main = Flood(bases, roots, redis_url, urls[:max_requests], clients, seconds, pause).run()
            after, _after_statuses = time_page(bases, 3)
            refused_in_server = server_durations(PNG_PORTS, ".png", 429)
            extra = []
            if hammer:
                rest = urls[max_requests : 2 * max_requests]
                extra.append(("PNG, no pause", Flood(bases, roots, redis_url, rest, clients, seconds, 0).run()))
                extra.append(
                    ("data.json, no pause", Flood(bases, roots, redis_url, json_urls, clients, seconds, 0).run())
                )
    finally:
        subprocess.run(["redis-cli", "-n", str(PNG_REDIS_DB), "flushdb"], capture_output=True)

    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"page {PAGE} before: {summary(before)}  {dict(before_statuses)}")
    main.report("PNG flood")
    print(f"page {PAGE} after:  {summary(after)}")
    print(f"a 429 in the server (access log): {summary(refused_in_server)}")
    for what, other in extra:
        other.report(what)
    unexpected = {k: v for k, v in main.kinds.items() if k[0] not in (200, 429)}
    median_ms = statistics.median(main.during) * 1000 if main.during else float("inf")
    checks = {
        f"page median during the flood <= {bound_ms} ms": median_ms <= bound_ms,
        "the page always answered 200": set(main.during_statuses) == set(before_statuses) == {200},
        "some images were drawn": bool(main.drawn),
        "the flood met 429s (the limit triggered)": bool(main.busy),
        "429s came at once (median < 0.5 s)": bool(main.busy) and statistics.median(main.busy) < 0.5,
        "no other status than 200 and 429": not unexpected,
        "never more slots held than allowed": max(main.slots_seen, default=0) <= concurrency,
    }
    for name, passed in checks.items():
        print(f"  {'ok  ' if passed else 'FAIL'} {name}")
    ok = all(checks.values())
    print("PASS" if ok else "FAIL")
    return ok


# Redis filling --------------------------------------------------------------------------------

FILL_PORTS = (8121, 8122)
# The drill's limits: an uncached budget below the default 120/m, so that the flood meets it at
# once, counted per hour, so that no client's count starts again while the drill runs (see
# fill_clients); a PNG limit small enough to reach with a few images.
FILL_UNCACHED, FILL_UNCACHED_LIMIT = "40/h", 40
FILL_EXPENSIVE = "2/h"
# Kept before the flood and asked for throughout by a client of its own (a popular page and
# answer: least recently used entries are the ones evicted), so hits for everyone.
FILL_PAGE = "/en/about/"
FILL_CACHED_API = "/api/v1/indicators"
MB = 1024 * 1024


def start_redis_server(policy, maxmemory):
    """A redis-server of the drill's own on a free loopback port: (process, url)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--maxmemory", maxmemory, "--maxmemory-policy", policy],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    if not wait_until(lambda: _redis_answers(url), 10, step=0.05):
        process.kill()
        raise RuntimeError("redis-server did not start")
    return process, url


def _redis_answers(url):
    try:
        return redis.Redis.from_url(url, socket_timeout=0.5).ping()
    except redis.RedisError:
        return False


def fill_clients(count, needed_seconds):
    """``count`` client addresses (10.x.y.z, sent as X-Forwarded-For over 127.0.0.1, which the
    servers trust as their proxy) whose hourly rate windows all outlast ``needed_seconds``, so
    that every count the drill checks is one window's. django-ratelimit jitters each window by
    the address; its own function says when it ends."""
    from django_ratelimit.core import _get_window  # pure: the time and the address

    found = []
    for number in itertools.count(1):
        address = f"10.{number // 62500 % 250 + 1}.{number // 250 % 250}.{number % 250 + 1}"
        if _get_window(address, 3600) - int(time.time()) > needed_seconds:
            found.append(address)
            if len(found) == count:
                return found


@dataclass
class Answer:
    status: object  # an HTTP status, or "no answer"
    content_type: str
    seconds: float
    body: bytes
    retry_after: str | None


def fetch_as(url, client, timeout=30):
    """``url`` asked for by ``client`` (its address in X-Forwarded-For; the connection is to
    127.0.0.1, the trusted proxy); never raises."""
    request = urllib.request.Request(url, headers={"X-Forwarded-For": client})  # noqa: S310 (loopback only)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback only)
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        status, headers, body = "no answer", {}, b""
    kind = headers.get("Content-Type", "").split(";")[0]
    return Answer(status, kind, time.monotonic() - started, body, headers.get("Retry-After"))


def fill_work(base_urls, clients, extra):
    """For each client: FILL_UNCACHED_LIMIT + ``extra`` addresses nobody asked for before (API
    offset/limit variants, compare pages and their JSON twins), then one chart image: every
    address different, so every one a cache miss. Client after client, across the servers."""

    def codes(path):
        return [row["code"] for row in json.loads(fetch_as(base_urls[0] + path, "10.0.0.1").body)["results"]]

    indicators, areas = codes("/api/v1/indicators"), codes("/api/v1/areas?kind=country")
    langs = ("en", "ar", "fa")
    # Up to 1,000 observations from one of the first ten: every answer a big one.
    api = (
        f"/api/v1/observations?limit={limit}&offset={offset}&lang={lang}"
        for limit in range(1000, 0, -1)
        for offset in range(10)
        for lang in langs
    )
    views = [
        (code, ",".join(c)) for code in indicators for size in (1, 2, 3) for c in itertools.combinations(areas, size)
    ]
    random.Random(2).shuffle(views)
    addresses = {
        "api": api,
        "page": (f"/{lang}/compare/{code}/?areas={combo}" for code, combo in views for lang in langs),
        "json": (f"/{lang}/compare/{code}/data.json?areas={combo}" for code, combo in views for lang in langs),
        "png": (
            f"/{lang}/compare/{code}/chart.png?areas={combo}&size={preset}"
            for code, combo in views
            for lang in langs
            for preset in PRESETS
        ),
    }
    mix = ("api", "api", "api", "page", "page", "json")
    work = []
    for number, client in enumerate(clients):
        base = base_urls[number % len(base_urls)]
        kinds = [mix[slot % len(mix)] for slot in range(FILL_UNCACHED_LIMIT + extra)] + ["png"]
        work += [(client, kind, base + next(addresses[kind])) for kind in kinds]
    return work


class FillFlood:
    """``threads`` threads asking for ``work`` (client, kind, url) in order until it runs out or
    ``seconds`` pass; meanwhile the cache Redis's used_memory is sampled every 0.2 s and another
    client times the kept ``visits`` (a page and an API answer), in turn."""

    def __init__(self, work, threads, seconds, cache_url, visits):
        self.work, self.threads, self.seconds, self.cache_url, self.visits = work, threads, seconds, cache_url, visits

    def run(self):
        pending, lock, done = iter(self.work), threading.Lock(), threading.Event()
        deadline = time.monotonic() + self.seconds
        self.answers = []  # (client, kind, Answer)
        self.memory, self.visit_times, self.visit_statuses = [], [], Counter()

        def asker():
            while time.monotonic() < deadline:
                with lock:
                    item = next(pending, None)
                if item is None:
                    return
                client, kind, url = item
                self.answers.append((client, kind, fetch_as(url, client)))

        def sampler():
            connection = redis.Redis.from_url(self.cache_url)
            while not done.is_set():
                self.memory.append(connection.info("memory")["used_memory"])
                done.wait(0.2)

        def visitor():
            for number in itertools.count():
                if done.is_set():
                    return
                answer = fetch_as(self.visits[number % len(self.visits)], "10.254.254.254")
                self.visit_statuses[answer.status] += 1
                self.visit_times.append(answer.seconds)
                done.wait(0.1)

        watchers = [threading.Thread(target=sampler), threading.Thread(target=visitor)]
        askers = [threading.Thread(target=asker) for _ in range(self.threads)]
        started = time.monotonic()
        for thread in watchers + askers:
            thread.start()
        for thread in askers:
            thread.join()
        self.elapsed = time.monotonic() - started
        done.set()
        for thread in watchers:
            thread.join()
        return self

    def tally(self):
        """Per client: uncached answers computed (200) and refused (429), PNGs aside."""
        computed, refused = Counter(), Counter()
        for client, kind, answer in self.answers:
            if kind != "png":
                computed[client] += answer.status == 200
                refused[client] += answer.status == 429
        return computed, refused


def _keys(url):
    return set(redis.Redis.from_url(url).scan_iter(count=1000))


def _spend_budgets(bases, client):
    """The probe spends its budgets: FILL_UNCACHED_LIMIT + 1 uncached API answers and three chart
    images; their statuses, and the last API answer."""
    api = [
        fetch_as(f"{bases[0]}/api/v1/observations?limit=1&offset={n}", client) for n in range(FILL_UNCACHED_LIMIT + 1)
    ]
    images = [fetch_as(f"{bases[1]}/en/areas/{code}/chart.png?size=small", client) for code in ("IRN", "JPN", "KOR")]
    return Counter(a.status for a in api), Counter(a.status for a in images), api[-1]


def drill_redis_fill(clients=30, seconds=60, max_requests=2500, maxmemory="8mb", extra=8, threads=8):
    """Many distinct uncached addresses must neither grow Redis past its limit nor wear the limits away.

    As `make serve-prod` runs it: two app servers sharing a cache Redis with a memory limit and
    allkeys-lru, the rate-limit counters in a Redis of their own with noeviction; the limit is
    small here (``maxmemory``) so that a bounded flood overruns it. The flood comes from
    ``clients`` addresses, each asking for ``extra`` more distinct uncached addresses than its
    budget allows (API offset/limit variants, pages, JSON twins) and one chart image, at most
    ``max_requests`` in ``seconds``. A probe client spends its budgets before the flood; after
    it, its limits must still answer 429 (its counters kept), while kept pages are served to it
    and to everyone throughout.
    """
    print(f"== Redis filling: {clients} clients, {FILL_UNCACHED_LIMIT + extra} uncached addresses and 1 PNG each")
    print(f"   at most {seconds} s and {max_requests} requests, {threads} threads; cache maxmemory {maxmemory}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start")
    probe, newcomer, *flooders = fill_clients(clients + 2, seconds + 300)  # the flood, the start, the checks
    cache_server, cache_url = start_redis_server("allkeys-lru", maxmemory)
    counters_server, counters_url = start_redis_server("noeviction", "32mb")
    env = {
        "REDIS_URL": cache_url,
        "REDIS_RATELIMIT_URL": counters_url,
        "RATELIMIT_UNCACHED": FILL_UNCACHED,
        "RATELIMIT_EXPENSIVE": FILL_EXPENSIVE,
        "TRUSTED_PROXY_HEADER": "X-Forwarded-For",
        "TRUSTED_PROXIES": "127.0.0.1",
    }
    cache, counters = redis.Redis.from_url(cache_url), redis.Redis.from_url(counters_url)
    try:
        with Servers("fill", env, ports=FILL_PORTS) as servers:
            deploy_check = subprocess.run(
                [PYTHON, "manage.py", "check", "--deploy", "--tag", "caches", "--fail-level", "WARNING"],
                cwd=ROOT, env=servers.env, capture_output=True, text=True,
            )  # fmt: skip
            bases = [f"http://127.0.0.1:{port}" for port in FILL_PORTS]
            for base in bases:
                for path in (FILL_PAGE, FILL_CACHED_API):
                    fetch_as(base + path, "10.0.0.1")
            spent, images, last = _spend_budgets(bases, probe)
            print(f"probe before the flood: uncached API {dict(spent)}, Retry-After {last.retry_after} s")
            print(f"probe before the flood: PNG {dict(images)}")
            counters_before, before = _keys(counters_url), cache.info()
            work = fill_work(bases, flooders, extra)[:max_requests]
            visits = [base + path for base in bases for path in (FILL_PAGE, FILL_CACHED_API)]
            flood = FillFlood(work, threads, seconds, cache_url, visits).run()
            cache_after, counters_after = cache.info(), counters.info()
            largest = max((cache.memory_usage(key) or 0 for key in cache.scan_iter(count=1000)), default=0)
            counters_kept = counters_before <= _keys(counters_url)
            after = {  # the probe is still over its limits, yet kept answers reach it
                "probe, uncached API answer": fetch_as(f"{bases[1]}/api/v1/observations?limit=2&offset=0", probe),
                "probe, uncached page": fetch_as(f"{bases[0]}/ar/compare/firm_share/?areas=IRN&year=all", probe),
                "probe, PNG": fetch_as(f"{bases[0]}/en/areas/IRN/chart.png?size=large", probe),
                "probe, kept page": fetch_as(bases[1] + FILL_PAGE, probe),
                "probe, kept API answer": fetch_as(bases[0] + FILL_CACHED_API, probe),
                "another client, uncached API answer": fetch_as(f"{bases[0]}/api/v1/observations?limit=3", newcomer),
            }
            maxmemory_bytes = int(cache.config_get("maxmemory")["maxmemory"])
    finally:
        for process in (cache_server, counters_server):
            process.kill()
            process.wait()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")

    kinds = Counter((kind, answer.status) for _client, kind, answer in flood.answers)
    computed, refused = flood.tally()
    peak = max(flood.memory, default=0)
    over_limit = [used - maxmemory_bytes for used in flood.memory if used > maxmemory_bytes]
    print(f"flood: {len(flood.answers)} requests in {flood.elapsed:.1f} s from {len(computed)} clients")
    for kind in ("api", "page", "json", "png"):
        print(f"  {kind}: {dict(sorted((s, n) for (k, s), n in kinds.items() if k == kind))}")
    print(f"  uncached answers computed, clients by count: {dict(Counter(computed.values()))}")
    print(f"  uncached answers refused, clients by count: {dict(Counter(refused.values()))}")
    print(
        f"cache Redis: maxmemory {maxmemory_bytes / MB:.1f} MB; "
        f"used_memory {before['used_memory'] / MB:.2f} MB before, "
        f"max {peak / MB:.2f} MB during ({len(flood.memory)} samples), {cache_after['used_memory'] / MB:.2f} MB after; "
        f"keys {before.get('db0', {}).get('keys', 0)} -> {cache_after.get('db0', {}).get('keys', 0)}, "
        f"{cache_after['evicted_keys']} evicted"
    )
    print(
        f"  above maxmemory in {len(over_limit)} of {len(flood.memory)} samples, by at most "
        f"{max(over_limit, default=0)} bytes; the largest entry left {largest / 1024:.0f} KB"
    )
    print(
        f"counters Redis: {len(counters_before)} keys before the flood, all kept: {counters_kept}; "
        f"{counters_after.get('db0', {}).get('keys', 0)} after, {counters_after['evicted_keys']} evicted, "
        f"used_memory {counters_after['used_memory'] / MB:.2f} MB"
    )
    print(f"{FILL_PAGE} and {FILL_CACHED_API} during the flood: {summary(flood.visit_times)}")
    print(f"  {dict(flood.visit_statuses)}")
    for what, answer in after.items():
        retry = f", Retry-After {answer.retry_after}" if answer.status == 429 else ""
        print(f"after the flood, {what}: {answer.status} {answer.content_type}{retry}")

    over = [client for client in computed if computed[client] + refused[client] > FILL_UNCACHED_LIMIT]
    unexpected = {k: n for k, n in kinds.items() if k[1] not in (200, 429) and k != ("png", 503)}
    checks = {
        "check --deploy --tag caches accepts both Redis servers": deploy_check.returncode == 0,
        f"the probe spent its budget first ({FILL_UNCACHED_LIMIT} x 200, then 429)": (
            spent == Counter({200: FILL_UNCACHED_LIMIT, 429: 1})
        ),
        "the flood overran maxmemory (keys were evicted)": cache_after["evicted_keys"] > 0,
        # Redis evicts before it runs each command; a sample can catch the buffers of the commands
        # in flight (the INFO asking, a SET arriving) on top: a few KB, never an entry's worth.
        "used_memory never above maxmemory by more than 1 %": (
            max(peak, cache_after["used_memory"]) <= maxmemory_bytes * 1.01
        ),
        "the counters kept every key, none evicted": counters_kept and counters_after["evicted_keys"] == 0,
        "every client past its budget met 429s": bool(over) and all(refused[client] for client in over),
        f"no client had more than {FILL_UNCACHED_LIMIT} uncached answers computed": (
            max(computed.values(), default=0) <= FILL_UNCACHED_LIMIT
        ),
        "no status but 200 and 429 (and 503 for a PNG without a browser)": not unexpected,
        "the kept page and answer were served throughout (all 200)": set(flood.visit_statuses) == {200},
        "after: the probe's uncached API answer is a JSON 429": (
            (after["probe, uncached API answer"].status, after["probe, uncached API answer"].content_type)
            == (429, "application/json")
        ),
        "after: the probe's uncached page is a 429 page in the site's layout": (
            after["probe, uncached page"].status == 429 and b'class="site-header"' in after["probe, uncached page"].body
        ),
        "after: the probe's PNG is a 429 (RATELIMIT_EXPENSIVE)": after["probe, PNG"].status == 429,
        "after: kept page and answer still 200 for the probe": (
            after["probe, kept page"].status == after["probe, kept API answer"].status == 200
        ),
        "after: another client's uncached answer is computed (200)": (
            after["another client, uncached API answer"].status == 200
        ),
    }
    for name, passed in checks.items():
        print(f"  {'ok  ' if passed else 'FAIL'} {name}")
    ok = all(checks.values())
    print("PASS" if ok else "FAIL")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drill", choices=["postgres", "redis", "png", "redis-fill", "all"])
    flood = parser.add_argument_group("png")
    flood.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    flood.add_argument("--seconds", type=int, default=20, help="how long (default 20)")
    flood.add_argument("--max-requests", type=int, default=3000, help="at most this many images (default 3000)")
    flood.add_argument("--concurrency", type=int, default=1, help="SMEDASH_PNG_CONCURRENCY (default 1)")
    flood.add_argument("--pause", type=float, default=1.0, help="seconds a client waits after a 429 (default 1)")
    flood.add_argument("--bound-ms", type=int, default=200, help="the page's median must stay below (default 200)")
    flood.add_argument("--hammer", action="store_true", help="also: no pause, and the same against data.json")
    fill = parser.add_argument_group("redis-fill")
    fill.add_argument("--fill-clients", type=int, default=30, help="client addresses flooding (default 30)")
    fill.add_argument("--fill-seconds", type=int, default=60, help="at most this long (default 60)")
    fill.add_argument("--fill-max-requests", type=int, default=2500, help="at most this many (default 2500)")
    fill.add_argument("--maxmemory", default="8mb", help="the cache Redis's maxmemory (default 8mb)")
    args = parser.parse_args()
    drill = args.drill
    results = []
    if drill in ("postgres", "all"):
        results.append(drill_postgres())
    if drill in ("redis", "all"):
        results.append(drill_redis())
    if drill in ("png", "all"):
        results.append(
            drill_png(
                args.clients, args.seconds, args.max_requests, args.concurrency, args.bound_ms, args.pause, args.hammer
            )
        )
    if drill in ("redis-fill", "all"):
        results.append(drill_redis_fill(args.fill_clients, args.fill_seconds, args.fill_max_requests, args.maxmemory))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
