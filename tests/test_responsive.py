"""The chart's narrow layout (indicators.charts, issue 12): built in Python beside the wide one,
sent with the page's figure, never with a PNG's. How it looks in a browser at every screen size is
tested in tests/browser/test_responsive.py; here, what it is made of."""

import json

import pytest
from django.core.cache import cache
from django.utils import translation

from indicators import chart_narrow, chart_page, charts
from indicators.comparison import compare_page
from indicators.pages import area_page
from indicators.params import CompareParams

RLI, PDI = "\u2067", "\u2069"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def page_figure(lang, kind="compare", **query):
    with translation.override(lang):
        if kind == "compare":
            data = compare_page("firm_share", CompareParams.from_query(query))
            fig = charts.compare_figure(data)
        else:
            data = area_page(kind, 1)
            fig = charts.area_figure(data)
        payload = json.loads(chart_page.figure_json(fig))
    return data, fig, payload


def strings(layout, data):
    texts = [a["text"] for a in layout["annotations"]]
    texts += [t for trace in data for t in trace["text"]] + [trace["name"] for trace in data]
    texts += layout["xaxis"]["ticktext"]
    return texts


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_the_page_gets_a_narrow_layout_with_horizontal_bars(seeded, lang):
    data, _fig, payload = page_figure(lang, year="all")
    narrow = payload["narrow"]
    assert payload["wide_min_width"] >= 600  # never the wide layout on a phone
    assert [trace["orientation"] for trace in narrow["data"]] == ["h"] * len(narrow["data"])
    # The same bars, in the same order (the first at the top), as the wide layout.
    assert [y for trace in narrow["data"] for y in trace["y"]] == [x for trace in payload["data"] for x in trace["x"]]
    assert narrow["layout"]["yaxis"]["autorange"] == "reversed"
    rtl = lang != "en"
    # Category labels, title and notes flush with the start edge: right in Arabic and Persian.
    for annotation in narrow["layout"]["annotations"]:
        assert annotation["x"] == (1 if rtl else 0) and annotation["xanchor"] == ("right" if rtl else "left")
        assert annotation["align"] == ("right" if rtl else "left")
        assert (annotation["xshift"] > 0) == rtl
    margin = narrow["layout"]["margin"]
    assert (margin["r"] if rtl else margin["l"]) == chart_narrow.NARROW_LABEL_MARGIN
    # Values run from the start side too: the axis is reversed in Arabic and Persian.
    low, high = narrow["layout"]["xaxis"]["range"]
    assert (low > high) == rtl
    # Room after every bar for its value label: the axis reaches beyond the largest value.
    assert max(low, high) > max(f["value"] for f in data["figures"])
    # Touch screens scroll the page over the chart: no zoom or pan.
    assert narrow["layout"]["dragmode"] is False
    assert narrow["layout"]["xaxis"]["fixedrange"] and narrow["layout"]["yaxis"]["fixedrange"]


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_every_line_of_the_narrow_layout_is_isolated_right_to_left(seeded, lang):
    for kind in ("compare", "IRN"):
        _data, _fig, payload = page_figure(lang, kind)
        narrow = payload["narrow"]
        for text in strings(narrow["layout"], narrow["data"]):
            for line in text.split("<br>"):
                line = line.replace("<b>", "").replace("</b>", "")
                assert line.startswith(RLI) and line.endswith(PDI), repr(line)


def test_english_narrow_layout_has_no_isolates(seeded):
    _data, _fig, payload = page_figure("en")
    narrow = payload["narrow"]
    assert not any(RLI in text for text in strings(narrow["layout"], narrow["data"]))


def test_narrow_labels_and_notes_are_wrapped_and_the_height_follows(seeded):
    _data, _fig, payload = page_figure("en", year="all")
    layout = payload["narrow"]["layout"]
    for annotation in layout["annotations"]:
        for line in annotation["text"].replace("<b>", "").replace("</b>", "").split("<br>"):
            assert len(line) <= max(
                chart_narrow.NARROW_NOTE_CHARS, chart_narrow.NARROW_LABEL_CHARS, chart_narrow.NARROW_TITLE_CHARS
            )
    bars = sum(len(trace["y"]) for trace in payload["narrow"]["data"])
    assert layout["height"] >= bars * 34 + layout["margin"]["t"] + layout["margin"]["b"]
    # Groups of areas: their legend under the plot, a dotted line between them.
    assert layout["showlegend"] and layout["legend"]["y"] < 0
    assert len(layout["shapes"]) == len(payload["narrow"]["data"]) - 1


def test_the_png_figure_has_no_narrow_layout(seeded):
    with translation.override("fa"):
        data = compare_page("firm_share", CompareParams.from_query({}))
        fig = charts.compare_figure(data, width=charts.WIDTH)
        payload = json.loads(chart_page.figure_json(fig))
    assert chart_narrow.narrow_variant(fig) is None
    assert "narrow" not in payload and "wide_min_width" not in payload
    assert fig.data[0].orientation == "v"


def test_an_area_profile_gets_a_narrow_layout_too(seeded):
    data, _fig, payload = page_figure("ar", "IRN")
    narrow = payload["narrow"]
    assert len(narrow["data"][0]["y"]) == len(data["figures"])
    assert not narrow["layout"]["showlegend"]
