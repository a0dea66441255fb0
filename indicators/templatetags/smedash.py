"""Template filters that write numbers in the reader's digits, and the language switcher's links.

{% load smedash %}
{{ count|number }}         1,405,950 / ۱٬۴۰۵٬۹۵۰ / ١٬٤٠٥٬٩٥٠
{{ year|year }}            1974 / ۱۹۷۴, or "year not stated"
{{ "IR-02"|digits }}       digits of any text in the reader's digits
{{ note|display_digits }}  a data text's numbers in the reader's digits, quotes and codes kept
{{ texts|lines }}          several texts, escaped, one per line (<br> between them)
{{ text|json_text_script:"id" }}  JSON text already serialised (the chart), as json_script would
{% language_url "fa" %}    this page (and its query string) in Persian
"""

import re

from django import template
from django.urls import translate_url
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from ..formatting import format_number, format_year
from ..text import display_digits as _display_digits
from ..text import local_digits

register = template.Library()

_LANGUAGE_PREFIX = re.compile(r"^/(en|ar|fa)(/|$)")
# What json_script escapes, so that the JSON cannot close the <script> element it sits in.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


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
def json_text_script(text, element_id):
    """Like Django's json_script, for JSON text serialised already (the chart, by plotly)."""
    escaped = mark_safe(str(text).translate(_JSON_SCRIPT_ESCAPES))  # noqa: S308 (escaped above)
    return format_html('<script id="{}" type="application/json">{}</script>', element_id, escaped)


@register.filter
def year(value):
    return format_year(value)


@register.filter
def digits(value):
    return local_digits(value)


@register.filter
def display_digits(value):
    return _display_digits(value)


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
