"""Markup typed by staff into a translated name is shown as text everywhere the public sees it:
on the chart (tick labels, hover label, title), in the table and in the form; it never becomes an
element, and nothing runs (no dialog, no CSP violation, no page error)."""

import pytest

from countries.models import Area

from .helpers import (
    LANGS,
    assert_no_problems,
    compare_url,
    log_in,
    make_editor,
    norm,
    url,
    wait_for_chart,
)

PAYLOADS = {
    "SYR": "<img src=x onerror=alert(1)>",
    "JPN": '<a href="javascript:alert(1)">x</a>',
}
VIEW = "areas=SYR&areas=JPN&year=all"

_INJECTED = """() => {
  const xlink = 'http://www.w3.org/1999/xlink';
  const links = Array.from(document.querySelectorAll('a')).map(
    (a) => a.getAttribute('href') || a.getAttributeNS(xlink, 'href') || '');
  return {
    images: Array.from(document.querySelectorAll('img, image')).map((e) => e.outerHTML),
    scriptLinks: links.filter((h) => h.trim().toLowerCase().startsWith('javascript')),
    handlers: Array.from(document.querySelectorAll('[onerror], [onclick], [onload]')).map((e) => e.outerHTML),
  };
}"""


def assert_nothing_injected(page):
    found = page.evaluate(_INJECTED)
    assert found == {"images": [], "scriptLinks": [], "handlers": []}, found


def rename_in_admin(page, lang, code, name):
    """Type the name into the area's admin form, in the field of the page's language."""
    area = Area.objects.get(code=code)
    page.goto(f"{page.base_url}/{lang}/admin/countries/area/{area.pk}/change/")
    page.locator(f"#id_name_{lang}").fill(name)
    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    assert page.locator(".errornote, .errorlist").count() == 0, page.locator("#content").inner_text()
    area.refresh_from_db()
    assert getattr(area, f"name_{lang}") == name


@pytest.mark.parametrize("lang", LANGS)
def test_markup_in_a_translated_name_is_shown_as_text(open_page, lang):
    # The public view is looked at first, so that a stale cached page would show here too.
    reader = open_page()
    reader.goto(compare_url(reader, lang, query=VIEW))
    wait_for_chart(reader)

    admin = open_page()
    log_in(admin, lang, make_editor())
    for code, payload in PAYLOADS.items():
        rename_in_admin(admin, lang, code, payload)

    page = open_page()
    page.goto(compare_url(page, lang, query=VIEW))
    chart = wait_for_chart(page)
    ticks = [norm(t["text"]) for t in chart["xTicks"]]
    for code, payload in PAYLOADS.items():
        # On the chart: the literal characters in the SVG text of the category label.
        assert any(tick.startswith(norm(payload)) for tick in ticks), (payload, ticks)
        # In the table and in the form, as text.
        link = page.locator(f'table.figures th[scope=row] a[href$="/areas/{code}/"]').first
        assert link.inner_text() == payload
        label = page.locator(f'label.check:has(input[value="{code}"])')
        assert label.inner_text().strip() == payload
    # The hover label of a bar names its area literally too.
    bar = page.locator("#chart .bars .point path").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hover = page.locator("#chart .hoverlayer .hovertext")
    hover.wait_for()
    assert any(norm(p) in norm(hover.text_content()) for p in PAYLOADS.values()), hover.text_content()
    assert_nothing_injected(page)
    assert_no_problems(page)

    # The area's own page: heading, document title and chart title.
    area_page = open_page()
    area_page.goto(url(area_page, lang, "/areas/SYR/"))
    area_chart = wait_for_chart(area_page)
    assert area_page.locator("main h1").inner_text() == PAYLOADS["SYR"]
    assert area_page.title().startswith(PAYLOADS["SYR"])
    assert norm(PAYLOADS["SYR"]) in norm(area_chart["title"]), area_chart["title"]
    assert_nothing_injected(area_page)
    assert_no_problems(area_page)

    # The reader's tab, reloaded, shows the new names (the cache was refreshed by the change).
    reader.reload()
    reloaded = wait_for_chart(reader)
    assert any(norm(t["text"]).startswith(norm(PAYLOADS["SYR"])) for t in reloaded["xTicks"])
    assert_nothing_injected(reader)
    assert_no_problems(reader)
