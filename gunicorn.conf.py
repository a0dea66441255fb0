"""gunicorn settings for SMEdash; every value can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: one request per process at a time, which also suits the PNG renderer (one warm
# Chromium per process, not thread-safe). Chart images never take more than a few of them: a
# render needs one of SMEDASH_PNG_CONCURRENCY drawing slots shared by every worker and server
# through Redis (indicators/image_views.py), and a request that finds none is answered 429 at
# once; Chromium itself runs in the idle CPU class, behind the workers that serve pages.
workers = int(os.environ.get("GUNICORN_WORKERS", min(4, multiprocessing.cpu_count() * 2)))
worker_class = "sync"
# PNG exports stop themselves well before this (their own timeout is shorter), and a drawing slot
# left by a worker killed here expires SMEDASH_PNG_TIMEOUT + 10 s after it was taken.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then, so that a slow leak in a browser or driver cannot build up; but
# rarely: a new worker costs about a second of CPU (imports, its Chromium), and a worker serving
# kept pages answers 1,000 a second on this project's 2-core machine, so 2,000 meant a restart
# every few seconds under load (the cached page's throughput halved).
max_requests = 50000
max_requests_jitter = 5000
# gunicorn's control socket defaults to one path per user, which two servers on one machine
# (make serve-prod) would fight over; we do not use it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Structured access log: one JSON object a line.
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "query": "%(q)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_us": %(D)s, "agent": "%(a)s"}'
)


def post_worker_init(worker):
    """Start the worker's Chromium (PNG exports) in the background as soon as the worker is up, so
    that the first PNG does not wait 3-5 s for it, and start it again if it dies. The worker answers
    pages meanwhile; SMEDASH_PNG_WARM=0 leaves the browser to start on the first PNG instead (a
    Chromium per worker costs about 150 MB of memory whether or not PNGs are asked for)."""
    if os.environ.get("SMEDASH_PNG_WARM", "1").strip().lower() in ("0", "false", "no", "off"):
        return
    from indicators import browser

    browser.keep_warm()
