"""Template filters that write numbers in the reader's digits, and the language switcher's links.

{% load smedash %}
{{ count|number }}         1,405,950 / ۱٬۴۰۵٬۹۵۰ / ١٬٤٠٥٬٩٥٠
{{ year|year }}            1974 / ۱۹۷۴, or "year not stated"
{{ "IR-02"|digits }}       digits of any text in the reader's digits
{{ texts|lines }}          several texts, escaped, one per line (<br> between them)
{% language_url "fa" %}    this page (and its query string) in Persian
"""

import re

from django import template
from django.urls import translate_url
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ..formatting import format_number, format_year, localize_digits

register = template.Library()

_LANGUAGE_PREFIX = re.compile(r"^/(en|ar|fa)(/|$)")


@register.filter
def number(value):
    if value is None or value == "":
        return ""
    return format_number(value)


@register.filter
def lines(texts):
    # One filter call instead of a {% for %} per cell: the overview's matrix has hundreds.
    return format_html_join(mark_safe("<br>"), "{}", ((text,) for text in texts))  # noqa: S308 (a constant)


@register.filter
def year(value):
    return format_year(value)


@register.filter
def digits(value):
    return localize_digits(value)


@register.simple_tag(takes_context=True)
def language_url(context, lang):
    """The current page, query string included, in ``lang``."""
    request = context.get("request")
    if request is None:
        return f"/{lang}/"
    path = request.get_full_path()
    url = translate_url(path, lang)
    if url == path:
        # translate_url cannot resolve an unknown page (a 404): swap the language prefix.
        url = _LANGUAGE_PREFIX.sub(f"/{lang}\\2", path, count=1) if _LANGUAGE_PREFIX.match(path) else f"/{lang}/"
    return url
