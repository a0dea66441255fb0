"""The chart as SVG and PDF (chart.svg, chart.pdf beside chart.png): the same figure and caption,
presets, drawing slots, rate limit and cache as the PNG; an SVG that runs nothing, fetches
nothing and carries its font; a PDF with its fonts embedded.

Tests that draw need Chromium (the ``chromium`` fixture: skipped without it, a failure under CI).
"""

import re
from unittest import mock
from urllib.parse import unquote

import pytest
from defusedxml import ElementTree as SafeET
from django.core.cache import cache

from indicators import browser, image_views, png, svg_export

SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
COMPARE = "/{lang}/compare/firm_share/chart.{fmt}?areas=IRN,JPN"
TINY_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
    b'<text x="1" y="5" style="font-family: Vazirmatn;">\xd8\xa7\xdb\x8c\xd8\xb1\xd8\xa7\xd9\x86</text></svg>'
)


@pytest.fixture(autouse=True, scope="module")
def stop_the_browser_afterwards():
    yield
    browser.stop_browser()


@pytest.fixture(autouse=True)
def empty_cache(settings):
    settings.SMEDASH_PNG_CONCURRENCY = 1
    cache.clear()
    yield
    cache.clear()


def unsafe_parts(svg_bytes):
    """Whatever in an SVG could run code or reach another document, as readable strings."""
    root = SafeET.fromstring(svg_bytes)
    found = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else str(element.tag)
        if tag in {"script", "foreignObject", "iframe", "object", "embed", "image"}:
            found.append(f"<{tag}>")
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                found.append(f"{tag} {name}")
            if local == "href" and not value.startswith("#"):
                found.append(f"{tag} href={value}")
            for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", value):
                if not target.startswith("#"):
                    found.append(f"{tag} {name} url({target})")
    style_text = "".join(e.text or "" for e in root.iter(f"{SVG_NS}style"))
    for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", style_text):
        if not target.startswith("data:"):
            found.append(f"style url({target[:40]})")
    return found


# The SVG, made safe and self-contained (svg_export), without a browser ---------------------------------


def test_svg_export_takes_out_what_could_run_or_fetch():
    hostile = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
        b'<script>alert(2)</script><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'
        b'<a xlink:href="https://evil.example/"><text onclick="alert(3)">Iran</text></a>'
        b'<a href="javascript:alert(4)"><text>Japan</text></a>'
        b'<image href="https://evil.example/pixel.png"/>'
        b'<rect style="fill: url(https://evil.example/x)" clip-path="url(#clip1)"/>'
        b'<g clip-path="url(#clip1)"><text>kept</text></g></svg>'
    )
    cleaned = svg_export.self_contained(hostile)
    assert unsafe_parts(cleaned) == []
    root = SafeET.fromstring(cleaned)
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert texts == ["Iran", "Japan", "kept"]  # what was drawn stays, links and handlers go
    assert [g.get("clip-path") for g in root.iter(f"{SVG_NS}g")] == ["url(#clip1)"]  # local references stay
    assert b"evil.example" not in cleaned and b"alert" not in cleaned


def test_svg_export_embeds_the_font_as_data():
    cleaned = svg_export.self_contained(TINY_SVG)
    assert cleaned.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = SafeET.fromstring(cleaned)
    style = root.find(f"{SVG_NS}style")
    assert style is not None and list(root).index(style) == 0
    faces = re.findall(r"@font-face\{([^}]*)\}", style.text)
    assert len(faces) == 2
    assert {re.search(r"font-weight:(\d+)", face).group(1) for face in faces} == {"400", "700"}
    assert all('font-family:"Vazirmatn"' in face and "url(data:font/woff2;base64," in face for face in faces)
    assert "ایران" in "".join(root.itertext())  # the Persian text itself, untouched


@pytest.mark.parametrize(
    "bad",
    [
        b"\x89PNG\r\n\x1a\nnot an svg",
        b"<html><body>no</body></html>",
        b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
    ],
)
def test_svg_export_refuses_what_is_not_a_plain_svg(bad):
    with pytest.raises(browser.RenderError):
        svg_export.self_contained(bad)


# Over HTTP, with a stub for the browser -------------------------------------------------------------------


@pytest.fixture
def stub(monkeypatch):
    """The browser, replaced: the bytes of each format, and each call's options."""
    calls = []

    def render(figure, opts, timeout):
        calls.append(opts)
        return {"png": b"\x89PNG\r\n\x1a\nstub", "svg": TINY_SVG, "pdf": b"%PDF-1.4 stub"}[opts["format"]]

    monkeypatch.setattr(png, "_render", render)
    return calls


@pytest.mark.parametrize(("fmt", "media_type"), [("svg", "image/svg+xml"), ("pdf", "application/pdf")])
def test_each_format_is_cached_on_its_own_until_the_data_changes(client, seeded, stub, fmt, media_type):
    address = COMPARE.format(lang="fa", fmt=fmt)
    first = client.get(address)
    assert first.status_code == 200 and first["Content-Type"] == media_type
    assert client.get(address).content == first.content
    assert [call["format"] for call in stub] == [fmt]  # the second answer came from the cache
    assert client.get(COMPARE.format(lang="fa", fmt="png")).status_code == 200
    assert [call["format"] for call in stub] == [fmt, "png"]  # the PNG is not the SVG's cache entry
    client.get(COMPARE.format(lang="en", fmt=fmt))
    assert len(stub) == 3  # nor is another language's


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_the_presets_and_their_errors_are_the_pngs(client, seeded, stub, fmt):
    assert client.get(COMPARE.format(lang="en", fmt=fmt) + "&size=small").status_code == 200
    assert stub[-1]["width"] == image_views.PRESETS["small"].width
    response = client.get(COMPARE.format(lang="fa", fmt=fmt) + "&size=huge")
    assert response.status_code == 400
    assert "size" in response.content.decode() and "small" in response.content.decode()
    assert client.get(COMPARE.format(lang="en", fmt=fmt) + "&width=4000").status_code == 400


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_no_free_drawing_slot_is_a_429_at_once(client, seeded, stub, fmt):
    other = image_views.take_slot(token="other-host:1:abc")
    try:
        response = client.get(COMPARE.format(lang="ar", fmt=fmt))
    finally:
        image_views.release_slot(other)
    assert response.status_code == 429 and response["Retry-After"] == image_views.RETRY_AFTER
    assert stub == []


def test_svg_and_pdf_renders_count_against_the_pngs_rate_limit(client, seeded, stub, settings):
    settings.RATELIMIT_EXPENSIVE = "2/m"
    assert client.get(COMPARE.format(lang="en", fmt="svg")).status_code == 200
    assert client.get(COMPARE.format(lang="en", fmt="pdf")).status_code == 200
    assert client.get(COMPARE.format(lang="en", fmt="svg")).status_code == 200  # cached: not counted
    assert client.get(COMPARE.format(lang="en", fmt="png")).status_code == 429


def test_a_bad_query_is_a_400_not_a_drawing(client, seeded, stub):
    response = client.get("/fa/compare/firm_share/chart.svg?areas=XXX")
    assert response.status_code == 400 and response.content.decode().strip()
    assert client.get("/en/areas/NOPE/chart.pdf").status_code == 404
    assert stub == []


# Drawn by Chromium -------------------------------------------------------------------------------------------


def test_the_svg_is_the_charts_self_contained_and_safe(client, seeded, chromium):
    response = client.get(COMPARE.format(lang="fa", fmt="svg"))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/svg+xml"
    # Opened from the site, it is a document of its own: no script may run in it.
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    disposition = response["Content-Disposition"]
    assert disposition.startswith('inline; filename="smedash-firm_share-IRN-JPN.svg"')
    assert unquote(disposition.split("filename*=utf-8''")[1]).endswith("ایران-ژاپن.svg")
    content = response.content
    assert unsafe_parts(content) == []
    root = SafeET.fromstring(content)
    text = "".join(root.itertext())
    # The figure and the PNG's caption: names, Persian digits, the page's address.
    for expected in ("ایران", "ژاپن", "۹۹٫۶۴٪", "/fa/compare/firm_share/?areas=IRN,JPN"):
        assert expected in text
    assert 'font-family:"Vazirmatn"' in root.find(f"{SVG_NS}style").text
    assert root.get("width") == str(image_views.PRESETS["medium"].width)


def test_the_pdf_embeds_its_fonts(client, seeded, chromium):
    response = client.get(COMPARE.format(lang="ar", fmt="pdf") + "&size=small")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('inline; filename="smedash-firm_share-IRN-JPN.pdf"')
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    descriptors = len(re.findall(rb"/Type\s*/FontDescriptor", pdf))
    embedded = len(re.findall(rb"/FontFile[23]?\s+\d+ 0 R", pdf))
    assert descriptors >= 1 and embedded == descriptors, (descriptors, embedded)


def test_the_area_svg_and_pdf_in_english(client, seeded, chromium):
    for fmt in ("svg", "pdf"):
        response = client.get(f"/en/areas/IRN/chart.{fmt}")
        assert response.status_code == 200, (fmt, response.content[:200])
        assert response["Content-Disposition"] == f'inline; filename="Iran-SME-shares.{fmt}"'
    with mock.patch.object(png, "_render") as render:  # both were kept: no drawing now
        assert client.get("/en/areas/IRN/chart.svg").status_code == 200
        assert render.call_count == 0
