import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.shortcuts import render

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """While the database is down or restarting, answer 503 with a page that needs no database.

    Only connection-level failures are caught (OperationalError, InterfaceError); other database
    errors are bugs and must surface. Django's persistent connections with health checks
    (CONN_HEALTH_CHECKS) reconnect by themselves once the database is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError) or (
            isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
        ):
            logger.warning("database unavailable: %s", exception)
            response = render(request, "503.html", status=503)
            response["Retry-After"] = "10"
            return response
        return None
