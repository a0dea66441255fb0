"""Time server-side PNG renders (indicators/png.py, indicators/browser.py) of a bar chart with Persian text.

    .venv/bin/python bench/png_bench.py                      # 20 cold and 20 warm renders
    .venv/bin/python bench/png_bench.py --cold 5 --warm 50
    .venv/bin/python bench/png_bench.py --samples /tmp/png-samples   # also write en/ar/fa PNGs

Cold: Chromium is stopped before each render, so the time includes starting it (what the
first PNG request of a worker pays). Warm: the same browser draws again (every later request).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smedash.settings")

import django  # noqa: E402

django.setup()

import plotly.graph_objects as go  # noqa: E402
from django.utils import translation  # noqa: E402

from indicators import browser, png  # noqa: E402
from indicators.text import escape_plotly, is_rtl, isolate  # noqa: E402

LABELS = {
    "en": {
        "title": "SMEs' share of enterprises (%)",
        "axis": "per cent",
        "areas": ["Iran", "Japan", "South Korea", "EU-25 <groups>", "Syria"],
        "digits": "0123456789",
        "percent": "%",
        "decimal": ".",
        "source": ["Thesis on SMEs in Iran (1392)", "R&D report <2016>"],
    },
    "fa": {
        "title": "سهم بنگاه‌های کوچک و متوسط از تعداد بنگاه‌ها (٪)",
        "axis": "درصد",
        "areas": ["ایران", "ژاپن", "کره جنوبی", "اتحادیهٔ اروپا (۲۵ کشور)", "سوریه"],
        "digits": "۰۱۲۳۴۵۶۷۸۹",
        "percent": "٪",
        "decimal": "٫",
        "source": ["پایان‌نامه دربارهٔ بنگاه‌های کوچک ایران (۱۳۹۲)", "گزارش R&D <2016>"],
    },
    "ar": {
        "title": "حصة المنشآت الصغيرة والمتوسطة من عدد المنشآت (٪)",
        "axis": "نسبة مئوية",
        "areas": ["إيران", "اليابان", "كوريا الجنوبية", "الاتحاد الأوروبي (٢٥ بلداً)", "سوريا"],
        "digits": "٠١٢٣٤٥٦٧٨٩",
        "percent": "٪",
        "decimal": "٫",
        "source": ["رسالة جامعية عن المنشآت الصغيرة في إيران (١٣٩٢)", "تقرير R&D <2016>"],
    },
}
VALUES = [99.4, 99.7, 57.5, 99.8, 98.0]


def local(number, lang):
    text = f"{number:g}"
    table = str.maketrans("0123456789.", LABELS[lang]["digits"] + LABELS[lang]["decimal"])
    return text.translate(table)


def bar_figure(lang):
    """A bar chart laid out as the pages lay it out (in the active language ``lang``): right to left
    in Arabic and Persian."""
    words = LABELS[lang]
    rtl = is_rtl()

    def text(value):
        return isolate(escape_plotly(value))

    ticks = [0, 20, 40, 60, 80, 100]
    fig = go.Figure(
        go.Bar(
            x=[text(a) for a in words["areas"]],
            y=VALUES,
            text=[text(local(v, lang) + words["percent"]) for v in VALUES],
            textposition="outside",
            textangle=0,
            marker_color="#1d5c8f",
        )
    )
    fig.update_layout(
        template="none",
        title={"text": text(words["title"]), "x": 0.98 if rtl else 0.02, "xanchor": "right" if rtl else "left"},
        xaxis={"autorange": "reversed" if rtl else True},
        yaxis={
            "side": "right" if rtl else "left",
            "tickmode": "array",
            "tickvals": ticks,
            "ticktext": [text(local(t, lang)) for t in ticks],
            "range": [0, 118],
            "title": {"text": text(words["axis"])},
        },
        margin={"t": 80, "b": 60, "l": 70, "r": 70},
    )
    return fig


def decorated(lang):
    with translation.override(lang):
        return png.decorate_for_export(
            bar_figure(lang),
            last_changed=date(2026, 11, 22),
            url=f"https://smedash.example.org/{lang}/compare/firm_share/?areas=IRN,JPN&year=2013",
        )


def summary(name, times):
    times = sorted(times)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]
    print(
        f"{name}: n={len(times)} median={statistics.median(times):.3f}s p95={p95:.3f}s "
        f"min={times[0]:.3f}s max={times[-1]:.3f}s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=20, help="renders, each with a freshly started Chromium")
    parser.add_argument("--warm", type=int, default=20, help="renders with the running Chromium")
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=600)
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--samples", type=Path, help="write en/ar/fa sample PNGs (scale 2) to this directory")
    args = parser.parse_args()
    figure = decorated("fa")
    size = {"width": args.width, "height": args.height, "scale": args.scale}
    print(f"Chromium: {browser.chromium_path()}  size: {args.width}x{args.height} @{args.scale}")

    cold = []
    for _ in range(args.cold):
        browser.stop_browser()
        start = time.perf_counter()
        png.render_png(figure, **size)
        cold.append(time.perf_counter() - start)
    if cold:
        summary("cold", cold)

    png.render_png(figure, **size)  # make sure the browser is up before timing warm renders
    warm = []
    for _ in range(args.warm):
        start = time.perf_counter()
        png.render_png(figure, **size)
        warm.append(time.perf_counter() - start)
    if warm:
        summary("warm", warm)

    if args.samples:
        args.samples.mkdir(parents=True, exist_ok=True)
        for lang in LABELS:
            path = args.samples / f"bar-{lang}.png"
            path.write_bytes(png.render_png(decorated(lang), width=1000, height=600, scale=2))
            print(f"wrote {path}")
    browser.stop_browser()


if __name__ == "__main__":
    main()
