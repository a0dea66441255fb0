"""Time to the first drawn bar, against a hand-written static Plotly page drawing the same figure.

    .venv/bin/python bench/first_bar.py                  # 7 rounds, Lighthouse, the first PNG (~15 min)
    .venv/bin/python bench/first_bar.py --rounds 9 --no-lighthouse
    .venv/bin/python bench/first_bar.py --only compare --langs fa
    .venv/bin/python bench/first_bar.py --only area --langs ar --rounds 3 --lighthouse-reports /tmp/lh

What it does, on loopback only:

1. builds a database of the seed in a temporary SQLite directory and starts the site as in
   production (DEBUG=0, hashed and compressed static files from `make static`, WhiteNoise,
   gunicorn with gunicorn.conf.py and its number of workers) on APP_PORT, with the task worker
   (`manage.py db_worker`) beside it, and asks for each page until it carries its chart drawn by
   the worker (indicators.chart_static), as a page does once the site has served it;
2. the first PNG: asked for as soon as the server answers /healthz (the worst case: the browser
   still starting), and again on a fresh server once every worker has logged that its browser is
   warm ("png: browser warm", gunicorn.conf.py's post_worker_init);
3. for each page (a comparison, an area profile and, where it exists, a trend page) and language,
   takes the page's own figure from its HTML (#chart-data: the wide layout, which a 1280 px
   window draws) and writes a static reference page: that figure, its locale, and the stock
   `plotly.js-basic-dist-min` bundle from node_modules, gzip-compressed, served by a second
   gunicorn with WhiteNoise on REF_PORT;
4. loads page and reference alternately, each in a fresh browser context (empty cache), and
   records the time from navigation to the first bar (or line) in the DOM and rendered (the
   page's drawings for other widths are in the DOM but hidden) and the frame after it
   (performance.now(), whose origin is the navigation), and the bytes transferred (encoded, as
   Chromium counts them, headers included);
5. Lighthouse 12 (mobile: simulated slow 4G, 4x CPU slowdown) on each page and language; with
   --lighthouse-reports DIR, each whole report is kept there (<page>-<lang>.json: its LCP
   element, long tasks, render-blocking requests).

Targets (the process exits 1 when one is missed): the median time to the first bar at most 1.0x
the reference's, per page and language; at most 450 KB transferred for a chart page; Lighthouse
performance at least 90; the first PNG, asked for once the workers report their browser warm,
within 1 s.
"""

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CHROMIUM = os.environ.get("SMEDASH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
STOCK_BUNDLE = ROOT / "node_modules" / "plotly.js-basic-dist-min" / "plotly-basic.min.js"
APP_PORT, REF_PORT = 8116, 8117
PAGES = {
    "compare": "/{lang}/compare/firm_share/",
    "area": "/{lang}/areas/IRN/",
    "trend": "/{lang}/trends/firm_share/?areas=IRN&areas=JPN&areas=KOR",
}
LANGS = ("en", "ar", "fa")
TARGET_RATIO, TARGET_BYTES, TARGET_LIGHTHOUSE, TARGET_PNG_S = 1.0, 450_000, 90, 1.0
VIEWPORT = {"width": 1280, "height": 900}
PENDING_PAGE_SECONDS = 30  # indicators.chart_static: how long a page waiting for its drawing is kept

# Installed before any page script: notes when the first bar (or line) is in the DOM and rendered
# (laid out: the page's SVGs drawn by the server for other widths are in the DOM but not shown), and
# the frame after it (when it is on screen).
FIRST_BAR = """(() => {
  const SELECTOR = "#chart .barlayer .point path, #chart .scatterlayer .js-line";
  const found = () => Array.from(document.querySelectorAll(SELECTOR)).some((e) => e.getClientRects().length > 0);
  new MutationObserver((records, observer) => {
    if (window.__firstBar || !found()) return;
    window.__firstBar = performance.now();
    requestAnimationFrame(() => { window.__firstBarFrame = performance.now(); });
    observer.disconnect();
  }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["class"] });
})();"""

REFERENCE = """<!DOCTYPE html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>reference</title>
<script src="plotly-basic.min.js"></script></head>
<body><div id="chart"></div>
<script>
var locale = {locale};
if (locale && locale.name !== "en")
  Plotly.register({{moduleType: "locale", name: locale.name, dictionary: locale.dictionary, format: {{}}}});
var figure = {figure};
figure.layout.autosize = true;
Plotly.newPlot("chart", figure.data, figure.layout, figure.config);
</script></body></html>
"""


def static_app():
    """The reference pages' server (gunicorn first_bar:static_app): WhiteNoise over REF_DIR."""
    from whitenoise import WhiteNoise

    def not_found(environ, start_response):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return WhiteNoise(not_found, root=os.environ["REF_DIR"], index_file=True, max_age=0)


class Gunicorn:
    def __init__(self, args, env, port, log=None):
        self.args, self.env, self.port, self.log = args, env, port, log

    def __enter__(self):
        if _answers(f"http://127.0.0.1:{self.port}/"):
            raise SystemExit(f"something already answers on port {self.port}")
        out = open(self.log, "w") if self.log else subprocess.DEVNULL  # noqa: SIM115 (closed in __exit__)
        self.process = subprocess.Popen(
            [GUNICORN, "-b", f"127.0.0.1:{self.port}", *self.args], cwd=ROOT, env=self.env, stdout=out, stderr=out
        )
        self.ready_at = None
        for _ in range(300):
            if _answers(f"http://127.0.0.1:{self.port}/healthz") or _answers(f"http://127.0.0.1:{self.port}/ping"):
                self.ready_at = time.monotonic()
                return self
            time.sleep(0.05)
        raise SystemExit(f"gunicorn on {self.port} did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback, http only)
            return response.status < 500
    except Exception:  # not up yet, or a 404 from the reference server (it is up then)
        return "HTTP Error 404" in str(sys.exc_info()[1])


def fetch(url, **headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback, http only)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.read()


def workers():
    """gunicorn.conf.py's number of workers (GUNICORN_WORKERS, else its default)."""
    return int(os.environ.get("GUNICORN_WORKERS", min(4, os.cpu_count() * 2)))


def app_env(var_dir):
    return {
        **os.environ,
        "DEBUG": "0",
        "SMEDASH_DEV_SECRET": "1",  # the development key: a benchmark, not a deployment
        "SMEDASH_VAR_DIR": str(var_dir),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RATELIMIT_UNCACHED": "10000/m",
        "RATELIMIT_EXPENSIVE": "10000/m",
        "DJANGO_SETTINGS_MODULE": "smedash.settings",
    }


def app_server(env, log=None):
    return Gunicorn(["-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "smedash.wsgi"], env, APP_PORT, log)


class TaskWorker:
    """``manage.py db_worker``, as `make serve-prod` runs it beside gunicorn: it draws the charts the
    pages carry (indicators.chart_static)."""

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "db_worker", "--no-reload"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def wait_for_drawings(urls, seconds=120):
    """Ask for every page until each comes with its chart drawn by the worker, as it does once a
    site has served it (a page still waiting for its drawing is kept for 30 s only). Those that
    never do are returned."""
    waiting = set(urls)
    start = time.monotonic()
    while waiting and time.monotonic() < start + seconds:
        for url in sorted(waiting):
            if b'class="chart-static"' in fetch(url)[1]:
                waiting.discard(url)
        if waiting:
            time.sleep(1)
    # Each gunicorn worker may still hold a copy without the drawing, kept until it expires.
    time.sleep(max(0, start + PENDING_PAGE_SECONDS + 1 - time.monotonic()))
    return waiting


def first_png(env, log_dir):
    """Seconds for the first PNG: asked at once when /healthz answers, then once the browsers are warm."""
    png = f"http://127.0.0.1:{APP_PORT}/en/compare/firm_share/chart.png"
    with app_server(env) as server:
        start = time.monotonic()
        status, _ = fetch(png)
        at_once = (time.monotonic() - start, status, start - server.ready_at)
    log = Path(log_dir) / "gunicorn-png.log"
    with app_server(env, log):
        deadline = time.monotonic() + 60
        while log.read_text().count("png: browser warm") < workers() and time.monotonic() < deadline:
            time.sleep(0.1)
        warm_logged = log.read_text().count("png: browser warm")
        start = time.monotonic()
        status2, _ = fetch(png + "?areas=IRN")
        warm = (time.monotonic() - start, status2, warm_logged)
    return at_once, warm


def write_reference(html, lang, ref_dir, name):
    """The static reference page for one page and language, from the page's own figure."""
    figure = json.loads(_script(html, "chart-data"))
    locale = _script(html, "plotly-locale") or "null"
    wide = {key: figure[key] for key in ("data", "layout", "config")}
    target = ref_dir / name / lang
    target.mkdir(parents=True, exist_ok=True)
    page = REFERENCE.format(lang=lang, dir="ltr" if lang == "en" else "rtl", locale=locale, figure=json.dumps(wide))
    for file_name, content in (("index.html", page.encode()), ("plotly-basic.min.js", STOCK_BUNDLE.read_bytes())):
        (target / file_name).write_bytes(content)
        (target / (file_name + ".gz")).write_bytes(gzip.compress(content, 9, mtime=0))
    return f"http://127.0.0.1:{REF_PORT}/{name}/{lang}/"


def _script(html, element_id):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    return match.group(1) if match else None


def load_once(browser, url):
    """(ms to the first bar in the DOM, ms to the frame after it, bytes transferred) in a fresh context."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.add_init_script(FIRST_BAR)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        sizes = {}
        cdp.on(
            "Network.loadingFinished", lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"])
        )
        page.goto(url, wait_until="commit")
        # Polled from outside: wait_for_function evaluates a string in the page, which the site's
        # Content-Security-Policy (no unsafe-eval) refuses.
        deadline = time.monotonic() + 30
        while not page.evaluate("window.__firstBarFrame") and time.monotonic() < deadline:
            time.sleep(0.02)
        page.wait_for_load_state("networkidle")
        bar, frame = page.evaluate("[window.__firstBar, window.__firstBarFrame]")
        return bar, frame, sum(sizes.values())
    finally:
        context.close()


def measure(browser, pairs, rounds):
    """Alternating rounds over every (page, reference) pair; medians per pair."""
    samples = {key: {"page": [], "ref": []} for key in pairs}
    for round_number in range(rounds):
        for key, (page_url, ref_url) in pairs.items():
            order = (("page", page_url), ("ref", ref_url))
            for side, url in order if round_number % 2 == 0 else reversed(order):
                samples[key][side].append(load_once(browser, url))
    results = {}
    for key, sides in samples.items():
        results[key] = {
            side: {
                "bar_ms": statistics.median(s[0] for s in values),
                "frame_ms": statistics.median(s[1] for s in values),
                "bytes": statistics.median(s[2] for s in values),
            }
            for side, values in sides.items()
        }
    return results


def lighthouse(url, out_dir, keep=None):
    """Lighthouse 12's mobile performance score and its LCP (ms) and TBT (ms); the whole report
    is also copied to `keep` when given (its LCP element, long tasks, render-blocking requests)."""
    report = Path(out_dir) / "lighthouse.json"
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = [
        "npx", "--yes", "lighthouse@12", url, "--quiet", "--only-categories=performance", "--output=json",
        f"--output-path={report}", '--chrome-flags=--headless=new --no-sandbox',
    ]  # fmt: skip
    subprocess.run(command, env=env, check=True, timeout=300, capture_output=True)
    if keep:
        Path(keep).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report, keep)
    data = json.loads(report.read_text())
    audits = data["audits"]
    score = round(data["categories"]["performance"]["score"] * 100)
    return score, audits["largest-contentful-paint"]["numericValue"], audits["total-blocking-time"]["numericValue"]


def lighthouse_twice(url, out_dir, keep=None):
    """``lighthouse``, run again once when it fails: Lighthouse's own Chromium launch now and then
    exits with an error on a busy machine, which says nothing about the page."""
    try:
        return lighthouse(url, out_dir, keep)
    except subprocess.CalledProcessError:
        return lighthouse(url, out_dir, keep)


def prepare_database(env):
    for command in (["migrate", "--no-input", "-v0"], ["load_seed"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--langs", nargs="+", default=list(LANGS))
    parser.add_argument("--only", nargs="+", choices=list(PAGES), default=list(PAGES))
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--no-png", action="store_true")
    parser.add_argument("--lighthouse-reports", metavar="DIR", help="keep each Lighthouse report there (JSON)")
    args = parser.parse_args()
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        raise SystemExit("no staticfiles/staticfiles.json: run `make static` first")
    missed = []
    with tempfile.TemporaryDirectory(prefix="smedash-first-bar-") as tmp:
        tmp = Path(tmp)
        env = app_env(tmp / "var")
        prepare_database(env)
        if not args.no_png:
            (seconds, status, after_ready), (warm_seconds, warm_status, logged) = first_png(env, tmp)
            print(f"first PNG, asked {after_ready:.2f} s after /healthz answered: {seconds:.2f} s (HTTP {status})")
            warm = f"{warm_seconds:.2f} s (HTTP {warm_status})"
            print(f"first PNG, asked once {logged} workers logged their browser warm: {warm}")
            if warm_status != 200 or warm_seconds > TARGET_PNG_S:
                missed.append(f"first PNG {warm_seconds:.2f} s > {TARGET_PNG_S} s")
        ref_dir = tmp / "ref"
        ref_env = {**env, "REF_DIR": str(ref_dir)}
        with app_server(env), TaskWorker(env):
            pairs = {}
            for name in args.only:
                for lang in args.langs:
                    url = f"http://127.0.0.1:{APP_PORT}" + PAGES[name].format(lang=lang)
                    try:
                        status, body = fetch(url)
                    except urllib.error.HTTPError as error:
                        status, body = error.code, b""
                    if status != 200 or b'id="chart-data"' not in body:
                        print(f"skipped: {name} ({lang}): {url} answers {status} with no chart (not built yet?)")
                        continue
                    pairs[(name, lang)] = (url, write_reference(body.decode(), lang, ref_dir, name))
            for url in sorted(wait_for_drawings([page_url for page_url, _ref in pairs.values()])):
                print(f"no drawing: {url} still comes without its chart drawn by the worker")
                missed.append(f"{url}: not drawn by the worker")
            for page_url, _ref in pairs.values():
                for _ in range(4):  # every worker's cache holds the page: the cached page is what is measured
                    fetch(page_url)
            ref_args = [
                "--chdir",
                str(ROOT / "bench"),
                "-w",
                "2",
                "--access-logfile",
                "/dev/null",
                "first_bar:static_app()",
            ]
            with Gunicorn(ref_args, ref_env, REF_PORT):
                from playwright.sync_api import sync_playwright

                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    for page_url, ref_url in pairs.values():  # warm-up: both servers, the disk cache
                        load_once(browser, page_url), load_once(browser, ref_url)
                    results = measure(browser, pairs, args.rounds)
                    browser.close()
            print(f"\nmedians of {args.rounds} alternating rounds, fresh context each, {VIEWPORT['width']} px window")
            print("| page | lang | first bar (ms) | reference (ms) | ratio | frame after (ms) | KB | reference KB |")
            print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
            for (name, lang), result in results.items():
                page, ref = result["page"], result["ref"]
                ratio = page["bar_ms"] / ref["bar_ms"]
                frames = f"{page['frame_ms']:.0f} / {ref['frame_ms']:.0f}"
                print(
                    f"| {name} | {lang} | {page['bar_ms']:.0f} | {ref['bar_ms']:.0f} | {ratio:.2f} | {frames} | "
                    f"{page['bytes'] / 1000:.0f} | {ref['bytes'] / 1000:.0f} |"
                )
                if ratio > TARGET_RATIO:
                    missed.append(f"{name} ({lang}): {ratio:.2f}x the static page")
                if page["bytes"] > TARGET_BYTES:
                    missed.append(f"{name} ({lang}): {page['bytes'] / 1000:.0f} KB transferred")
            if not args.no_lighthouse:
                print("\nLighthouse 12, mobile, performance")
                print("| page | lang | score | LCP (ms) | TBT (ms) |\n| --- | --- | ---: | ---: | ---: |")
                for (name, lang), (page_url, _) in pairs.items():
                    keep = args.lighthouse_reports and Path(args.lighthouse_reports) / f"{name}-{lang}.json"
                    try:
                        score, lcp, tbt = lighthouse_twice(page_url, tmp, keep)
                    except subprocess.CalledProcessError as error:
                        reason = (error.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or ["?"]
                        print(f"| {name} | {lang} | failed | | | ({reason[0][:120]})")
                        missed.append(f"{name} ({lang}): Lighthouse failed twice")
                        continue
                    print(f"| {name} | {lang} | {score} | {lcp:.0f} | {tbt:.0f} |")
                    if score < TARGET_LIGHTHOUSE:
                        missed.append(f"{name} ({lang}): Lighthouse {score}")
        shutil.rmtree(ref_dir, ignore_errors=True)
    print("\n" + ("targets missed:\n  " + "\n  ".join(missed) if missed else "every target met"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
