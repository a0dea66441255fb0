"""Every chart page (comparison, area profile, trend) offers the same things under its chart:
the downloads menu (PNG, SVG, PDF, CSV, JSON), the Cite box's RIS file, the embed view. Each link
the page shows must answer, in the three languages (the browser is a stub: drawing is tested in
tests/test_vector_images.py and tests/test_png.py)."""

import re
from html import unescape
from unittest import mock

import pytest

from indicators import png

PAGES = ["/compare/firm_share/?areas=IRN,JPN", "/areas/KOR/", "/trends/sme_count/?areas=IRN"]
IMAGES = {"png": b"\x89PNG\r\n\x1a\nstub", "svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>', "pdf": b"%PDF-1.4 stub"}
TYPES = {
    "chart.png": "image/png",
    "chart.svg": "image/svg+xml",
    "chart.pdf": "application/pdf",
    "data.csv": "text/csv",
    "data.json": "application/json",
    "cite.ris": "application/x-research-info-systems",
    "embed/": "text/html",
}


@pytest.fixture(autouse=True)
def stub_browser():
    with mock.patch.object(png, "_render", side_effect=lambda figure, opts, timeout: IMAGES[opts["format"]]):
        yield


def links_under_the_chart(html):
    actions = html.split('<div class="chart-actions"', 1)[1]
    # Links, and the embed code's frame (an absolute address inside the code to copy).
    found = re.findall(r'href="(/[a-z]{2}/[^"#]+)"|src=&quot;http://testserver(/[a-z]{2}/[^&#]+)', actions)
    return {unescape(link or frame) for link, frame in found}


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
@pytest.mark.parametrize("page", PAGES)
def test_every_link_under_a_chart_answers(client, seeded, lang, page):
    html = client.get(f"/{lang}{page}").content.decode()
    links = links_under_the_chart(html)
    offered = {name for name in TYPES for link in links if name in link.split("?", 1)[0]}
    assert offered == set(TYPES), f"{page}: missing {set(TYPES) - offered}"
    for link in links:
        name = next((n for n in TYPES if n in link.split("?", 1)[0]), None)
        if name is None:
            continue  # a page link (a source, the full page)
        response = client.get(link)
        assert response.status_code == 200, (link, response.status_code)
        assert response["Content-Type"].startswith(TYPES[name]), (link, response["Content-Type"])


@pytest.mark.parametrize("page", ["/compare/firm_share/?areas=IRN,JPN", "/trends/sme_count/?areas=IRN"])
def test_an_indicators_page_offers_its_areas_by_years_tables(client, seeded, page):
    html = client.get(f"/fa{page}").content.decode()
    menu = html.split('id="downloads-menu"', 1)[1].split("</details>", 1)[0]
    tables = [unescape(link) for link in re.findall(r'href="(/api/v1/downloads/pivot\.[a-z]+\?[^"]+)"', menu)]
    assert [link.split("?")[0].rsplit(".", 1)[1] for link in tables] == ["csv", "xlsx", "ods"]
    for link in tables:
        assert "lang=fa" in link
        assert client.get(link).status_code == 200, link


def test_an_area_profile_offers_no_indicator_table(client, seeded):
    assert "/api/v1/downloads/pivot." not in client.get("/en/areas/IRN/").content.decode()
