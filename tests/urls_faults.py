"""URLs for fault tests: views that fail the way a dead database makes real views fail."""

from django.conf.urls.i18n import i18n_patterns
from django.db import OperationalError, ProgrammingError
from django.urls import path


def database_down(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def programming_error(request):
    raise ProgrammingError("relation does not exist")


urlpatterns = i18n_patterns(
    path("down/", database_down),
    path("bug/", programming_error),
)
