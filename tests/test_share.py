"""Sharing beyond the site (issue 14): link previews (Open Graph, Twitter cards), what search
engines read (meta description, canonical, hreflang, sitemap.xml, robots.txt) and the embed
views other sites may frame, while every other page still refuses to be framed."""

import json
import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.template.loader import get_template, render_to_string
from django.test.utils import CaptureQueriesContext, ContextList
from django.utils import translation

from countries.models import Area
from indicators import png, share
from indicators.comparison import compare_page
from indicators.models import Indicator, Observation, Source
from indicators.pages import area_page
from indicators.params import CompareParams

LANGS = ["en", "ar", "fa"]
DIRECTION = {"en": "ltr", "ar": "rtl", "fa": "rtl"}
LOCALES = {"en": "en_US", "ar": "ar_AR", "fa": "fa_IR"}
DIGITS = {"en": "0123456789", "ar": "٠١٢٣٤٥٦٧٨٩", "fa": "۰۱۲۳۴۵۶۷۸۹"}
# The tail of every chart description, as each language says it.
TAIL = {
    "en": "Every figure with its source and the sentence it was taken from.",
    "ar": "كل رقم مع مصدره والجملة التي أُخذ منها.",
    "fa": "هر رقم با منبعش و جمله‌ای که از آن برداشته شده است.",
}
SOURCE_ID = "001_e2e29c5eae0b9509.txt"
EMPTY_SOURCE_ID = "000_939c0177dc8ceb3f.txt"
COMPARE = "/compare/firm_share/?areas=IRN,JPN&year=all"
CHART_PAGES = [COMPARE, "/areas/IRN/", "/areas/EU25/", "/areas/IR-02/"]
PUBLIC_PAGES = [
    "/",
    "/compare/firm_share/",
    *CHART_PAGES,
    "/sources/",
    f"/sources/{SOURCE_ID}/",
    f"/sources/{EMPTY_SOURCE_ID}/",
    "/about/",
]
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


class Head(HTMLParser):
    """The <meta> and <link> tags of a page: meta[name or property] -> [contents], links."""

    def __init__(self, html):
        super().__init__()
        self.meta, self.links = {}, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("name" in attrs or "property" in attrs):
            self.meta.setdefault(attrs.get("property") or attrs["name"], []).append(attrs.get("content"))
        elif tag == "link":
            self.links.append(attrs)

    def one(self, key):
        values = self.meta.get(key, [])
        assert len(values) == 1, f"{key}: {values}"
        return values[0]

    def canonical(self):
        found = [link["href"] for link in self.links if link.get("rel") == "canonical"]
        assert len(found) == 1, found
        return found[0]

    def alternates(self):
        return {link["hreflang"]: link["href"] for link in self.links if link.get("rel") == "alternate"}


def get(client, url, status=200, **extra):
    response = client.get(url, **extra)
    assert response.status_code == status, (url, response.status_code)
    return response


def head_of(client, url, **extra):
    return Head(get(client, url, **extra).content.decode())


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- the presentation module on its own -------------------------------------------------------------


def test_names_are_listed_then_counted_in_the_readers_language():
    with translation.override("fa"):
        assert share._names(["الف", "ب"]) == "الف، ب"
        assert share._names([str(n) for n in range(8)]) == "0، 1، 2، 3، 4 و ۳ مورد دیگر"
    with translation.override("en"):
        assert share._names(list("abcdefg")) == "a, b, c, d, e and 2 more"


@pytest.mark.parametrize(
    ("lang", "years", "expected"),
    [
        ("en", [None, 1974, 1996, 1978], "1974–1996"),
        ("fa", [1974], "۱۳۵۳ (۱۹۷۴)"),  # Persian readers see both calendars by default
        ("ar", [1974, 2013], "١٩٧٤–٢٠١٣"),
        ("fa", [None], "سال ذکر نشده"),
        ("ar", [], "السنة غير مذكورة"),
    ],
)
def test_years_are_the_first_and_last_in_local_digits(lang, years, expected):
    with translation.override(lang):
        assert share.years_label([{"year": y} for y in years]) == expected


def test_embed_and_preview_addresses_sit_beside_the_page():
    assert share.embed_path("/fa/compare/firm_share/?areas=IRN") == "/fa/compare/firm_share/embed/?areas=IRN"
    assert share.embed_path("/ar/areas/IR-02/") == "/ar/areas/IR-02/embed/"
    assert share.share_image_path("/en/areas/IRN/chart.png") == "/en/areas/IRN/chart.png?size=share"
    assert share.share_image_path("/en/compare/x/chart.png?year=all") == "/en/compare/x/chart.png?year=all&size=share"


def test_embed_height_follows_the_chart_within_bounds():
    data = {"flag_legend": [1, 2], "notices": [1], "not_charted": []}
    lines = 2 * share.EMBED_SECTION + 3 * share.EMBED_LINE
    assert share.embed_height(600, data) == 600 + share.EMBED_FRAME + lines
    assert share.embed_height(100, {}) == share.EMBED_MIN_HEIGHT
    assert share.embed_height(5000, data) == share.EMBED_MAX_HEIGHT


def test_the_embed_is_as_tall_as_the_layout_an_articles_column_gets():
    wide, narrow = {"height": 600}, {"layout": {"height": 900}}
    assert share.chart_height({"layout": wide}) == 600
    assert share.chart_height({"layout": wide, "narrow": narrow, "wide_min_width": share.EMBED_COLUMN}) == 600
    assert share.chart_height({"layout": wide, "narrow": narrow, "wide_min_width": share.EMBED_COLUMN + 1}) == 900


def test_alternates_are_the_same_page_in_every_language_then_x_default():
    links = share.alternates("/fa/compare/firm_share/?areas=IRN", lambda path: f"https://sme.example.org{path}")
    assert links == [
        {"lang": "en", "url": "https://sme.example.org/en/compare/firm_share/?areas=IRN"},
        {"lang": "ar", "url": "https://sme.example.org/ar/compare/firm_share/?areas=IRN"},
        {"lang": "fa", "url": "https://sme.example.org/fa/compare/firm_share/?areas=IRN"},
        {"lang": "x-default", "url": "https://sme.example.org/compare/firm_share/?areas=IRN"},
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_a_comparison_is_described_by_indicator_areas_and_years_in_its_language(seeded, lang):
    with translation.override(lang):
        data = compare_page("firm_share", CompareParams(areas=("IRN", "JPN"), year="all"))
        text = share.describe(data)
        names = {f["area"]["name"] for f in data["figures"]}
        years = share.years_label(data["figures"])
        meta = share.page_meta(data, data["url"], lambda path: f"https://x.example{path}", (1200, 630))
    assert text.startswith(f"{data['indicator']['name']}: ")
    assert all(name in text for name in names) and len(names) == 2
    assert f"({years})" in text and set(years) & set(DIGITS[lang])
    assert text.endswith(TAIL[lang])
    assert meta["title"] == data["indicator"]["name"]
    assert meta["image"]["url"].startswith("https://x.example/") and meta["image"]["url"].endswith("size=share")
    assert meta["twitter_card"] == "summary_large_image"


@pytest.mark.parametrize("lang", LANGS)
def test_an_area_is_described_by_its_indicators_and_years(seeded, lang):
    with translation.override(lang):
        data = area_page("JPN", 1)
        text = share.describe(data)
        first = data["sections"][0]["indicator"]["name"]
    assert text.startswith(f"{data['area']['name']}: {first}")
    assert text.endswith(TAIL[lang])


def test_a_page_without_figures_names_no_preview_image(seeded):
    with translation.override("fa"):
        data = compare_page("firm_share", CompareParams(areas=("IRN",), year=1900))
        meta = share.page_meta(data, data["url"], lambda path: path, (1200, 630))
    assert data["figures"] == [] and meta["image"] is None and meta["twitter_card"] == "summary"
    assert meta["description"] == data["indicator"]["description"]


# --- link previews on the chart pages ----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", CHART_PAGES)
def test_chart_pages_carry_open_graph_and_twitter_tags_in_their_language(client, seeded, lang, page):
    url = f"/{lang}{page}"
    head = head_of(client, url)
    assert head.one("og:locale") == LOCALES[lang]
    assert sorted(head.meta["og:locale:alternate"]) == sorted(v for k, v in LOCALES.items() if k != lang)
    assert head.one("og:type") == "website"
    assert head.one("og:site_name") and head.one("og:title")
    description = head.one("og:description")
    assert description == head.one("description") and description.endswith(TAIL[lang])
    if lang != "en":
        assert not re.search("[A-Za-z]", description), description  # no English left in it
    canonical = head.canonical()
    assert head.one("og:url") == canonical and canonical.startswith(f"http://testserver/{lang}/")
    image = head.one("og:image")
    assert image.startswith(f"http://testserver/{lang}/") and "/chart.png" in image
    assert parse_qs(urlsplit(image).query)["size"] == ["share"]
    assert (head.one("og:image:width"), head.one("og:image:height")) == ("1200", "630")
    assert head.one("og:image:type") == "image/png"
    assert head.one("og:image:alt") == head.one("twitter:image:alt") != ""
    assert head.one("twitter:card") == "summary_large_image"


def test_preview_tags_are_in_the_pages_language(client, seeded):
    fa, ar = head_of(client, f"/fa{COMPARE}"), head_of(client, f"/ar{COMPARE}")
    assert fa.one("og:title") == "سهم بنگاه‌های کوچک و متوسط از تعداد بنگاه‌ها"
    assert "ایران" in fa.one("og:description") and "ژاپن" in fa.one("og:description")
    assert "إيران" in ar.one("og:description") and "اليابان" in ar.one("og:description")
    assert fa.one("og:image:alt").startswith("نمودار میله‌ای: ")
    assert ar.one("og:image:alt").startswith("رسم بياني بالأعمدة: ")


def test_the_preview_image_is_the_pages_png_at_1200_by_630_and_cached(client, seeded, monkeypatch):
    drawn = []
    monkeypatch.setattr(png, "_render", lambda figure, opts, timeout: drawn.append(opts) or TINY_PNG)
    image = head_of(client, f"/fa{COMPARE}").one("og:image")
    for _attempt in range(2):
        response = get(client, path_of(image))
        assert response["Content-Type"] == "image/png" and response.content == TINY_PNG
    assert [(opts["width"], opts["height"], opts["scale"]) for opts in drawn] == [(1200, 630, 1.0)]  # drawn once


def test_addresses_come_from_site_url_when_it_is_set(client, seeded, settings):
    settings.SITE_URL = "https://sme.example.org"
    head = head_of(client, f"/ar{COMPARE}")
    assert head.canonical().startswith("https://sme.example.org/ar/compare/firm_share/?")
    assert head.one("og:image").startswith("https://sme.example.org/ar/compare/firm_share/chart.png?")
    assert all(url.startswith("https://sme.example.org/") for url in head.alternates().values())


def test_a_chart_page_without_figures_has_no_preview_image(client, seeded):
    head = head_of(client, "/en/compare/firm_share/?areas=IRN&year=1900")
    assert "og:image" not in head.meta and head.one("twitter:card") == "summary"


# --- search engines: every public page ----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_every_public_page_has_a_description_canonical_and_absolute_alternates(client, seeded, lang, page):
    head = head_of(client, f"/{lang}{page}")
    description = head.one("description")
    assert len(description) > 40
    if lang != "en":
        assert re.search("[\u0600-\u06ff]", description), description
    canonical = head.canonical()
    assert canonical.startswith(f"http://testserver/{lang}/")
    alternates = head.alternates()
    assert set(alternates) == {"en", "ar", "fa", "x-default"}
    assert alternates[lang] == canonical
    for other in LANGS:
        assert alternates[other] == canonical.replace(f"/{lang}/", f"/{other}/", 1)
    assert alternates["x-default"] == canonical.replace(f"/{lang}/", "/", 1)
    # The canonical address is served, in the same language.
    assert get(client, path_of(canonical))["Content-Language"] == lang


def test_descriptions_differ_by_page_and_language(client, seeded):
    descriptions = {
        (lang, page): head_of(client, f"/{lang}{page}").one("description") for lang in LANGS for page in PUBLIC_PAGES
    }
    assert len(set(descriptions.values())) == len(descriptions)


def test_x_default_sends_the_reader_to_their_language(client, seeded):
    x_default = head_of(client, f"/fa{COMPARE}").alternates()["x-default"]
    response = client.get(path_of(x_default), HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 302 and response["Location"] == path_of(x_default).replace("/", "/ar/", 1)


def test_a_later_page_is_its_own_canonical(client, seeded):
    from tests.test_scale import add_countries

    add_countries(12)
    head = head_of(client, "/en/?page=2")
    assert head.canonical() == "http://testserver/en/?page=2"
    assert head.alternates()["fa"] == "http://testserver/fa/?page=2"


def test_a_quotes_link_has_its_sources_page_as_canonical(client, seeded):
    figure = Observation.objects.filter(source__identifier=SOURCE_ID, status="published").first()
    head = head_of(client, f"/fa/sources/{SOURCE_ID}/?figure={figure.id}")
    assert head.canonical() == f"http://testserver/fa/sources/{SOURCE_ID}/"


def test_bad_queries_still_describe_the_page_shown(client, seeded):
    response = get(client, "/fa/compare/firm_share/?year=abc", status=400)
    head = Head(response.content.decode())
    assert head.canonical().startswith("http://testserver/fa/compare/firm_share/")
    assert "og:image" not in head.meta


# --- the sitemap and robots.txt ------------------------------------------------------------------------

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


def sitemap(client):
    response = get(client, "/sitemap.xml")
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own sitemap)
    urls = {}
    for entry in root.findall("s:url", SITEMAP_NS):
        location = entry.find("s:loc", SITEMAP_NS).text
        links = {link.get("hreflang"): link.get("href") for link in entry.findall("x:link", SITEMAP_NS)}
        urls[location] = links
    return urls


def expected_pages():
    areas = Area.objects.values_list("code", flat=True)
    indicators = Indicator.objects.values_list("code", flat=True)
    sources = Source.objects.values_list("identifier", flat=True)
    # A trend page for each indicator that some area has published figures of in two years or more,
    # counted here from the figures themselves, not from the coverage summary the sitemap reads.
    over_years = (
        Observation.objects.filter(status=Observation.Status.PUBLISHED, year__isnull=False)
        .order_by()
        .values("indicator__code", "area")
        .annotate(years=Count("year", distinct=True))
        .filter(years__gte=2)
    )
    trends = {row["indicator__code"] for row in over_years}
    assert trends, "the seed has figures of one area over several years"
    return {
        "/",
        "/sources/",
        "/about/",
        *(f"/compare/{code}/" for code in indicators),
        *(f"/areas/{code}/" for code in areas),
        *(f"/sources/{identifier}/" for identifier in sources),
        *(f"/trends/{code}/" for code in trends),
    }


def test_the_sitemap_lists_every_public_page_in_three_languages_with_alternates(client, seeded):
    urls = sitemap(client)
    pages = expected_pages()
    assert set(urls) == {f"http://testserver/{lang}{page}" for lang in LANGS for page in pages}
    assert f"http://testserver/fa/sources/{EMPTY_SOURCE_ID}/" in urls  # a source with no figures has a page
    for location, links in urls.items():
        page = location.removeprefix("http://testserver").split("/", 2)[2]
        assert links == {
            "en": f"http://testserver/en/{page}",
            "ar": f"http://testserver/ar/{page}",
            "fa": f"http://testserver/fa/{page}",
            "x-default": f"http://testserver/{page}",
        }
    # Every page listed is served.
    for page in pages:
        get(client, f"/fa{page}")


def test_the_sitemap_lists_only_what_has_published_figures(client, seeded, django_capture_on_commit_callbacks):
    norway = Area.objects.create(code="NOR", kind=Area.Kind.COUNTRY, name_en="Norway")
    empty = Indicator.objects.create(code="sme_loans_share", name_en="SME loans", unit=Indicator.Unit.PERCENT)
    draft = Observation.objects.create(
        area=norway, indicator=empty, source=Source.objects.first(), value=40, quote="q", status="draft"
    )
    urls = sitemap(client)
    assert not any("/areas/NOR/" in url or "/compare/sme_loans_share/" in url for url in urls)
    # Published: listed at once, the sitemap kept for the old data version no longer used.
    draft.status = "published"
    with django_capture_on_commit_callbacks(execute=True):
        draft.save()
    urls = sitemap(client)
    for lang in LANGS:
        assert f"http://testserver/{lang}/areas/NOR/" in urls
        assert f"http://testserver/{lang}/compare/sme_loans_share/" in urls


def test_the_sitemap_is_kept_until_the_data_changes(client, seeded):
    first = get(client, "/sitemap.xml")
    with CaptureQueriesContext(connection) as queries:
        again = get(client, "/sitemap.xml", HTTP_ACCEPT_LANGUAGE="fa")
    assert len(queries) == 0 and again.content == first.content
    assert "max-age" in again["Cache-Control"]


def test_the_sitemap_uses_site_url(client, seeded, settings):
    settings.SITE_URL = "https://sme.example.org"
    urls = sitemap(client)
    assert "https://sme.example.org/fa/areas/IRN/" in urls
    assert urls["https://sme.example.org/fa/areas/IRN/"]["x-default"] == "https://sme.example.org/areas/IRN/"


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_the_admin(client, seeded, settings):
    text = get(client, "/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text.splitlines()
    assert {"Disallow: /en/admin/", "Disallow: /ar/admin/", "Disallow: /fa/admin/"} <= set(text.splitlines())
    assert "Disallow: /en/" not in text.splitlines()
    settings.SITE_URL = "https://sme.example.org"
    assert "Sitemap: https://sme.example.org/sitemap.xml" in get(client, "/robots.txt").content.decode()


# --- the embed views -----------------------------------------------------------------------------------

EMBEDS = [("/compare/firm_share/", COMPARE.partition("?")[2]), ("/areas/IRN/", ""), ("/areas/IR-02/", "")]


def embed_url(lang, page, query):
    return f"/{lang}{page}embed/" + (f"?{query}" if query else "")


def chart_json(html):
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no chart on the page"
    return found.group(1)


def flag_legend(html):
    return re.findall(r'<li class="flag flag-([a-z_]+)">', html.partition('class="flag-legend"')[2])


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("page", "query"), EMBEDS)
def test_the_embed_shows_the_pages_chart_flags_and_sources_without_navigation(client, seeded, lang, page, query):
    page_html = get(client, f"/{lang}{page}" + (f"?{query}" if query else "")).content.decode()
    html = get(client, embed_url(lang, page, query)).content.decode()
    assert f'<html lang="{lang}" dir="{DIRECTION[lang]}">' in html
    assert chart_json(html) == chart_json(page_html)  # the same figure, bars, flags and notes
    assert flag_legend(html) == flag_legend(page_html) != []
    assert "site-nav" not in html and "language-nav" not in html and "<form" not in html
    assert '<base target="_blank">' in html  # links leave the frame: the full pages refuse to be framed
    head = Head(html)
    assert head.one("robots") == "noindex"
    assert head.canonical() == Head(page_html).canonical()
    assert f'href="{head.canonical()}"'.replace("&", "&amp;") in html  # the link back to the full page
    for source in re.findall(r'<a href="(/[a-z]{2}/sources/[^"]+/)"', html):
        assert source in page_html


def test_the_embed_is_translated(client, seeded):
    fa = get(client, "/fa/compare/firm_share/embed/").content.decode()  # three sources
    ar = get(client, "/ar/areas/IR-02/embed/").content.decode()  # one
    assert "باز کردن صفحهٔ کامل" in fa and "منابع:" in fa and "معنای نشانه‌ها" in fa
    assert "فتح الصفحة الكاملة" in ar and "المصدر:" in ar
    assert "Bar chart" not in fa + ar and "Open the full page" not in fa + ar and "Source" not in fa + ar


def test_the_embed_code_is_plain_text_with_its_attributes_escaped():
    data = {"kind": "compare", "indicator": {"name": 'A "quoted" </textarea> name'}, "url": "/en/compare/x/?a=1&b=2"}
    with translation.override("en"):
        code = share.embed_code(data, lambda path: f"https://sme.example.org{path}", 500)
    assert type(code) is str  # not marked safe: a template escapes it again
    assert code.startswith('<iframe src="https://sme.example.org/en/compare/x/embed/?a=1&amp;b=2" ')
    assert 'title="A &quot;quoted&quot; &lt;/textarea&gt; name · SMEdash"' in code
    frame, script = code.split("\n")
    assert frame.endswith("></iframe>")
    # The frame's height follows the embed view, from this site's messages only.
    assert script.startswith("<script>") and script.endswith("</script>") and script.count("<") == 2
    assert "e.origin!=='https://sme.example.org'" in script and "smedash:embed-height" in script


def test_the_resize_script_cannot_be_broken_out_of_by_the_sites_address():
    script = share.resize_script("https://x.test'<b>:8000/")
    assert "'<b>" not in script and script.count("<") == 2


FRAME_ANYWHERE = "frame-ancestors *"


def assert_frameable(response):
    assert FRAME_ANYWHERE in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


def assert_not_frameable(response):
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("lang", LANGS)
def test_only_the_embed_views_may_be_framed(client, seeded, lang):
    for page, query in EMBEDS:
        assert_frameable(get(client, embed_url(lang, page, query)))
    for page in PUBLIC_PAGES:
        assert_not_frameable(get(client, f"/{lang}{page}"))
    for page in ("/compare/firm_share/data.json", "/areas/IRN/data.json", "/no-such-page/"):
        response = client.get(f"/{lang}{page}")
        assert response["X-Frame-Options"] == "DENY" and FRAME_ANYWHERE not in response["Content-Security-Policy"]


def test_the_embed_is_kept_whole_and_stays_frameable(client, seeded, django_assert_num_queries):
    url = embed_url("fa", *EMBEDS[0])
    first = get(client, url)
    with django_assert_num_queries(0):
        again = get(client, url)
    assert again.content == first.content
    assert_frameable(again)  # the kept copy too, not the site's policy
    assert_not_frameable(get(client, f"/fa{COMPARE}"))
    assert_not_frameable(get(client, f"/fa{COMPARE}"))  # and a kept page is still refused


@pytest.mark.parametrize(
    ("lang", "query", "message"),
    [
        ("fa", "year=abc", "abc"),
        ("ar", "areas=XXX", "XXX"),
        ("en", "page=9", "There is no page 9"),
    ],
)
def test_a_bad_query_gives_the_pages_translated_400_in_the_frame(client, seeded, lang, query, message):
    page = get(client, f"/{lang}/compare/firm_share/?{query}", status=400).content.decode()
    embed = get(client, f"/{lang}/compare/firm_share/embed/?{query}", status=400)
    assert_frameable(embed)
    html = embed.content.decode()
    errors = re.findall(r"<li>([^<]*)</li>", html.partition('role="alert"')[2].partition("</ul>")[0])
    assert errors and all(error in page for error in errors)
    assert any(message in error for error in errors)
    if lang != "en":
        assert all(re.search("[\u0600-\u06ff]", error) for error in errors), errors
    assert 'id="chart-data"' not in html
    assert client.get(f"/{lang}/compare/firm_share/embed/?{query}").status_code == 400  # never kept


def test_an_unknown_chart_gives_a_translated_404_in_the_frame(client, seeded):
    response = get(client, "/fa/compare/no_such_indicator/embed/", status=404)
    assert_frameable(response)
    html = response.content.decode()
    assert "no_such_indicator" in html and 'dir="rtl"' in html and "این نما را نمی‌توان نشان داد" in html
    response = get(client, "/ar/areas/XYZ/embed/", status=404)
    assert "XYZ" in response.content.decode() and 'dir="rtl"' in response.content.decode()


# --- the "Embed" action under each chart -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("page", "query"), EMBEDS)
def test_the_embed_action_gives_iframe_code_for_the_embed_view(client, seeded, lang, page, query):
    response = get(client, f"/{lang}{page}" + (f"?{query}" if query else ""))
    head = Head(response.content.decode())
    code, script = response.context["embed_code"].split("\n")
    assert script == share.resize_script("http://testserver/")
    found = re.fullmatch(r'<iframe src="([^"]+)" title="([^"]+)" width="100%" height="(\d+)" (.*)></iframe>', code)
    assert found, code
    src, title, height = unescape(found.group(1)), unescape(found.group(2)), int(found.group(3))
    assert src == f"http://testserver{share.embed_path(path_of(head.canonical()))}"
    assert_frameable(get(client, path_of(src)))
    assert title.startswith(head.one("og:title"))
    assert share.EMBED_MIN_HEIGHT <= height <= share.EMBED_MAX_HEIGHT
    html = render_to_string("indicators/includes/embed_action.html", context_of(response))
    assert "<details" in html and 'readonly dir="ltr"' in html and 'id="copy-embed"' in html
    assert "&lt;iframe src=&quot;http://testserver/" in html  # the code as text, escaped once


@pytest.mark.parametrize(("page", "choice"), [("/en/areas/JPN/", "solar_hijri"), ("/fa/areas/JPN/", "gregorian")])
def test_the_embed_code_keeps_the_readers_calendar(client, seeded, page, choice):
    # The code is text in a textarea: the links' carrying of the choice does not reach it.
    response = get(client, f"{page}?calendar={choice}")
    src = unescape(re.search(r'<iframe src="([^"]+)"', response.context["embed_code"]).group(1))
    assert src.endswith(f"/embed/?calendar={choice}"), src
    framed = get(client, path_of(src)).content.decode()
    assert ("1357" in framed or "۱۳۵۷" in framed) == (choice == "solar_hijri")  # Japan, 1978


@pytest.mark.parametrize("page", ["/compare/firm_share/?areas=IR-02", "/areas/IRN/"])
def test_the_iframe_is_as_tall_as_the_chart_and_its_notes(client, seeded, page):
    response = get(client, f"/en{page}")
    chart = json.loads(chart_json(response.content.decode()))
    height = int(re.search(r'height="(\d+)"', response.context["embed_code"]).group(1))
    assert height == share.embed_height(share.chart_height(chart), response.context["data"])
    assert height > share.chart_height(chart) + share.EMBED_FRAME


def test_the_embed_action_is_not_offered_without_a_chart(client, seeded):
    response = get(client, "/en/compare/firm_share/?areas=IRN&year=1900")
    assert "embed_code" not in response.context
    assert render_to_string("indicators/includes/embed_action.html", context_of(response)).strip() == ""


def context_of(response):
    """The context a view rendered its page with, as one dict."""
    context = response.context
    return (context[0] if isinstance(context, ContextList) else context).flatten()


CHART_ACTIONS = "indicators/includes/chart_actions.html"


@pytest.mark.parametrize("lang", LANGS)
def test_the_embed_action_is_under_each_chart(client, seeded, lang):
    # The chart's actions are another developer's file: it gets its include line from the lead.
    if "embed_action.html" not in get_template(CHART_ACTIONS).template.source:
        pytest.skip(f"{CHART_ACTIONS} does not include indicators/includes/embed_action.html yet")
    for page, query in EMBEDS:
        html = get(client, f"/{lang}{page}" + (f"?{query}" if query else "")).content.decode()
        assert 'class="embed-action"' in html and 'src="/static/js/embed.js"' in html
