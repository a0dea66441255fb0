from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Statistics")

    def ready(self):
        from .writes import connect_signals

        connect_signals()
