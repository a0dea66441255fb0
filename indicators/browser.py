"""This process's Chromium, which draws chart images: start it, keep it warm, replace it when it dies.

One warm Chromium per worker process, started by the first render (3-4 s) and reused (about
0.3 s a render). kaleido's own ``start_sync_server()``/``calc_fig_sync()`` would give that, but
its call waits on a queue with no timeout and never returns once the browser has died or failed
to start; so kaleido's async API runs on an event loop of our own in a background thread, which
gives every render a deadline, and a dead or stuck browser is killed and replaced.

Nothing here knows about HTTP or caching: ``indicators.png`` makes images (and caches them),
``indicators.image_views`` answers requests for them.
"""

import asyncio
import atexit
import contextlib
import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import kaleido
import plotly
from choreographer.browsers.chromium import Chromium
from django.conf import settings
from kaleido.errors import JavascriptError, KaleidoError

logger = logging.getLogger(__name__)

FONTS_CONF = Path(__file__).with_name("fonts.conf")
# The plotly.js that ships with plotly.py: no CDN, and the version the figures were built for.
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
DEFAULT_TIMEOUT = 20.0  # gunicorn kills a worker after 30 s (gunicorn.conf.py); stop well before
# Chromium runs in Linux's "idle" scheduling class: it gets the CPU only when the app servers
# (and the database) leave some, so a flood of renders cannot slow the pages. Not ``nice``:
# Chromium sets its own processes' niceness, and as root even lowers it below ours; the class is
# inherited by every process it starts and it does not change it.
DEFAULT_LOW_PRIORITY = True


class RenderError(Exception):
    """The image could not be made: the browser crashed or refused the figure."""


class BrowserUnavailable(RenderError):
    """There is no browser at the configured path, or it will not start."""


class RenderTimeout(RenderError):
    """Starting the browser and drawing took longer than the time allowed."""


def _setting(name, default):
    """A Django setting if the project defines it, else the environment, else the default."""
    return getattr(settings, name, None) or os.environ.get(name) or default


def chromium_path():
    """Read on every render, so that a changed setting takes effect without a restart."""
    return str(_setting("SMEDASH_CHROMIUM", DEFAULT_CHROMIUM))


def render_timeout():
    """Seconds one render may take, waiting for the browser included."""
    return float(_setting("SMEDASH_PNG_TIMEOUT", DEFAULT_TIMEOUT))


def low_priority():
    """Whether the browser draws only with CPU time the app leaves (SMEDASH_PNG_LOW_PRIORITY)."""
    value = getattr(settings, "SMEDASH_PNG_LOW_PRIORITY", None)
    if value is None:
        value = os.environ.get("SMEDASH_PNG_LOW_PRIORITY", DEFAULT_LOW_PRIORITY)
    return str(value).strip().lower() not in ("0", "false", "no", "off", "")


class _FontconfigChromium(Chromium):
    """Chromium that finds Vazirmatn through our fonts.conf, in its own environment only, and by
    default in the idle scheduling class (see DEFAULT_LOW_PRIORITY)."""

    def get_env(self):
        env = super().get_env()
        env["FONTCONFIG_FILE"] = str(FONTS_CONF)
        return env

    def get_cli(self):
        cli = list(super().get_cli())
        chrt = shutil.which("chrt")  # util-linux; it replaces itself with the command: same process
        return [chrt, "--idle", "0", *cli] if chrt and low_priority() else cli


def _kill_process_group(process):
    """Kill the browser with everything it started.

    choreographer starts the browser (via a small wrapper) in a session of its own, so the group
    holds the wrapper, Chromium and Chromium's helpers, and nothing of ours. Killed even when the
    wrapper has exited: a killed Chromium leaves its helper processes behind.
    """
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.wait(timeout=5)


class _Browser:
    """This process's Chromium, driven by kaleido on an event loop in a background thread.

    The lock serialises renders: kaleido has one tab (concurrent renders get each other's
    images), and starting or replacing the browser must not happen twice at once.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None  # the process the loop belongs to: a forked worker starts its own
        self._loop = None
        self._thread = None
        self._kaleido = None
        self._path = None

    def render(self, figure, opts, timeout):
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=timeout):
            raise RenderTimeout("waited too long for the browser")
        try:
            browser = self._ready(deadline)
            try:
                return self._run(browser.calc_fig(figure, opts), deadline)
            except (KaleidoError, JavascriptError) as error:
                raise RenderError(f"plotly.js refused the figure: {error}") from error
            except RenderTimeout:
                self._discard()  # stuck: the next render needs a new browser
                raise
            except Exception as error:
                self._discard()  # crashed or closed: likewise
                raise RenderError(f"the browser failed: {error!r}") from error
        finally:
            self._lock.release()

    def warm(self, timeout):
        """Start the browser if it is not running (a dead one is replaced); True if one was started.

        Does nothing while a render holds the lock: the browser is in use, so it is running."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            before = self._kaleido
            return self._ready(time.monotonic() + timeout) is not before
        finally:
            self._lock.release()

    def process_id(self):
        """The wrapper process of the running browser (its group holds Chromium), or None."""
        process = getattr(self._kaleido, "subprocess", None)
        return process.pid if process is not None and process.poll() is None else None

    def stop(self):
        with self._lock:
            if self._pid == os.getpid():
                self._discard()

    def _ready(self, deadline):
        if self._pid != os.getpid() or not (self._thread and self._thread.is_alive()):
            # First use in this process (or after a fork): the parent's browser is not ours.
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="png-chromium", daemon=True)
            self._thread.start()
            self._pid, self._kaleido = os.getpid(), None
        path = chromium_path()
        if self._kaleido is not None and (self._kaleido.subprocess.poll() is not None or self._path != path):
            self._discard()
        if self._kaleido is None:
            self._start(path, deadline)
        return self._kaleido

    def _start(self, path, deadline):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise BrowserUnavailable(f"no browser at {path}")
        try:
            self._kaleido = kaleido.Kaleido(
                path=path, browser_cls=_FontconfigChromium, plotlyjs=str(PLOTLY_JS), mathjax=False, timeout=None
            )
            self._path = path
            self._run(self._kaleido.open(), deadline)
        except RenderTimeout:
            self._discard()
            raise
        except Exception as error:  # not found, failed to start, closed at once: all "unavailable"
            self._discard()
            raise BrowserUnavailable(f"the browser did not start: {error!r}") from error
        logger.info("png: Chromium started (%s)", path)

    def _run(self, coroutine, deadline):
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=max(deadline - time.monotonic(), 0))
        except TimeoutError:
            future.cancel()
            raise RenderTimeout("the browser took too long") from None

    def _discard(self):
        browser, self._kaleido = self._kaleido, None
        if browser is None:
            return
        # Kill first: closing politely waits seconds for a stuck browser. Then let kaleido and
        # choreographer tidy up their pipes and temporary directory.
        _kill_process_group(getattr(browser, "subprocess", None))
        if hasattr(browser, "subprocess"):
            future = asyncio.run_coroutine_threadsafe(browser.close(), self._loop)
            try:
                future.result(timeout=5)
            except Exception as error:  # tidying up a dead browser: nothing more to do
                future.cancel()
                logger.warning("png: closing the old browser failed: %r", error)


_browser = _Browser()
atexit.register(_browser.stop)

# Requests are admitted by ``indicators.image_views`` (a drawing slot shared by every process,
# and one render at a time in this one), which turns them away at once rather than let them wait
# here. Direct callers (commands, benchmarks) need none: the lock above queues them.


def render(figure_dict, opts, timeout=None):
    """PNG bytes of a figure (a dict) drawn with kaleido's ``opts``, within ``timeout`` seconds.

    Raises BrowserUnavailable, RenderTimeout or RenderError; every one leaves the next call free
    to succeed (a dead or stuck browser is replaced then).
    """
    return _browser.render(figure_dict, opts, render_timeout() if timeout is None else timeout)


def process_id():
    """The running browser's wrapper process (its process group holds Chromium), or None."""
    return _browser.process_id()


def stop_browser():
    """Close this process's Chromium (it starts again on the next render)."""
    _browser.stop()


WARM_CHECK_SECONDS = 10.0


def keep_warm(interval=WARM_CHECK_SECONDS):
    """Start this process's browser now, in a background thread, and start it again whenever it dies.

    Called by gunicorn's post_worker_init (gunicorn.conf.py): the worker serves pages at once while
    Chromium starts (in the idle scheduling class, behind them), and the first PNG finds it warm
    instead of paying its 3-5 s start. Checking whether it still runs costs a ``poll()`` every
    ``interval`` seconds. Logs "png: browser warm" each time a browser has been started.
    """

    def loop():
        failed = False
        while True:
            try:
                if _browser.warm(render_timeout()):
                    logger.info("png: browser warm (pid %s)", os.getpid())
                failed = False
            except RenderError as error:  # no browser, or it will not start: said once, tried again later
                if not failed:
                    logger.warning("png: could not warm the browser: %s", error)
                failed = True
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="png-warm", daemon=True)
    thread.start()
    return thread
