"""Fault drills against real servers on this machine; each prints its figures and exits 1 on failure.

    .venv/bin/python bench/faults.py postgres   # restart PostgreSQL under reads and admin writes
    .venv/bin/python bench/faults.py redis      # stop Redis under reads
    .venv/bin/python bench/faults.py png        # flood chart PNGs while timing a cached page
    .venv/bin/python bench/faults.py all

Each drill creates its own PostgreSQL database, runs two gunicorn app servers on loopback ports
(like `make serve-prod`), drives bounded loops of requests for a bounded time, and cleans up.
Only 127.0.0.1 is ever contacted. PostgreSQL and Redis are restarted with the commands this
machine kind documents, so the drills need root on a machine of that kind. The PNG drill needs
Chromium (as the PNG tests do) and Redis; it restarts nothing and uses Redis database 14 only.
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
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
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
    env = {"REDIS_URL": redis_url, "RATELIMIT_EXPENSIVE": "1000000/m", "SMEDASH_PNG_CONCURRENCY": str(concurrency)}
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drill", choices=["postgres", "redis", "png", "all"])
    flood = parser.add_argument_group("png")
    flood.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    flood.add_argument("--seconds", type=int, default=20, help="how long (default 20)")
    flood.add_argument("--max-requests", type=int, default=3000, help="at most this many images (default 3000)")
    flood.add_argument("--concurrency", type=int, default=1, help="SMEDASH_PNG_CONCURRENCY (default 1)")
    flood.add_argument("--pause", type=float, default=1.0, help="seconds a client waits after a 429 (default 1)")
    flood.add_argument("--bound-ms", type=int, default=200, help="the page's median must stay below (default 200)")
    flood.add_argument("--hammer", action="store_true", help="also: no pause, and the same against data.json")
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
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
