"""The presentation layer on its own: flags, labels for several figures, pagination, and the
declared JSON contract of every chart page's twin (exports.chart_json)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from indicators.chart_exports import FIGURE_FIELDS, SECTION_FIELDS, TWIN_FIELDS, TWIN_VERSION
from indicators.flags import distinguish, flag_figures, flag_legend, group_by_area_kind
from indicators.params import QueryError
from indicators.presenters import figure_dict, paginate
from indicators.selectors import AreaRow, FigureRow, IndicatorRow, SourceRow

SOURCE = SourceRow("001.txt", "A thesis", "fa", "thesis")
SHARE = IndicatorRow(1, "firm_share", "Share of firms", "", "percent", True)


def row(id_, area="IRN", kind="country", value="50", year=2000, **changes):
    fields = {
        "id": id_,
        "area": AreaRow(id_, area, kind, area.title(), None, None),
        "indicator": SHARE,
        "source": SOURCE,
        "value": Decimal(value),
        "qualifier": "exact",
        "year": year,
        "year_as_written": str(year) if year else "",
        "year_calendar": "gregorian",
        "scope": "economy",
        "definition": "",
        "note": "",
        "quote": "…",
        "last_changed": date(2026, 1, 1),
    }
    fields.update(changes)
    return FigureRow(**fields)


def figures(*rows, lang="en"):
    with translation.override(lang):
        return [figure_dict(r) for r in rows]


def test_one_comparable_set_has_no_relative_flags(english):
    shown = flag_figures(figures(row(1), row(2, "JPN")))
    assert [f["flags"] for f in shown] == [[], []]
    assert flag_legend(shown) == []


def test_years_scopes_and_definitions_that_differ_are_flagged():
    shown = flag_figures(
        figures(
            row(1, year=2000),
            row(2, "JPN", year=2001),
            row(3, "KOR", scope="industry"),
            row(4, "IND", definition="fewer than 10 workers"),
        )
    )
    flags = {f["area"]["code"]: f["flags"] for f in shown}
    assert "year_differs" in flags["IRN"] and "year_differs" in flags["JPN"]
    assert flags["KOR"] == ["year_differs", "scope_differs"]  # the one scope unlike the others
    assert "definition" in flags["IND"] and "definition" not in flags["IRN"]
    assert [item["code"] for item in flag_legend(shown)] == ["year_differs", "scope_differs", "definition"]


def test_own_flags_do_not_depend_on_the_others():
    shown = flag_figures(
        figures(
            row(1, year=None, qualifier="more_than"),
            row(2, "JPN", year=2013, year_as_written="the ten years to 1392"),
            row(3, "KOR", qualifier="unclear", year=1990),
        )
    )
    assert shown[0]["flags"] == ["qualified", "no_year"]
    assert shown[0]["flag_symbols"] == "†"  # "qualified" has no symbol: the label says it in words
    assert shown[1]["flags"][0] == "period"
    # An unclear figure is not compared: no "year_differs", although its year differs.
    assert shown[2]["flags"] == ["unclear"]


def test_a_trend_compares_scopes_but_not_years():
    shown = flag_figures(
        figures(row(1, year=2000), row(2, year=2001, scope="industry"), row(3, year=2002)),
        group_key=lambda f: (f["area"]["code"], f["year"]),  # one area's line: a point a year
        years_compared=False,
    )
    assert [f["flags"] for f in shown] == [[], ["scope_differs"], []]
    assert shown[1]["flag_details"] == [
        {"code": "scope_differs", "symbol": "§", "label": "scope differs from most figures shown"}
    ]


def test_a_list_that_compares_nothing_gets_only_own_flags():
    shown = flag_figures(figures(row(1, year=2000), row(2, "JPN", year=2001)), relative=False)
    assert [f["flags"] for f in shown] == [[], []]


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def test_several_figures_of_one_area_are_labelled_by_what_differs(english):
    by_year = figures(row(1, year=2000), row(2, year=2005))
    distinguish(by_year, "Iran")
    assert [f["label"] for f in by_year] == ["Iran (2000)", "Iran (2005)"]
    same = figures(row(1, value="73"), row(2, value="97.8"))
    distinguish(same, "Korea")
    assert [f["label_detail"] for f in same] == ["figure 1 of 2", "figure 2 of 2"]
    with translation.override("fa"):
        same_fa = figures(row(1, value="73"), row(2, value="97.8"), lang="fa")
        distinguish(same_fa, "کره")
    assert same_fa[1]["label_detail"] == "رقم ۲ از ۲"
    one = figures(row(1))
    distinguish(one, "Iran")
    assert (one[0]["label"], one[0]["label_detail"]) == ("Iran", "")


def test_groups_put_countries_first_by_highest_value_and_keep_an_areas_figures_together():
    shown = figures(
        row(1, "EU25", kind="aggregate", value="99"),
        row(2, "IRN", value="60"),
        row(3, "JPN", value="90"),
        row(4, "IRN", value="95", year=2005),
    )
    flag_figures(shown)
    with translation.override("en"):
        groups = group_by_area_kind(shown)
    assert [g["kind"] for g in groups] == ["country", "aggregate"]
    assert [f["id"] for f in groups[0]["figures"]] == [4, 2, 3]  # Iran (highest 95), newest first; then Japan
    assert groups[0]["label"] == "Countries"
    assert "several" in groups[0]["figures"][0]["flags"]


@pytest.mark.parametrize(("page", "expected"), [(1, [1, 2, 3]), (2, [4, 5, 6]), (3, [7])])
def test_pagination_says_what_is_shown_and_links_the_neighbours(page, expected):
    with translation.override("fa"):
        shown, pagination = paginate(list(range(1, 8)), page, 3, lambda n: f"?page={n}")
    assert shown == expected
    assert pagination["pages"] == 3 and pagination["total"] == 7
    assert pagination["previous_url"] == (f"?page={page - 1}" if page > 1 else None)
    assert pagination["next_url"] == (f"?page={page + 1}" if page < 3 else None)
    assert pagination["label"].endswith("از ۷")


def test_a_page_past_the_last_is_a_query_error_in_the_readers_language():
    with translation.override("ar"), pytest.raises(QueryError) as raised:
        paginate([1, 2], 5, 3, str)
    assert raised.value.parameter == "page"
    assert "٥" in raised.value.messages[0] and "١" in raised.value.messages[0]


def test_an_empty_list_is_one_empty_page():
    shown, pagination = paginate([], 1, 10, str)
    assert shown == [] and pagination["pages"] == 1 and (pagination["first"], pagination["last"]) == (0, 0)


# The JSON contract of the twins -------------------------------------------------------------------

TWINS = [
    "/{lang}/compare/firm_share/data.json",
    "/{lang}/compare/firm_share/data.json?year=all",
    "/{lang}/compare/firm_share/data.json?areas=KOR,IRN&scope=industry",
    "/{lang}/compare/employment_share/data.json",
    "/{lang}/areas/IRN/data.json",
    "/{lang}/areas/EU25/data.json",
    "/{lang}/areas/SYR/data.json",
]


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
@pytest.mark.parametrize("address", TWINS)
def test_every_twin_holds_exactly_its_declared_contract(client, seeded, lang, address):
    response = client.get(address.format(lang=lang))
    assert response.status_code == 200
    twin = response.json()
    kind = twin["kind"]
    assert set(twin) == {"version", "kind", "lang", "dir", *TWIN_FIELDS[kind]}
    assert twin["version"] == TWIN_VERSION == 1
    assert (twin["lang"], twin["dir"]) == (lang, "ltr" if lang == "en" else "rtl")
    records = twin["figures"] + twin["not_charted"]
    assert twin["figures"], "every twin here charts something"
    for record in records:
        assert set(record) == set(FIGURE_FIELDS)
        assert isinstance(record["value"], float) and isinstance(record["flags"], list)
    ids = [record["id"] for record in twin["figures"]]
    if kind == "compare":
        # Groups name their figures by id, each figure once, in the chart's order.
        assert [i for group in twin["groups"] for i in group["figures"]] == ids
        assert "choices" not in twin and "query" not in twin  # form and template only
    else:
        for section in twin["sections"]:
            assert set(section) == {*SECTION_FIELDS, "figures"}
        charted = [f["id"] for s in twin["sections"] for f in s["figures"] if f["charted"]]
        assert set(ids) <= set(charted)
