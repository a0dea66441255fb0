"""The read-only JSON API under /api/v1/: filters, validation, pagination, caching, OpenAPI."""

import pytest
from django.core.cache import cache
from django.urls import URLPattern, get_resolver, resolve

from indicators import api
from indicators.models import Observation


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_areas_with_names_in_the_language_asked_for(client, seeded):
    english = get(client, "/api/v1/areas")
    assert english["count"] == len(english["results"]) == 9
    iran = next(a for a in english["results"] if a["code"] == "IRN")
    assert iran == {"code": "IRN", "kind": "country", "name": "Iran", "parent": None}
    persian = get(client, "/api/v1/areas?lang=fa&kind=country")
    assert {a["kind"] for a in persian["results"]} == {"country"}
    assert next(a for a in persian["results"] if a["code"] == "IRN")["name"] == "ایران"


def test_indicators_and_sources(client, seeded):
    indicators = get(client, "/api/v1/indicators?lang=ar")
    firm_share = next(i for i in indicators["results"] if i["code"] == "firm_share")
    assert firm_share["unit"] == "percent"
    assert firm_share["name"] == "حصة المنشآت الصغيرة والمتوسطة من عدد المنشآت"
    sources = get(client, "/api/v1/sources")
    assert sources["count"] == 5
    counts = {s["identifier"]: s["observations"] for s in sources["results"]}
    assert counts["000_939c0177dc8ceb3f.txt"] == 0  # registered, but gives no figures
    assert sum(counts.values()) == Observation.objects.published().count()


def test_observations_carry_every_column_with_source_and_quote(client, seeded):
    page = get(client, "/api/v1/observations?area=KOR&indicator=employment_share&lang=fa")
    assert page["count"] == len(page["results"]) >= 1
    korea = next(o for o in page["results"] if o["value"] == 57.5)
    assert korea["year"] is None
    assert korea["area_name"] == "کره جنوبی"
    assert korea["quote"]
    assert set(korea) >= {"id", "source", "source_title", "unit", "qualifier", "scope", "note", "definition"}


def test_filters_are_normalised_and_combined(client, seeded):
    both = get(client, "/api/v1/observations?area=jpn,irn")
    same = get(client, "/api/v1/observations?area=IRN&area=JPN")
    assert both == same
    assert {o["area"] for o in both["results"]} == {"IRN", "JPN"}
    assert both["count"] == Observation.objects.published().filter(area__code__in=["IRN", "JPN"]).count()

    ranged = get(client, "/api/v1/observations?year_from=1990&year_to=2013&scope=industry")
    assert {o["year"] for o in ranged["results"]} == {1994, 1996, 2013}  # no figure without a year
    assert {o["scope"] for o in ranged["results"]} == {"industry"}
    assert get(client, "/api/v1/observations?year_from=1978&year_to=1978&scope=economy,industry")["count"] == 4

    source = "003_a9bddf9fb0107279.txt"
    from_source = get(client, f"/api/v1/observations?source={source}")
    assert {o["source"] for o in from_source["results"]} == {source}


def test_only_published_observations(client, seeded):
    Observation.objects.filter(area__code="SYR").update(status=Observation.Status.DRAFT)
    page = get(client, "/api/v1/observations?limit=1000")
    assert page["count"] == Observation.objects.published().count()
    assert "SYR" not in {o["area"] for o in page["results"]}


def test_pagination_with_a_capped_limit(client, seeded):
    total = Observation.objects.published().count()
    first = get(client, "/api/v1/observations?limit=20&area=irn")
    assert first["limit"] == 20 and first["offset"] == 0 and first["previous"] is None
    everything = get(client, "/api/v1/observations?limit=1000")
    assert everything["count"] == total and everything["next"] is None
    page = get(client, "/api/v1/observations?limit=20")
    seen = list(page["results"])
    while page["next"]:
        assert page["next"].startswith("/api/v1/observations?")
        page = get(client, page["next"])
        seen.extend(page["results"])
    assert [o["id"] for o in seen] == [o["id"] for o in everything["results"]]
    assert get(client, "/api/v1/observations?limit=999999")["limit"] == api.MAX_LIMIT
    assert get(client, f"/api/v1/observations?offset={total + 10}")["results"] == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("year_from=abc", "year_from"),
        ("year_to=20.5", "year_to"),
        ("year_from=1800", "year_from"),
        ("year_from=2010&year_to=2000", "year_to"),
        ("year_from=" + "9" * 5000, "year_from"),
        ("year_from=۱۳۹۲", "year_from"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("offset=x", "offset"),
        ("lang=xx", "lang"),
        ("lang=en&lang=fa", "lang"),
        ("area=XYZ", "area"),
        ("area=IRN,XYZ", "area"),
        ("area=<script>", "area"),
        ("indicator=no_such_thing", "indicator"),
        ("source=nope.txt", "source"),
        ("scope=galaxy", "scope"),
        ("years_from=2000", "years_from"),
    ],
)
def test_bad_parameters_are_a_400_with_a_message(client, seeded, query, parameter):
    body = get(client, f"/api/v1/observations?{query}", status=400)
    assert body["parameter"] == parameter
    assert body["error"]


def test_error_messages_follow_lang(client, seeded):
    body = get(client, "/api/v1/observations?lang=fa&year_from=abc", status=400)
    assert body["error"] == "year_from باید عددی صحیح از 1900 تا 2100 باشد."
    assert "Unknown parameter" in get(client, "/api/v1/areas?x=1", status=400)["error"]


def test_reference_lists_refuse_bad_parameters_too(client, seeded):
    assert get(client, "/api/v1/areas?kind=planet", status=400)["parameter"] == "kind"
    assert get(client, "/api/v1/indicators?lang=de", status=400)["parameter"] == "lang"
    assert get(client, "/api/v1/sources?page=2", status=400)["parameter"] == "page"


def test_read_only(client, seeded):
    assert client.post("/api/v1/observations").status_code == 405
    assert client.delete("/api/v1/areas").status_code == 405


def test_a_constant_number_of_queries(client, seeded, django_assert_max_num_queries):
    # Validation of three code filters, the count and the page: never one query per row.
    with django_assert_max_num_queries(5):
        get(client, "/api/v1/observations?area=IRN,JPN,KOR&indicator=firm_share&source=001_e2e29c5eae0b9509.txt")
    with django_assert_max_num_queries(2):
        get(client, "/api/v1/observations?limit=1000&lang=ar")
    for url in ("/api/v1/areas", "/api/v1/indicators", "/api/v1/sources"):
        with django_assert_max_num_queries(1):
            get(client, url)


def test_responses_are_cached_until_the_data_changes(
    client, seeded, django_assert_num_queries, django_capture_on_commit_callbacks
):
    url = "/api/v1/observations?area=IRN&lang=fa"
    first = get(client, url)
    with django_assert_num_queries(1):  # only the area code is checked; the page comes from the cache
        assert get(client, "/api/v1/observations?lang=fa&area=irn") == first
    obs = Observation.objects.published().filter(area__code="IRN").first()
    with django_capture_on_commit_callbacks(execute=True):
        obs.note_fa = "یادداشت تازه"
        obs.save()
    changed = get(client, url)
    assert next(o for o in changed["results"] if o["id"] == obs.pk)["note"] == "یادداشت تازه"


def test_openapi_describes_every_route_and_exactly_its_parameters(client, seeded):
    document = get(client, "/api/v1/openapi.json")
    assert document["openapi"].startswith("3.")
    parameters = document["components"]["parameters"]
    routes = [p for p in get_resolver().url_patterns if str(p.pattern) == "api/"][0].url_patterns
    for route in routes:
        assert isinstance(route, URLPattern)
        path = f"/api/{route.pattern}"
        assert path in document["paths"], path
        view = resolve(path).func
        described = set()
        for parameter in document["paths"][path]["get"]["parameters"]:
            if "$ref" in parameter:
                parameter = parameters[parameter["$ref"].rsplit("/", 1)[-1]]
            described.add(parameter["name"])
        assert described == set(view.allowed_parameters), path


def test_every_reference_in_the_openapi_document_resolves(client, seeded):
    document = get(client, "/api/v1/openapi.json")

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = list(refs(document))
    assert found
    for ref in found:
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        assert isinstance(target, dict), ref
