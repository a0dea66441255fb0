"""How to cite a chart or a figure (indicators/citations.py): APA 7, BibTeX that a BibTeX parser
reads back with its Persian and Arabic intact, RIS served as a file, and the "Cite" boxes on the
chart pages and beside each figure."""

import re
from datetime import date
from urllib.parse import unquote

import bibtexparser
import pytest
from bibtexparser.bparser import BibTexParser
from django.utils import translation

from indicators import citations
from indicators.comparison import compare_page
from indicators.pages import area_page
from indicators.params import CompareParams

ACCESSED = date(2026, 12, 2)
PERMALINK = "https://sme.example.org/fa/compare/firm_share/?areas=IRN,JPN&year=latest&scope=all"
SOURCE_ID = "001_e2e29c5eae0b9509.txt"


def parse_bibtex(text):
    parser = BibTexParser(common_strings=False)
    parser.ignore_nonstandard_types = False  # biblatex's @online, @thesis
    entries = bibtexparser.loads(text, parser).entries
    # Every entry that was written was read: nothing was skipped as malformed.
    assert len(entries) == text.count("\n@") + text.startswith("@"), text
    return entries


def unescape(value):
    return re.sub(r"\\([&%$#_])", r"\1", value)


def compare_data(lang, areas=("IRN", "JPN")):
    with translation.override(lang):
        return compare_page("firm_share", CompareParams(areas=areas))


# The texts ----------------------------------------------------------------------------------------------


def test_a_persian_chart_citation_in_three_formats(seeded):
    data = compare_data("fa")
    with translation.override("fa"):
        cited = citations.chart_citation(data, permalink=PERMALINK, accessed=ACCESSED)
    assert cited.apa.startswith("SMEdash. (")
    assert PERMALINK in cited.apa and cited.apa.endswith(PERMALINK)  # the address last, as APA puts it
    assert "ایران" in cited.apa and "ژاپن" in cited.apa
    assert "۲۰۲۶" in cited.apa and "2026" not in cited.apa.replace(PERMALINK, "")  # Persian digits

    (entry,) = parse_bibtex(cited.bibtex)
    assert entry["ENTRYTYPE"] == "online" and entry["ID"].isascii()
    assert entry["author"] == "{SMEdash}"
    assert entry["url"] == PERMALINK and entry["urldate"] == "2026-12-02"
    assert unescape(entry["title"]) == citations.chart_title(data) or "ایران" in entry["title"]
    assert entry["language"] == "persian"

    lines = cited.ris.strip().split("\r\n")
    assert lines[0] == "TY  - ELEC" and lines[-1] == "ER  -"
    tags = dict(line.split("  - ", 1) for line in lines[:-1])
    assert tags["UR"] == PERMALINK and tags["Y2"] == "2026/12/02" and tags["AU"] == "SMEdash"
    assert "ایران" in tags["TI"]


def test_the_bibtex_title_is_the_chart_title_character_for_character(seeded):
    for lang in ("en", "ar", "fa"):
        data = compare_data(lang)
        with translation.override(lang):
            cited = citations.chart_citation(data, permalink=PERMALINK, accessed=ACCESSED)
            title = citations.chart_title(data)
        (entry,) = parse_bibtex(cited.bibtex)
        assert unescape(entry["title"]) == title, lang


def test_bibtex_special_characters_are_escaped_and_braces_cannot_break_the_entry():
    nasty = "R&D {50%} of_firms #1 $5 \\end ~x^2 «سهم» ٪"
    text = citations._bibtex_entry("misc", "k", [("title", nasty), ("url", "https://x.test/?a=1&b={2}")])
    (entry,) = parse_bibtex(text)
    assert entry["title"].startswith(r"R\&D (50\%) of\_firms \#1 \$5 /end")
    assert "«سهم» ٪" in entry["title"]
    assert entry["url"] == "https://x.test/?a=1&b=%7B2%7D"
    assert text.count("{") == text.count("}")


def test_a_figure_cites_its_source_with_the_quotes_place_then_the_dashboard(seeded):
    data = compare_data("ar")
    figure = data["figures"][0]
    quote_url = f"https://sme.example.org{figure['source']['quote_url']}"
    with translation.override("ar"):
        cited = citations.figure_citation(figure, quote_url=quote_url, permalink=PERMALINK, accessed=ACCESSED)
    source_line, dashboard_line = cited.apa.split("\n")
    assert source_line.startswith(figure["source"]["title"]) and quote_url in source_line
    assert figure["quote"][:30] in source_line  # the source's own words, in its own language
    assert dashboard_line.startswith("SMEdash. (") and dashboard_line.endswith(PERMALINK)
    assert figure["value_display"] in dashboard_line

    source_entry, dashboard_entry = parse_bibtex(cited.bibtex)
    assert unescape(source_entry["title"]) == figure["source"]["title"]
    assert quote_url in unescape(source_entry["note"]) and source_entry["url"] == quote_url
    assert source_entry["language"] == "persian"  # the quote's language, not the page's
    assert dashboard_entry["url"] == PERMALINK and dashboard_entry["language"] == "arabic"
    records = cited.ris.strip().split("\r\nER  -")[:-1]
    assert len(records) == 2 and "UR  - " + quote_url in records[0]


def test_a_figure_on_its_sources_page_names_the_kind_of_document(seeded):
    from indicators.pages import source_page

    with translation.override("en"):
        data = source_page(SOURCE_ID, 1)
        figure = data["figures"][0]
        cited = citations.figure_citation(
            figure, source=data["source"], quote_url="https://x.test/q", permalink="https://x.test/q", accessed=ACCESSED
        )
    assert "[Thesis]" in cited.apa
    source_entry, _dashboard = parse_bibtex(cited.bibtex)
    assert source_entry["ENTRYTYPE"] == "thesis"
    assert cited.ris.startswith("TY  - THES\r\n")


def test_an_area_chart_citation_in_english(seeded):
    with translation.override("en"):
        data = area_page("IRN", 1)
        cited = citations.chart_citation(data, permalink="https://x.test/en/areas/IRN/", accessed=ACCESSED)
    assert "Iran: shares held by small and medium enterprises (" in cited.apa
    assert "Retrieved December 2, 2026, from https://x.test/en/areas/IRN/" in cited.apa


def test_ris_path_sits_beside_the_page_with_its_query():
    page = "/fa/compare/firm_share/?areas=IRN&year=latest"
    assert citations.ris_path(page) == "/fa/compare/firm_share/cite.ris?areas=IRN&year=latest"
    assert citations.ris_path(page, 12) == "/fa/compare/firm_share/cite.ris?areas=IRN&year=latest&figure=12"
    assert citations.ris_path("/en/sources/a.txt/", 3) == "/en/sources/a.txt/cite.ris?figure=3"


# Over HTTP ----------------------------------------------------------------------------------------------------


def test_the_chart_ris_is_a_file_of_its_own_type(client, seeded):
    response = client.get("/fa/compare/firm_share/cite.ris?areas=IRN,JPN")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="smedash-firm_share-IRN-JPN.ris"')
    assert unquote(disposition.split("filename*=utf-8''")[1]).endswith("ایران-ژاپن.ris")
    text = response.content.decode("utf-8")
    assert text.startswith("TY  - ELEC\r\n") and "UR  - http://testserver/fa/compare/firm_share/?areas=IRN,JPN" in text


def test_a_figures_ris_and_its_mistakes(client, seeded):
    data = compare_data("en")
    figure_id = data["figures"][0]["id"]
    response = client.get(f"/en/compare/firm_share/cite.ris?areas=IRN,JPN&figure={figure_id}")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'-Iran-Japan-figure-{figure_id}.ris"')
    assert response.content.decode().count("ER  - ") == 2
    assert client.get("/en/compare/firm_share/cite.ris?areas=IRN,JPN&figure=999999").status_code == 404
    bad = client.get("/fa/compare/firm_share/cite.ris?figure=abc")
    assert bad.status_code == 400 and re.search("[\u0600-\u06ff]", bad.content.decode())
    assert client.get("/ar/areas/IRN/cite.ris?page=99").status_code == 400
    assert client.get("/en/areas/NOPE/cite.ris").status_code == 404


def test_a_sources_ris_names_one_of_its_figures(client, seeded):
    data = compare_data("en")
    figure_id = next(f["id"] for f in data["figures"] if f["source"]["identifier"] == SOURCE_ID)
    response = client.get(f"/en/sources/{SOURCE_ID}/cite.ris?figure={figure_id}")
    assert response.status_code == 200 and response.content.decode().startswith("TY  - THES\r\n")
    assert client.get(f"/en/sources/{SOURCE_ID}/cite.ris").status_code == 404  # which figure?
    assert client.get("/en/sources/no-such.txt/cite.ris?figure=1").status_code == 404


# On the pages -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_a_chart_page_has_a_cite_box_for_its_chart_and_each_figure(client, seeded, lang):
    html = client.get(f"/{lang}/compare/firm_share/?areas=IRN,JPN").content.decode()
    data = compare_data(lang)
    assert html.count('id="cite-chart"') == 1
    for f in data["figures"] + data["not_charted"]:
        assert f'id="cite-{f["anchor"]}"' in html
        assert (
            f'href="/{lang}/compare/firm_share/cite.ris?areas=IRN,JPN&amp;year=latest&amp;scope=all&amp;figure={f["id"]}"'
            in html
        )
    assert f'href="/{lang}/compare/firm_share/cite.ris?areas=IRN,JPN&amp;year=latest&amp;scope=all"' in html
    assert html.count('class="action copy-button"') == 2 * (1 + len(data["figures"]) + len(data["not_charted"]))
    # The menu: five downloads, the images beside the PNG with the page's query.
    for fmt in ("png", "svg", "pdf"):
        assert f'href="/{lang}/compare/firm_share/chart.{fmt}?areas=IRN,JPN&amp;year=latest&amp;scope=all"' in html
    assert re.search(r'<details class="downloads-menu share-menu" id="downloads-menu">\s*<summary', html)


def test_the_boxes_escape_what_they_quote(client, seeded):
    from indicators.models import Source

    Source.objects.filter(identifier=SOURCE_ID).update(title_en='<script>alert(1)</script> & "x"')
    from indicators.writes import figures_changed

    figures_changed()
    html = client.get(f"/en/sources/{SOURCE_ID}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html


def test_a_sources_page_has_a_cite_box_beside_each_figure(client, seeded):
    html = client.get(f"/fa/sources/{SOURCE_ID}/").content.decode()
    boxes = re.findall(r'<details class="cite-box share-menu" id="cite-q-(\d+)"', html)
    assert boxes
    assert f'/fa/sources/{SOURCE_ID}/cite.ris?figure={boxes[0]}"' in html
    assert "css/share.css" in html and "js/share.js" in html
