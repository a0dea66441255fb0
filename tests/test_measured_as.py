"""What each figure counts ("measured as", issue 13 part 2): the seed's texts in three languages,
labels that say it wherever the figure appears (charts, tables, tooltips, CSV, JSON, XLSX, PNG),
the model's rule that an area's figures of one indicator, year and scope say what tells them apart,
and the import's column."""

import csv
import io
import json
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation
from openpyxl import load_workbook

from countries.models import Area
from indicators import charts, png
from indicators.chart_exports import CHART_CSV_COLUMNS, FIGURE_FIELDS
from indicators.chart_narrow import narrow_variant
from indicators.comparison import compare_page
from indicators.exports import EXPORT_COLUMNS
from indicators.importing import import_file
from indicators.models import Indicator, Observation, Source
from indicators.params import CompareParams
from indicators.seed import load_seed

LANGS = ("en", "ar", "fa")
THESIS = "001_e2e29c5eae0b9509.txt"
IRAN_ARTICLE = "002_bb35e3d40c82847a.txt"
PERSIAN_ONLY_LETTERS = "پچژگکی"
# What "micro enterprises" is in each language's text; the article's own word is «بنگاههای خرد».
MICRO = {"en": "micro enterprises", "ar": "متناهية الصغر", "fa": "بنگاه\u200cهای خرد"}
DOWNLOADS = "/api/v1/downloads/observations"


@pytest.fixture(autouse=True)
def fresh_cache_and_no_language_left_active(settings, tmp_path):
    cache.clear()
    settings.SMEDASH_DOWNLOADS_DIR = tmp_path
    yield
    cache.clear()
    translation.deactivate()


def figure(area, indicator, value):
    return Observation.objects.get(area__code=area, indicator__code=indicator, value=Decimal(value))


def texts(obs):
    return {lang: getattr(obs, f"measured_as_{lang}") for lang in LANGS}


def compare(code, lang, **query):
    with translation.override(lang):
        return compare_page(code, CompareParams.from_query(query))


def plain(text):
    """A chart string without Plotly's line breaks, direction marks and escaping."""
    text = re.sub(r"<br>", " ", text)
    return re.sub("[\u2066-\u2069]", "", text).replace("&amp;", "&")


# --- The seed -------------------------------------------------------------------------------------


def test_iran_2013_is_measured_as_micro_enterprises_in_every_language(seeded):
    employment = figure("IRN", "employment_share", "67")
    income = figure("IRN", "output_share", "19")
    for obs in (employment, income):
        assert obs.year == 2013 and obs.source.identifier == IRAN_ARTICLE
        assert "بنگاههای خرد" in obs.quote  # the source's own words
        for lang, text in texts(obs).items():
            assert MICRO[lang] in text, (lang, text)
    assert texts(employment)["en"] == "industrial employment in micro enterprises"
    assert texts(income)["en"] == "industrial income in micro enterprises"
    # The article defines no threshold for micro enterprises: none is invented.
    assert not any(re.search("[0-9۰-۹٠-٩]", text) for text in texts(employment).values())


def test_south_koreas_two_firm_shares_and_two_output_shares_say_what_they_count(seeded):
    units, establishments = figure("KOR", "firm_share", "73"), figure("KOR", "firm_share", "97.8")
    assert "واحدهای صنعتی" in units.quote and "تاسیسات صنعتی" in establishments.quote
    assert texts(units) == {"en": "industrial units", "ar": "الوحدات الصناعية", "fa": "واحدهای صنعتی"}
    # «تاسیسات صنعتی»: industrial facilities (installations), the thesis's word; "establishments"
    # would be a reading of it, and a word too long for twelve bars' labels on a desktop chart.
    assert texts(establishments) == {"en": "industrial facilities", "ar": "المرافق الصناعية", "fa": "تأسیسات صنعتی"}
    production, gross = figure("KOR", "output_share", "47.9"), figure("KOR", "output_share", "39.5")
    assert "ارزش تولیدات صنعتی" in production.quote and "تولید ناخالصی صنعتی" in gross.quote
    assert "production value" in production.measured_as_en
    assert texts(gross) == {
        "en": "gross industrial output",
        "ar": "الناتج الصناعي الإجمالي",
        "fa": "تولید ناخالص صنعتی",
    }


def test_every_seed_figure_says_what_it_counts_in_three_languages_and_scripts(seeded):
    for obs in Observation.objects.all():
        by_lang = texts(obs)
        assert all(by_lang.values()), (obs.pk, by_lang)
        assert not re.search(f"[{PERSIAN_ONLY_LETTERS}]", by_lang["ar"]), (obs.pk, by_lang["ar"])
        assert not re.search("[يك]", by_lang["fa"]), (obs.pk, by_lang["fa"])
        assert not re.search("[\u0600-\u06ff]", by_lang["en"]), (obs.pk, by_lang["en"])


def test_the_seed_loads_twice_without_change(seeded):
    assert not load_seed().changed


def test_a_database_seeded_before_gets_measured_as_on_the_next_load(seeded):
    # As migration 0005 leaves a database seeded before it: the new columns empty (NULL).
    Observation.objects.update(measured_as_en=None, measured_as_ar=None, measured_as_fa=None)
    report = load_seed()
    assert report.updated == {"observation": 50}, str(report)
    assert figure("KOR", "firm_share", "97.8").measured_as_fa == "تأسیسات صنعتی"
    assert not load_seed().changed


# --- Labels: charts, tooltips, tables -------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_figure_of_micro_enterprises_is_never_labelled_plainly(seeded, lang):
    for query in ({"areas": "IRN,KOR"}, {"areas": "IRN", "year": "2013"}):
        data = compare("employment_share", lang, **query)
        micro = next(f for f in data["figures"] if f["year"] == 2013)
        assert MICRO[lang] in micro["measured_as"]
        assert micro["label"] != micro["area"]["name"] and MICRO[lang] in micro["label"]
        assert MICRO[lang] in micro["label_detail"]
        with translation.override(lang):
            fig = charts.compare_figure(data)
        ticks = [plain(t) for t in fig.layout.xaxis.ticktext]
        assert any(MICRO[lang] in t for t in ticks), ticks
        narrow, _min_width = narrow_variant(fig)
        assert any(MICRO[lang] in plain(a.text) for a in narrow.layout.annotations)
        hover = " ".join(plain(t) for trace in fig.data for t in trace.hovertext)
        assert MICRO[lang] in hover


@pytest.mark.parametrize(
    ("lang", "units", "establishments", "numbered"),
    [
        ("en", "industrial units", "industrial facilities", "figure 1 of 2"),
        ("ar", "الوحدات الصناعية", "المرافق الصناعية", "الرقم ١ من ٢"),
        ("fa", "واحدهای صنعتی", "تأسیسات صنعتی", "رقم ۱ از ۲"),
    ],
)
def test_an_areas_two_figures_are_told_apart_by_what_they_count(seeded, lang, units, establishments, numbered):
    data = compare("firm_share", lang, areas="KOR")
    assert sorted(f["label_detail"] for f in data["figures"]) == sorted([units, establishments])
    with translation.override(lang):
        fig = charts.compare_figure(data)
        narrow, _min_width = narrow_variant(fig)
        png_figure = charts.compare_figure(data, width=1000)
    for strings in (
        fig.layout.xaxis.ticktext,
        [a.text for a in narrow.layout.annotations],
        png_figure.layout.xaxis.ticktext,
    ):
        shown = " ".join(plain(s) for s in strings)
        assert units in shown and establishments in shown
        assert numbered not in shown
    hover = " ".join(plain(t) for trace in fig.data for t in trace.hovertext)
    with translation.override(lang):
        assert translation.gettext("Measured as: %(measured_as)s") % {"measured_as": units} in hover


def test_measured_as_is_escaped_and_isolated_on_the_chart(seeded):
    obs = figure("KOR", "firm_share", "73")
    obs.measured_as_fa = "<b>واحدها</b> & <a href='x'>"
    obs.save()
    data = compare("firm_share", "fa", areas="KOR")
    with translation.override("fa"):
        fig = charts.compare_figure(data)
        narrow, _min_width = narrow_variant(fig)
    strings = list(fig.layout.xaxis.ticktext) + [a.text for a in narrow.layout.annotations]
    strings += [t for trace in fig.data for t in trace.hovertext]
    assert not any("<b>واحدها" in s or "<a href" in s for s in strings)
    assert any("&lt;b&gt;واحدها&lt;/b&gt; &amp; &lt;a" in s for s in strings)
    for tick in fig.layout.xaxis.ticktext:
        for line in tick.split("<br>"):
            assert line.startswith("\u2067") and line.endswith("\u2069"), repr(line)


@pytest.mark.parametrize("lang", LANGS)
def test_the_comparison_and_area_tables_show_what_each_figure_counts(client, seeded, lang):
    employment = figure("IRN", "employment_share", "67")
    page = client.get(f"/{lang}/compare/employment_share/?areas=IRN,KOR").content.decode()
    table = page.split('<table class="figures">', 1)[1].split("</table>", 1)[0]
    assert getattr(employment, f"measured_as_{lang}") in table
    area = client.get(f"/{lang}/areas/KOR/").content.decode()
    table = area.split('<table class="figures">', 1)[1].split("</table>", 1)[0]
    for value in ("73", "97.8"):
        assert getattr(figure("KOR", "firm_share", value), f"measured_as_{lang}") in table
    source = client.get(f"/{lang}/sources/{IRAN_ARTICLE}/").content.decode()
    assert getattr(employment, f"measured_as_{lang}") in source


def test_an_area_profile_labels_its_figures_with_what_they_count(client, seeded):
    data = client.get("/fa/areas/KOR/data.json").json()
    firms = next(s for s in data["sections"] if s["indicator"]["code"] == "firm_share")
    assert sorted(f["label_detail"] for f in firms["figures"]) == ["تأسیسات صنعتی", "واحدهای صنعتی"]
    assert all(f["label"].startswith(firms["indicator"]["name"]) for f in firms["figures"])


# --- Files: the chart's twin and CSV, the full-data CSV, JSON and XLSX, the PNG ------------------


def test_the_chart_twin_and_csv_carry_measured_as(client, seeded):
    assert "measured_as" in FIGURE_FIELDS and "measured_as" in CHART_CSV_COLUMNS
    twin = client.get("/ar/compare/employment_share/data.json?areas=IRN,KOR").json()
    micro = next(f for f in twin["figures"] if f["year"] == 2013)
    assert micro["measured_as"] == figure("IRN", "employment_share", "67").measured_as_ar
    body = client.get("/ar/compare/employment_share/data.csv?areas=IRN,KOR").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    row = next(r for r in rows if r["year"] == "2013")
    assert row["measured_as"] == micro["measured_as"]
    assert MICRO["ar"] in row["label"]  # never plainly "Iran" under "SMEs' share of employment"


@pytest.mark.parametrize(("lang", "suffix"), [(None, ""), ("fa", "?lang=fa"), ("ar", "?lang=ar")])
def test_the_full_data_downloads_have_a_measured_as_column_in_the_language_asked_for(client, seeded, lang, suffix):
    expected = figure("KOR", "firm_share", "97.8")
    want = getattr(expected, f"measured_as_{lang or 'en'}")
    assert "measured_as" in EXPORT_COLUMNS

    body = client.get(f"{DOWNLOADS}.csv{suffix}").getvalue().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    korea = [r for r in rows if (r["area"], r["indicator"]) == ("KOR", "firm_share")]
    assert {r["value"]: r["measured_as"] for r in korea}["97.8"] == want

    document = json.loads(client.get(f"{DOWNLOADS}.json{suffix}").getvalue())
    assert "measured_as" in document["columns"]
    korea = [o for o in document["observations"] if (o["area"], o["indicator"]) == ("KOR", "firm_share")]
    assert {o["value"]: o["measured_as"] for o in korea}[97.8] == want

    sheet = load_workbook(io.BytesIO(client.get(f"{DOWNLOADS}.xlsx{suffix}").getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    korea = [r for r in records if (r["area"], r["indicator"]) == ("KOR", "firm_share")]
    assert {float(r["value"]): r["measured_as"] for r in korea}[97.8] == want


def test_the_api_observations_carry_measured_as(client, seeded):
    answer = client.get("/api/v1/observations?area=IRN&indicator=employment_share&lang=fa").json()
    micro = next(o for o in answer["results"] if o["year"] == 2013)
    assert MICRO["fa"] in micro["measured_as"]


def test_the_png_labels_say_what_each_figure_counts(client, seeded):
    with mock.patch.object(png, "_render", return_value=b"\x89PNG\r\n\x1a\nstub") as stub:
        assert client.get("/fa/compare/employment_share/chart.png?areas=IRN,KOR").status_code == 200
    drawn = stub.call_args.args[0]
    ticks = " ".join(plain(t) for t in drawn["layout"]["xaxis"]["ticktext"])
    assert MICRO["fa"] in ticks


# --- The rule: an area's figures of one indicator, year and scope say what tells them apart -------


def korea_firm_share(**changes):
    values = {
        "area": Area.objects.get(code="KOR"),
        "indicator": Indicator.objects.get(code="firm_share"),
        "source": Source.objects.get(identifier=THESIS),
        "value": Decimal("80"),
        "scope": Observation.Scope.INDUSTRY,
        "quote": "یک جملهٔ آزمایشی",
        "year_as_written": "",
        **{f"measured_as_{lang}": "" for lang in LANGS},
    }
    values.update(changes)
    return Observation(**values)


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "This area already has another figure for this indicator, year and scope"),
        ("fa", "این منطقه رقم دیگری برای همین شاخص، سال و گستره دارد"),
        ("ar", "لهذه المنطقة رقم آخر للمؤشر والسنة والنطاق أنفسها"),
    ],
)
def test_clean_requires_it_beside_another_figure_of_the_same_group(seeded, lang, message):
    with translation.override(lang), pytest.raises(ValidationError) as refused:
        korea_firm_share().full_clean()
    with translation.override(lang):
        assert any(message in m for m in refused.value.message_dict["measured_as_en"])


def test_clean_accepts_it_when_it_tells_the_figure_apart_or_the_figure_is_alone(seeded):
    korea_firm_share(measured_as_en="workshops").full_clean()
    korea_firm_share(year_as_written="1990", year=1990).full_clean()  # no other figure of 1990
    korea_firm_share(scope=Observation.Scope.ECONOMY).full_clean()  # nor of the whole economy


def test_clean_refuses_the_same_text_as_another_figure_of_its_source(seeded):
    with pytest.raises(ValidationError) as refused:
        korea_firm_share(measured_as_en="Industrial units").full_clean()
    assert "is measured as “Industrial units” too" in refused.value.message_dict["measured_as_en"][0]
    other_source = Source.objects.get(identifier=IRAN_ARTICLE)
    korea_firm_share(source=other_source, measured_as_en="industrial units").full_clean()  # its source tells it apart


@pytest.fixture
def editor_client(client, seeded):
    call_command("create_roles", stdout=io.StringIO())
    user = User.objects.create_user("sara", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client.force_login(user)
    return client


def admin_post(**changes):
    data = {
        "area": Area.objects.get(code="KOR").pk,
        "indicator": Indicator.objects.get(code="firm_share").pk,
        "source": Source.objects.get(identifier=THESIS).pk,
        "quote": "یک جملهٔ آزمایشی",
        "value": "80",
        "qualifier": "exact",
        "scope": "industry",
        "year_as_written": "",
        "year_calendar": "gregorian",
        "year": "",
        "status": "draft",
        **{f"{name}_{lang}": "" for name in ("definition", "note", "measured_as") for lang in LANGS},
    }
    data.update(changes)
    return data


def test_the_admin_form_asks_for_it_in_the_admins_language_and_the_list_shows_and_finds_it(editor_client):
    add = "/fa/admin/indicators/observation/add/"
    response = editor_client.post(add, admin_post())
    assert response.status_code == 200
    assert "این منطقه رقم دیگری برای همین شاخص، سال و گستره دارد" in response.content.decode()
    assert 'name="measured_as_fa"' in response.content.decode()
    response = editor_client.post(add, admin_post(measured_as_en="workshops", measured_as_fa="کارگاه‌های آزمایشی"))
    assert response.status_code == 302
    listing = editor_client.get("/fa/admin/indicators/observation/?q=کارگاه‌های+آزمایشی")
    assert [obs.measured_as_fa for obs in listing.context["cl"].result_list] == ["کارگاه‌های آزمایشی"]
    assert "<small class='quiet'>کارگاه‌های آزمایشی</small>" in listing.content.decode()  # under the indicator
    found = editor_client.get("/en/admin/indicators/observation/?q=industrial+facilities").context["cl"]
    assert [obs.value for obs in found.result_list] == [Decimal("97.8")]


# --- The import file's column ---------------------------------------------------------------------


def export(lang=None):
    out = io.StringIO()
    call_command("export_observations", *(["--lang", lang] if lang else []), stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("lang", [None, "fa", "ar"])
def test_an_export_imports_again_without_change(seeded, lang):
    text = export(lang)
    assert text.splitlines()[0].split(",")[: len(EXPORT_COLUMNS)] == EXPORT_COLUMNS
    before = {obs.pk: texts(obs) for obs in Observation.objects.all()}
    plan = import_file("export.csv", text.encode("utf-8"), lang=lang or "en")
    assert plan.ok and plan.counts() == {"new": 0, "changed": 0, "unchanged": 50, "rejected": 0}
    assert {obs.pk: texts(obs) for obs in Observation.objects.all()} == before


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


def to_csv(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def new_korea_row(**changes):
    row = {
        "area": "KOR",
        "indicator": "firm_share",
        "year": "",
        "value": "80",
        "scope": "industry",
        "source": THESIS,
        "quote": "یک جملهٔ آزمایشی",
        "measured_as": "",
    }
    row.update(changes)
    return row


def test_the_import_stores_measured_as_in_the_language_chosen(seeded):
    rows = rows_of(export("fa"))
    korea = next(r for r in rows if (r["area"], r["value"]) == ("KOR", "73"))
    korea["measured_as"] = "واحدهای صنعتی کشور"
    plan = import_file("rows.csv", to_csv([korea]), lang="fa")
    assert plan.ok and plan.counts()["changed"] == 1
    assert plan.rows[0].changes == [("measured_as", "واحدهای صنعتی", "واحدهای صنعتی کشور")]
    obs = figure("KOR", "firm_share", "73")
    assert (obs.measured_as_en, obs.measured_as_fa) == ("industrial units", "واحدهای صنعتی کشور")


def test_the_import_refuses_a_new_figure_beside_another_that_does_not_say_what_it_counts(seeded):
    plan = import_file("rows.csv", to_csv([new_korea_row()]), dry_run=True)
    assert not plan.ok
    assert [(column, message.split(":")[0]) for _row, column, message in plan.problems()] == [
        ("measured_as", "This area already has another figure for this indicator, year and scope")
    ]
    plan = import_file("rows.csv", to_csv([new_korea_row(measured_as="workshops")]))
    assert plan.ok and plan.counts()["new"] == 1
    assert Observation.objects.get(quote="یک جملهٔ آزمایشی").measured_as_en == "workshops"


def test_the_import_checks_the_rows_of_one_file_against_each_other(seeded):
    rows = [
        new_korea_row(year="1990", measured_as="workshops"),
        new_korea_row(year="1990", value="81", quote="جملهٔ دیگر"),
    ]
    plan = import_file("rows.csv", to_csv(rows), dry_run=True)
    assert [(row, column) for row, column, _message in plan.problems()] == [(3, "measured_as")]
    rows[1]["measured_as"] = "workshops"
    plan = import_file("rows.csv", to_csv(rows), dry_run=True)
    assert [(row, column) for row, column, _message in plan.problems()] == [(2, "measured_as"), (3, "measured_as")]
    assert "is measured as “workshops” too" in plan.problems()[0][2]
    rows[1]["measured_as"] = "establishments"
    assert import_file("rows.csv", to_csv(rows), dry_run=True).ok
