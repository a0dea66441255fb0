"""Fault drills against real servers on this machine; each prints its figures and exits 1 on failure.

    .venv/bin/python bench/faults.py postgres   # restart PostgreSQL under reads and admin writes
    .venv/bin/python bench/faults.py redis      # stop Redis under reads
    .venv/bin/python bench/faults.py all

Each drill creates its own PostgreSQL database, runs two gunicorn app servers on loopback ports
(like `make serve-prod`), drives bounded loops of requests for a bounded time, and cleans up.
Only 127.0.0.1 is ever contacted. PostgreSQL and Redis are restarted with the commands this
machine kind documents, so the drills need root on a machine of that kind.
"""

import argparse
import http.cookiejar
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PORTS = (8101, 8102)
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/15"


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

    def __init__(self, name, extra_env=None):
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
        for port in PORTS:
            env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"}
            log = open(ROOT / "var" / f"fault-server-{port}.log", "w")  # noqa: SIM115 (closed at exit)
            self.processes.append(
                subprocess.Popen(
                    [GUNICORN, "-c", "gunicorn.conf.py", "smedash.wsgi"], cwd=ROOT, env=env, stdout=log, stderr=log
                )
            )
        for port in PORTS:
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drill", choices=["postgres", "redis", "all"])
    drill = parser.parse_args().drill
    results = []
    if drill in ("postgres", "all"):
        results.append(drill_postgres())
    if drill in ("redis", "all"):
        results.append(drill_redis())
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
