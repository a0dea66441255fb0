"""The Plotly figures: right-to-left layout, digits, escaping, and what is (not) drawn."""

import json

import pytest
from django.core.cache import cache
from django.utils import translation

from countries.models import Area
from indicators import chart_page, charts
from indicators.comparison import compare_page
from indicators.models import Indicator, Observation, Source
from indicators.pages import area_page
from indicators.params import CompareParams
from indicators.text import escape_plotly

RLI, PDI = "\u2067", "\u2069"


@pytest.fixture(autouse=True)
def fresh_cache():
    # Tests roll their data back without committing, so the data version does not move.
    cache.clear()


def compare(code="firm_share", lang="en", **query):
    with translation.override(lang):
        return compare_page(code, CompareParams.from_query(query))


def area(code, lang="en"):
    with translation.override(lang):
        return area_page(code, 1)


def in_lang(lang, build, *args, **kwargs):
    """Charts are drawn in the active language, as a view draws them."""
    with translation.override(lang):
        return build(*args, **kwargs)


def payload_of(fig, lang):
    with translation.override(lang):
        return json.loads(chart_page.figure_json(fig))


def user_strings(fig):
    """Every string a reader sees in the figure: labels, ticks, hovers, titles, notes, legend."""
    layout = fig.layout
    strings = [layout.title.text, layout.title.subtitle.text, layout.yaxis.title.text]
    strings += list(layout.xaxis.ticktext or []) + list(layout.yaxis.ticktext or [])
    strings += [a.text for a in layout.annotations]
    for trace in fig.data:
        strings.append(trace.name)
        strings += list(trace.text or []) + list(trace.hovertext or [])
    return [s for s in strings if s]


def lines_of(text):
    """The lines of a label, without our own <b> markup."""
    return [line.replace("<b>", "").replace("</b>", "") for line in text.split("<br>")]


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_rtl_figure_reads_right_to_left(seeded, lang):
    fig = in_lang(lang, charts.compare_figure, compare(lang=lang))
    layout = fig.layout
    assert layout.xaxis.autorange == "reversed"  # the first category on the right
    assert layout.yaxis.side == "right"
    assert (layout.title.x, layout.title.xanchor, layout.title.xref) == (0.98, "right", "container")
    assert (layout.legend.x, layout.legend.xanchor) == (1, "right")
    assert layout.hoverlabel.align == "right"


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_every_string_in_a_rtl_figure_is_isolated(seeded, lang):
    for fig in (
        in_lang(lang, charts.compare_figure, compare(lang=lang)),
        in_lang(lang, charts.area_figure, area("IRN", lang)),
    ):
        for text in user_strings(fig):
            for line in lines_of(text):
                assert line.startswith(RLI) and line.endswith(PDI), repr(line)


def test_english_figure_runs_left_to_right_without_isolates(seeded):
    fig = in_lang("en", charts.compare_figure, compare(lang="en"))
    assert fig.layout.xaxis.autorange is True
    assert fig.layout.yaxis.side == "left"
    assert not any(RLI in text for text in user_strings(fig))


@pytest.mark.parametrize(
    ("lang", "digits", "latin_free"), [("fa", "۹۸", True), ("ar", "٩٨", True), ("en", "98", False)]
)
def test_labels_and_ticks_use_the_readers_digits(seeded, lang, digits, latin_free):
    fig = in_lang(lang, charts.compare_figure, compare(lang=lang, areas="SYR"))
    bar_texts = [t for trace in fig.data for t in trace.text]
    assert any(digits in t for t in bar_texts)
    tick_text = " ".join(fig.layout.yaxis.ticktext)
    if latin_free:
        assert not any(ch in tick_text for ch in "0123456789")
        assert not any(ch in " ".join(bar_texts) for ch in "0123456789")


def test_qualifiers_are_in_words_on_the_bars(seeded):
    fig = in_lang("fa", charts.compare_figure, compare(lang="fa", areas="SYR"))
    assert "بیش از" in fig.data[0].text[0]
    fig = in_lang("en", charts.compare_figure, compare(lang="en", areas="SYR"))
    assert "more than" in fig.data[0].text[0]


def test_unclear_figures_are_never_bars_but_are_named_under_the_chart(seeded):
    data = compare("employment_share", areas="JPN", year="all")
    fig = in_lang("en", charts.compare_figure, data)
    values = [v for trace in fig.data for v in trace.y]
    assert 3.3 not in values
    assert data["figures"] and len(values) == len(data["figures"])
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert "Not charted" in notes and "3.3%" in notes


def test_an_area_with_two_figures_gets_two_labelled_bars(seeded):
    fig = in_lang("en", charts.compare_figure, compare(areas="KOR"))
    assert sorted(fig.data[0].y) == [73, 97.8]
    ticks = fig.layout.xaxis.ticktext
    assert len(set(ticks)) == 2
    assert all("South Korea" in t for t in ticks)
    # Told apart by what each counts (issue 13): not "figure 1 of 2".
    assert any("units" in t for t in ticks) and any("facilities" in t for t in ticks)  # wrapped
    assert not any("figure 1 of 2" in t for t in ticks)


def test_groups_and_regions_are_drawn_apart_from_countries(seeded):
    fig = in_lang("en", charts.compare_figure, compare())
    assert [trace.name for trace in fig.data] == ["Countries", "Groups of countries", "Regions within a country"]
    categories = list(fig.layout.xaxis.categoryarray)
    country_count = len(fig.data[0].x)
    assert categories[:country_count] == list(fig.data[0].x)  # countries first, then the others
    assert len(fig.layout.shapes) == 2  # a separating line before each of the two other groups


def test_chart_names_its_sources_and_flags_and_unit(seeded):
    fig = in_lang("en", charts.compare_figure, compare())
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert "Sources:" in notes
    assert "The role of small industries in Iran" in notes
    assert "† year not stated" in notes
    assert fig.layout.title.text == "<b>SMEs' share of enterprises</b>"
    assert "per cent" in fig.layout.title.subtitle.text


def test_hover_says_the_source_and_a_click_leads_to_the_quote(seeded):
    data = compare(areas="SYR")
    fig = in_lang("en", charts.compare_figure, data)
    assert "Source: Syria: an integrated plan" in fig.data[0].hovertext[0]
    assert fig.data[0].customdata[0] == f"#q-{data['figures'][0]['id']}"


HOSTILE = ["<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">x</a>']


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_end_up_escaped_in_the_figure_json(seeded, hostile):
    area = Area.objects.create(code="XX-01", kind=Area.Kind.SUBNATIONAL, name_en=hostile, name_fa=hostile, parent=None)
    source = Source.objects.create(identifier="hostile.txt", title_en=hostile, kind="article", language="en")
    Observation.objects.create(
        area=area,
        indicator=Indicator.objects.get(code="firm_share"),
        source=source,
        value=50,
        quote="quote",
        note_en=hostile,
        definition_en=hostile,
        status=Observation.Status.PUBLISHED,
    )
    for lang in ("en", "fa"):
        payload = json.dumps(payload_of(in_lang(lang, charts.compare_figure, compare(lang=lang)), lang))
        assert "<img" not in payload and "<a href" not in payload
        assert json.dumps(escape_plotly(hostile))[1:-1] in payload  # shown literally, as text


def test_area_figure_draws_share_indicators_only(seeded):
    data = area("JPN")
    fig = in_lang("en", charts.area_figure, data)
    values = sorted(fig.data[0].y)
    assert 5810000 not in values  # a count, not a share
    assert 99.4 in values and 81.1 in values
    assert 3.3 not in values  # unclear in the source


def test_payload_carries_the_locale_and_the_modebar_dictionary_is_translated(seeded):
    payload = payload_of(in_lang("fa", charts.compare_figure, compare(lang="fa")), "fa")
    assert payload["config"]["locale"] == "fa"
    assert payload["config"]["displaylogo"] is False
    assert "sendChartToCloud" in payload["config"]["modeBarButtonsToRemove"]  # it posts to another host
    assert set(payload) == {"data", "layout", "config", "narrow", "wide_min_width"}
    locale = in_lang("fa", chart_page.modebar_locale)
    assert locale["name"] == "fa"
    assert locale["dictionary"]["Zoom in"] == "بزرگ\u200cنمایی"
    assert locale["dictionary"]["Download plot as a PNG"] != "Download plot as a PNG"
    assert in_lang("ar", chart_page.modebar_locale)["dictionary"]["Reset axes"] == "إعادة ضبط المحاور"


def test_nice_ticks():
    assert charts.nice_ticks(100) == [0, 20, 40, 60, 80, 100]
    assert charts.nice_ticks(35_350_000)[-1] >= 35_350_000
