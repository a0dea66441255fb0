"""The read-only JSON API under /api/v1/: filters, validation, pagination, caching, OpenAPI."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, get_resolver, resolve, reverse

from countries.models import Area
from indicators import api, api_params
from indicators.cache import data_version
from indicators.models import Indicator, Observation, Source

API_ROUTES = [p for p in get_resolver().url_patterns if str(p.pattern) == "api/"][0].url_patterns
API_PATHS = [reverse(f"api:{route.name}") for route in API_ROUTES]


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
    assert korea["area_name"] == "کرهٔ جنوبی"
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
    assert get(client, f"/api/v1/observations?limit={api_params.MAX_LIMIT}")["limit"] == api_params.MAX_LIMIT
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
        ("limit=1001", "limit"),
        ("limit=999999", "limit"),
        ("limit=", "limit"),
        ("limit=10&limit=20", "limit"),
        ("year_from=", "year_from"),
        ("lang=", "lang"),
        ("lang=EN", "lang"),
        ("area=", "area"),
        ("area=IRN,", "area"),
        ("area=IRN,,JPN", "area"),
        ("scope=", "scope"),
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


def test_empty_and_unknown_lang_are_refused_everywhere(client, seeded):
    for path in API_PATHS:
        if path.endswith("openapi.json"):
            continue  # takes no parameter at all
        for query in ("lang=", "lang=xx", "lang=en&lang=fa"):
            body = get(client, f"{path}?{query}", status=400)
            assert body["parameter"] == "lang", (path, query)
    # In the request's language, as no valid lang was given.
    response = client.get("/api/v1/areas?lang=", HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 400
    assert response.json() == {"error": "lang باید یکی از این‌ها باشد: en, ar, fa.", "parameter": "lang"}


def test_an_empty_code_is_refused_in_the_language_asked_for(client, seeded):
    body = get(client, "/api/v1/observations?lang=ar&area=IRN,", status=400)
    assert body == {"error": "قيمة فارغة لـ area: اذكر رمزًا واحدًا أو عدة رموز تفصل بينها فواصل.", "parameter": "area"}
    body = get(client, "/api/v1/areas?lang=fa&kind=", status=400)
    assert body == {"error": "مقدار خالی برای kind: یک کد یا چند کدِ جداشده با ویرگول بنویسید.", "parameter": "kind"}


def test_reference_lists_refuse_bad_parameters_too(client, seeded):
    assert get(client, "/api/v1/areas?kind=planet", status=400)["parameter"] == "kind"
    assert get(client, "/api/v1/areas?kind=Country", status=400)["parameter"] == "kind"
    assert get(client, "/api/v1/indicators?lang=de", status=400)["parameter"] == "lang"
    assert get(client, "/api/v1/sources?page=2", status=400)["parameter"] == "page"
    assert get(client, "/api/v1/openapi.json?lang=en", status=400)["parameter"] == "lang"


def test_every_kind_and_scope_the_document_allows_is_accepted(client, seeded):
    document = get(client, "/api/v1/openapi.json")
    kinds = parameter_schema(document, "/api/v1/areas", "kind")["items"]["enum"]
    assert kinds == Area.Kind.values
    for kind in kinds:
        assert {a["kind"] for a in get(client, f"/api/v1/areas?kind={kind}")["results"]} <= {kind}
    assert get(client, "/api/v1/areas?kind=" + ",".join(kinds))["count"] == Area.objects.count()
    scopes = parameter_schema(document, "/api/v1/observations", "scope")["items"]["enum"]
    assert scopes == Observation.Scope.values
    for scope in scopes:
        get(client, f"/api/v1/observations?scope={scope}")


def test_every_code_the_document_allows_is_accepted(client, seeded):
    document = get(client, "/api/v1/openapi.json")
    for name, codes in (
        ("area", Area.objects.values_list("code", flat=True)),
        ("indicator", Indicator.objects.values_list("code", flat=True)),
        ("source", Source.objects.values_list("identifier", flat=True)),
    ):
        enum = parameter_schema(document, "/api/v1/observations", name)["items"]["enum"]
        assert enum == sorted(codes), name
        assert get(client, f"/api/v1/observations?{name}=" + ",".join(enum))["count"] >= 0


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options", "trace", "QUERY"])
def test_other_methods_are_a_405_with_allow(seeded, method):
    client = Client(enforce_csrf_checks=True)  # as in production: no CSRF 403 before the 405
    for path in API_PATHS:
        response = client.generic(method.upper(), path)
        assert response.status_code == 405, (method, path, response.status_code)
        assert response["Allow"] == "GET, HEAD", path


def test_head_is_answered_like_get(client, seeded):
    for path in API_PATHS:
        response = client.head(path)
        assert response.status_code == 200, path
        assert response.getvalue() == b""


def test_every_json_answer_carries_the_contract_version(client, seeded):
    for url in ("/api/v1/areas", "/api/v1/indicators?lang=fa", "/api/v1/sources", "/api/v1/observations?limit=2"):
        body = get(client, url)
        assert body["version"] == api.VERSION == 1
        assert next(iter(body)) == "version", url  # first, where a reader looks
    download = json.loads(client.get("/api/v1/downloads/observations.json").getvalue())
    assert download["version"] == 1
    assert set(download) == {"version", "columns", "count", "observations"}
    assert "version" not in get(client, "/api/v1/areas?kind=planet", status=400)  # errors keep their shape
    document = get(client, "/api/v1/openapi.json")
    assert document["info"]["version"].startswith("1.")
    for name in ("AreaList", "IndicatorList", "SourceList", "ObservationPage", "ObservationDownload"):
        schema = document["components"]["schemas"][name]
        assert "version" in schema["required"] and schema["properties"]["version"]["const"] == 1, name


def test_a_constant_number_of_queries(client, seeded, django_assert_max_num_queries):
    data_version()  # read once while the cache keeps it, not per request: not counted here
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


def parameter_schema(document, path, name):
    (parameter,) = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    return parameter["schema"]


def test_openapi_describes_every_route_and_exactly_its_parameters(client, seeded):
    document = get(client, "/api/v1/openapi.json")
    assert document["openapi"].startswith("3.")
    assert len(document["paths"]) == len(API_ROUTES)
    for route in API_ROUTES:
        assert isinstance(route, URLPattern)
        path = f"/api/{route.pattern}"
        assert path in document["paths"], path
        view = resolve(path).func
        operation = document["paths"][path]["get"]
        described = [parameter["name"] for parameter in operation["parameters"]]
        assert described == list(view.allowed_parameters) == list(view.form_class.base_fields), path
        assert operation["responses"]["400"] == {"$ref": "#/components/responses/BadParameter"}, path


def test_openapi_parameters_come_from_the_forms_that_validate_them(client, seeded):
    document = get(client, "/api/v1/openapi.json")
    observations = "/api/v1/observations"
    assert parameter_schema(document, observations, "limit") == {
        "type": "integer",
        "minimum": 1,
        "maximum": api_params.MAX_LIMIT,
        "default": api_params.DEFAULT_LIMIT,
    }
    assert parameter_schema(document, observations, "year_from") == {
        "type": "integer",
        "minimum": 1900,
        "maximum": 2100,
    }
    assert parameter_schema(document, "/api/v1/areas", "lang") == {
        "type": "string",
        "enum": ["en", "ar", "fa"],
        "default": "en",
    }
    assert parameter_schema(document, "/api/v1/downloads/observations.csv", "lang") == {
        "type": "string",
        "enum": ["en", "ar", "fa"],
    }
    # The limits the document states are the ones enforced, on both sides of each.
    get(client, f"{observations}?limit=1000&year_from=1900&year_to=2100&offset=0")
    for query in ("limit=1001", "limit=0", "year_from=1899", "year_to=2101"):
        get(client, f"{observations}?{query}", status=400)


def test_the_json_download_is_described_as_the_object_it_is(client, seeded):
    document = get(client, "/api/v1/openapi.json")
    content = document["paths"]["/api/v1/downloads/observations.json"]["get"]["responses"]["200"]["content"]
    assert content == {"application/json": {"schema": {"$ref": "#/components/schemas/ObservationDownload"}}}
    schema = document["components"]["schemas"]["ObservationDownload"]
    assert schema["type"] == "object"
    record = document["components"]["schemas"]["ObservationRecord"]
    download = json.loads(client.get("/api/v1/downloads/observations.json?lang=fa").getvalue())
    assert set(download["observations"][0]) == set(record["properties"])
    assert set(record["required"]) <= set(download["observations"][0])


def test_downloads_without_lang_stay_language_less_whatever_the_request_language(client, seeded):
    persian = client.get("/api/v1/downloads/observations.json", HTTP_ACCEPT_LANGUAGE="fa").getvalue()
    english = client.get("/api/v1/downloads/observations.json", HTTP_ACCEPT_LANGUAGE="en").getvalue()
    assert persian == english
    assert "area_name" not in json.loads(persian)["columns"]
    with_lang = json.loads(client.get("/api/v1/downloads/observations.json?lang=en").getvalue())
    assert "area_name" in with_lang["columns"]  # a separate cache entry from the language-less file


def test_the_cache_keeps_each_language_apart(client, seeded):
    assert next(a for a in get(client, "/api/v1/areas?lang=fa")["results"] if a["code"] == "IRN")["name"] == "ایران"
    assert next(a for a in get(client, "/api/v1/areas")["results"] if a["code"] == "IRN")["name"] == "Iran"
    default = client.get("/api/v1/areas", HTTP_ACCEPT_LANGUAGE="ar").json()  # no lang: English names
    assert next(a for a in default["results"] if a["code"] == "IRN")["name"] == "Iran"


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
