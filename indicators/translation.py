import simple_history
from modeltranslation.translator import TranslationOptions, register

from .models import Indicator, Observation, Source


@register(Indicator)
class IndicatorTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(Source)
class SourceTranslationOptions(TranslationOptions):
    fields = ("title", "summary", "publisher", "date_known")


@register(Observation)
class ObservationTranslationOptions(TranslationOptions):
    # The quote stays in the source's own language; what we write about it is translated.
    fields = ("definition", "note", "measured_as")


# History is registered here, after the translations, so that the historical tables also
# record name_en, name_ar, name_fa… (simple-history copies the fields that exist when it runs).
simple_history.register(Indicator)
simple_history.register(Source)
simple_history.register(Observation)
