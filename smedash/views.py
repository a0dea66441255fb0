"""Site-wide views that belong to no app: health check and the rate-limit response."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    """200 when the database answers and the cache round-trips a value; 503 otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not healthy", which is the answer
        logger.warning("healthz: database check failed: %s", exc)
        checks["database"] = "unavailable"
    probe = get_random_string(12)
    try:
        cache.set("smedash:healthz", probe, timeout=30)
        checks["cache"] = "ok" if cache.get("smedash:healthz") == probe else "unavailable"
    except Exception as exc:
        logger.warning("healthz: cache check failed: %s", exc)
        checks["cache"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def rate_limited(request, exception=None):
    """django-ratelimit's RATELIMIT_VIEW: a 429 page in the visitor's language."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response


def bad_request(request, exception=None):
    """handler400: JSON for the JSON endpoints, a page in the visitor's language elsewhere.

    Django raises these before a view can answer (too many query fields, an unsafe redirect).
    """
    message = str(_("The request could not be understood."))
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message}, status=400)  # the API's error shape
    if request.path.endswith(".json"):
        return JsonResponse({"errors": [message]}, status=400)  # the JSON twins' error shape
    return render(request, "400.html", status=400)
