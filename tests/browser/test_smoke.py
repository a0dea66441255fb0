import pytest

from .conftest import screenshot


@pytest.mark.parametrize(("lang", "direction"), [("en", "ltr"), ("ar", "rtl"), ("fa", "rtl")])
def test_home_page_loads_cleanly(page, lang, direction):
    page.goto(f"{page.base_url}/{lang}/")
    assert page.locator("html").get_attribute("dir") == direction
    assert page.locator("html").get_attribute("lang") == lang
    screenshot(page, f"home-{lang}")
    assert page.problems == []
