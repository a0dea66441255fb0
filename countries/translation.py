import simple_history
from modeltranslation.translator import TranslationOptions, register

from .models import Area


@register(Area)
class AreaTranslationOptions(TranslationOptions):
    fields = ("name",)


# History is registered here, after the translations, so that the historical tables also
# record name_en, name_ar, name_fa… (simple-history copies the fields that exist when it runs).
simple_history.register(Area)
