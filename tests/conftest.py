import pytest
from django.core.cache import cache

from indicators.seed import load_seed


@pytest.fixture
def seeded(db):
    """The database with the seed data loaded, as `make run` leaves it."""
    return load_seed()


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Tests need no collectstatic run: serve static names as they are, without the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: rolled-back test data never bumps data_version()."""
    cache.clear()
    yield
    cache.clear()
