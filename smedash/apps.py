from django.apps import AppConfig


class SmedashConfig(AppConfig):
    """The project itself as an app, with no models: it only registers the system checks."""

    name = "smedash"
    verbose_name = "SMEdash"

    def ready(self):
        from . import checks  # noqa: F401  (registers the checks)
