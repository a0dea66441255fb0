"""Schemathesis against /api/v1/openapi.json, in-process on the WSGI app: the document tells the truth.

The same run as ``st run http://…/api/v1/openapi.json --checks all`` (every phase, every check),
through Schemathesis' engine on Django's WSGI application instead of over HTTP: cases generated
from the document (valid and invalid values, missing parameters, methods it does not list), and
every answer checked against it (status codes, content types, response schemas, valid data
accepted, invalid data refused, 405 with Allow for other methods). Deterministic generation and a
fixed number of examples: every run sends the same 740 or so requests (20 generated per operation, the
coverage phase adds its own, about 480), in about 16 seconds alone on two slow cores. Forty per operation
sent 200 more requests, found nothing more and cost 8 seconds (20 under the full suite's load).

The engine sends its requests from worker threads, which open their own database connection:
the seed data is committed (``transactional_db``), not left in the test's transaction.
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.urls import reverse
from schemathesis.engine import Status, StopReason, events, from_schema
from schemathesis.engine.run import PhaseName

from indicators import api_urls
from tests import seed_snapshot

SEED = 20260101  # deterministic generation needs none; it fixes anything else left to chance
MAX_EXAMPLES = 20  # per operation, for the fuzzing phase; the coverage phase adds its own cases
# Checks that must have run, not only been asked for.
CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "unsupported_method",
}


def configured():
    config = schemathesis.Config()
    config.update(seed=SEED, max_failures=None)
    project = config.projects.override
    project.checks.update(included_check_names=["all"])  # --checks all
    project.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
    return config


def year_range_in_order(context, case):
    """year_to before year_from is a 400 that the document states in words only (OpenAPI cannot
    relate two parameters): two years out of order are swapped, so a valid request stays valid."""
    query = case.query or {}
    first, last = (str(query.get(name, "")) for name in ("year_from", "year_to"))
    if first.isdigit() and last.isdigit() and int(first) > int(last):
        query["year_from"], query["year_to"] = query["year_to"], query["year_from"]
    return case


def wsgi_app():
    """Django's WSGI application, with the client address every server gives (Werkzeug's test
    client, through which Schemathesis calls it, gives none; the downloads' rate limit reads it)."""
    django_app = get_wsgi_application()

    def app(environ, start_response):
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        return django_app(environ, start_response)

    return app


@pytest.fixture
def api_schema(transactional_db, settings):
    settings.RATELIMIT_EXPENSIVE = "1000000/m"  # hundreds of downloads are the test, not an abuse
    seed_snapshot.seed()  # the process's first seed is a real load_seed(), kept for later tests
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app(), config=configured())
    schema.hook("map_case")(year_range_in_order)
    return schema


def expected_operations():
    """Every route of the API but openapi.json, which Schemathesis does not test against itself."""
    return {f"GET {reverse(f'api:{route.name}')}" for route in api_urls.urlpatterns if route.name != "openapi"}


def describe(failure_info):
    return f"{failure_info.failure.title}: {failure_info.failure.message}\n{failure_info.code_sample}"


def test_schemathesis_finds_nothing_with_every_check(api_schema):
    operations, phases, checks_run, cases, failures, errors = set(), set(), set(), 0, set(), []
    finished = None
    for event in from_schema(api_schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            if event.recorder.cases:
                operations.add(event.recorder.label)
                phases.add(event.phase)
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                checks_run.update(check.name for check in checks)
                failures.update(describe(check.failure_info) for check in checks if check.status == Status.FAILURE)
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            finished = event
    print(f"\nschemathesis: {cases} cases, operations {sorted(operations)}, phases {sorted(map(str, phases))}")
    assert not errors, "\n".join(errors)
    assert not failures, f"{len(failures)} unique failures:\n\n" + "\n\n".join(sorted(failures))
    # It cannot pass by testing nothing: every operation, both phases, the checks, enough cases.
    assert finished is not None and finished.stop_reason == StopReason.COMPLETED
    assert operations == expected_operations()
    assert {PhaseName.COVERAGE, PhaseName.FUZZING} <= phases
    assert checks_run >= CHECKS, sorted(CHECKS - checks_run)
    assert cases >= 500, cases
