"""The chart's "Download" menu and the "Cite" boxes, used as a reader uses them: with the keyboard,
on a 360 px phone, right to left; the copy buttons put the citation on the clipboard; the SVG opened
on its own shows its Persian text in the font it carries; axe-core finds nothing serious.

Screenshots go to artifacts/screenshots/share-*.png."""

import re
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.bparser import BibTexParser

from indicators import browser

from .conftest import screenshot
from .helpers import DIRECTION, assert_no_problems, describe_violations, run_axe, url, wait_for_chart

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
COMPARE = "/compare/firm_share/?areas=IRN,JPN"
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
SIGNATURES = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}


@pytest.fixture(autouse=True, scope="module")
def stop_the_png_browser_afterwards():
    yield
    browser.stop_browser()


def no_sideways_scroll(page):
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px screen"


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_download_menu_opens_and_is_walked_with_the_keyboard(open_page, lang):
    page = open_page(**PHONE)
    page.goto(url(page, lang, COMPARE))
    wait_for_chart(page)
    menu = page.locator("#downloads-menu")
    assert not menu.evaluate("(d) => d.open")
    assert not page.locator("#download-svg").is_visible()  # closed: its links are out of the way
    summary = menu.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert menu.evaluate("(d) => d.open")
    ids = []
    for _ in range(5):
        page.keyboard.press("Tab")
        ids.append(page.evaluate("() => document.activeElement.id"))
    assert ids == ["download-png", "download-svg", "download-pdf", "download-csv", "download-json"]
    focused = page.locator("#download-json")
    assert focused.evaluate("(a) => getComputedStyle(a).outlineStyle !== 'none' || a.matches(':focus-visible')")
    # The links are in the view, none cut off by the screen's edge, in either direction.
    for link_id in ids:
        box = page.locator(f"#{link_id}").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (link_id, box)
        assert box["height"] >= 24, (link_id, box)
    no_sideways_scroll(page)
    assert page.evaluate("() => getComputedStyle(document.documentElement).direction") == DIRECTION[lang]
    screenshot(page, f"share-downloads-menu-{lang}-360")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Space")
    assert not menu.evaluate("(d) => d.open")  # closed again from the keyboard
    assert_no_problems(page)


def test_each_download_is_the_chart_in_its_format(open_page):
    page = open_page()
    page.goto(url(page, "ar", "/areas/IRN/"))
    wait_for_chart(page)
    page.locator("#downloads-menu summary").click()
    for fmt, media_type in FORMATS.items():
        link = page.locator(f"#download-{fmt}")
        assert link.get_attribute("href").startswith("/ar/areas/IRN/chart." + fmt)
        with page.expect_download() as info:
            link.click()
        file = info.value
        assert file.failure() is None
        assert file.suggested_filename.endswith(f".{fmt}")
        data = Path(file.path()).read_bytes()
        assert data.startswith(SIGNATURES[fmt]), data[:20]
        response = page.request.get(page.base_url + link.get_attribute("href"))
        assert response.headers["content-type"] == media_type
    assert_no_problems(page)


def test_the_svg_opened_on_its_own_draws_persian_in_its_own_font(open_page):
    page = open_page(viewport={"width": 1000, "height": 760})
    response = page.goto(url(page, "fa", "/compare/firm_share/chart.svg?areas=IRN,JPN"))
    assert response.status == 200
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    fonts = page.evaluate("() => [...document.fonts].map((f) => [f.family.replace(/\"/g, ''), f.weight, f.status])")
    assert ["Vazirmatn", "400", "loaded"] in fonts and ["Vazirmatn", "700", "loaded"] in fonts
    # The text is drawn in it: a Persian label measures as Vazirmatn lays it out, not a fallback.
    widths = page.evaluate(
        """() => {
        const texts = [...document.querySelectorAll('text')].filter((t) => /ایران/.test(t.textContent));
        return texts.map((t) => [t.getComputedTextLength(), getComputedStyle(t).fontFamily]);
    }"""
    )
    assert widths and all(width > 0 and family.startswith("Vazirmatn") for width, family in widths), widths
    screenshot(page, "share-svg-alone-fa", full_page=False)
    assert_no_problems(page)  # nothing fetched, nothing refused by its policy


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_cite_boxes_copy_apa_and_bibtex(open_page, lang):
    page = open_page(permissions=["clipboard-read", "clipboard-write"], **PHONE)
    page.goto(url(page, lang, COMPARE))
    wait_for_chart(page)
    box = page.locator("#cite-chart")
    box.locator("summary").click()
    box.locator("button.copy-button").first.click()
    status = box.locator(".copy-status").first
    page.wait_for_function("(s) => s.textContent.trim() !== ''", arg=status.element_handle())
    apa = page.evaluate("() => navigator.clipboard.readText()")
    assert apa == box.locator("textarea").first.input_value()
    assert apa.startswith("SMEdash. (") and f"/{lang}/compare/firm_share/?areas=IRN,JPN" in apa
    box.locator("button.copy-button").nth(1).click()
    page.wait_for_function(
        "(s) => s.textContent.trim() !== ''", arg=box.locator(".copy-status").nth(1).element_handle()
    )
    bibtex = page.evaluate("() => navigator.clipboard.readText()")
    parser = BibTexParser(common_strings=False)
    parser.ignore_nonstandard_types = False
    (entry,) = bibtexparser.loads(bibtex, parser).entries
    assert entry["ENTRYTYPE"] == "online" and entry["url"].endswith(
        "/compare/firm_share/?areas=IRN,JPN&year=latest&scope=all"
    )
    if lang == "ar":
        assert re.search("[\u0600-\u06ff]", entry["title"])  # the Arabic title, as it is
    no_sideways_scroll(page)
    screenshot(page, f"share-cite-chart-{lang}-360")

    # A figure's box, beside its quote: the source first, then the dashboard.
    figure_box = page.locator(".quote-list .cite-box").first
    figure_box.locator("summary").click()
    figure_box.locator("button.copy-button").first.click()
    page.wait_for_function(
        "(s) => s.textContent.trim() !== ''", arg=figure_box.locator(".copy-status").first.element_handle()
    )
    copied = page.evaluate("() => navigator.clipboard.readText()")
    first_line, second_line = copied.split("\n")
    assert "/sources/" in first_line and second_line.startswith("SMEdash. (")
    no_sideways_scroll(page)
    assert_no_problems(page)


def test_without_a_clipboard_the_citation_is_selected_to_copy_by_hand(open_page):
    page = open_page(fresh=True)  # no clipboard permission, and an init script taking the clipboard away
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.goto(url(page, "fa", COMPARE))
    wait_for_chart(page)
    box = page.locator("#cite-chart")
    box.locator("summary").click()
    box.locator("button.copy-button").first.click()
    page.wait_for_function("(s) => s.textContent.trim() !== ''", arg=box.locator(".copy-status").first.element_handle())
    selected = page.evaluate("() => [document.activeElement.id, document.activeElement.selectionEnd]")
    assert selected[0] == "cite-chart-apa" and selected[1] > 20


@pytest.mark.parametrize("lang", ["fa", "ar"])
def test_axe_finds_nothing_serious_with_the_menus_open(open_page, lang):
    page = open_page(**PHONE)
    page.goto(url(page, lang, COMPARE))
    wait_for_chart(page)
    page.locator("#downloads-menu summary").click()
    page.locator("#cite-chart summary").click()
    page.locator(".quote-list .cite-box summary").first.click()
    violations = run_axe(page)
    assert violations == [], describe_violations(violations)
    page.goto(url(page, lang, "/sources/001_e2e29c5eae0b9509.txt/"))
    page.locator(".quote-list .cite-box summary").first.click()
    violations = run_axe(page)
    assert violations == [], describe_violations(violations)
    no_sideways_scroll(page)
