"""System checks for the deployment, run by every `manage.py check` (not only --deploy).

The compiled translation catalogues (.mo) are build output, not kept in git: a deployment that
skips `make messages`, or compiles before the latest .po edit, serves pages and chart PNGs half
in English without any other sign. These checks make that an error.
"""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.translation import to_locale

# The language of the source strings: it needs no catalogue.
SOURCE_LANGUAGE = "en"
HINT = "Compile the translation catalogues: run `make messages`."


def _catalogue_languages():
    return [code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE]


@register(Tags.translation)
def check_compiled_catalogues(app_configs=None, **kwargs):
    """E001: a language's django.mo is missing under LOCALE_PATHS; E002: a .mo is older than its .po."""
    locale_paths = [Path(path) for path in settings.LOCALE_PATHS]
    errors = []
    for code in _catalogue_languages():
        candidates = [path / to_locale(code) / "LC_MESSAGES" / "django.mo" for path in locale_paths]
        if not any(mo.is_file() for mo in candidates):
            errors.append(
                Error(
                    f"The compiled translation catalogue for {code!r} is missing "
                    f"({', '.join(str(mo) for mo in candidates) or 'LOCALE_PATHS is empty'}).",
                    hint=HINT,
                    id="smedash.E001",
                )
            )
    for path in locale_paths:
        for po in sorted(path.glob("*/LC_MESSAGES/*.po")):
            mo = po.with_suffix(".mo")
            if mo.is_file() and mo.stat().st_mtime < po.stat().st_mtime:
                errors.append(
                    Error(
                        f"The compiled translation catalogue {mo} is older than its source {po.name}.",
                        hint=HINT,
                        id="smedash.E002",
                    )
                )
    return errors


@register(Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs):
    """W001 (deploy): SITE_URL unset, so pages take their absolute address from the Host header
    a client sends, and each host or port it sends is another copy of every cached page."""
    if settings.SITE_URL:
        return []
    return [
        Warning(
            "SITE_URL is not set: share links and chart captions use the Host header, and cached pages "
            "are kept per host and port.",
            hint="Set SITE_URL to the site's public address, e.g. https://sme.example.org.",
            id="smedash.W001",
        )
    ]


@register(Tags.caches, deploy=True)
def check_redis_memory(app_configs=None, **kwargs):
    """W002: the cache Redis has no memory limit or evicts nothing, so distinct pages and images
    could fill it; W003: the rate-limit counters share a Redis that evicts, so a flood of pages
    could push them out and lift every limit. (Only where Redis is used; W004 when unreachable.)"""
    if not settings.REDIS_URL:
        return []
    from django_redis import get_redis_connection

    warnings = []
    try:
        cache_config = get_redis_connection("default").config_get("maxmemory*")
        counters_config = get_redis_connection("counters").config_get("maxmemory*")
    except Exception as error:  # any connection or permission error: say so, do not crash
        return [Warning(f"Redis could not be asked for its memory settings: {error}", id="smedash.W004")]
    if int(cache_config.get("maxmemory", 0)) == 0 or not cache_config.get("maxmemory-policy", "").startswith("allkeys"):
        warnings.append(
            Warning(
                "The cache's Redis has no memory limit, or an eviction policy that keeps entries when full.",
                hint="CONFIG SET maxmemory 256mb and maxmemory-policy allkeys-lru (make serve-prod does).",
                id="smedash.W002",
            )
        )
    if counters_config.get("maxmemory-policy") != "noeviction":
        warnings.append(
            Warning(
                "The rate-limit counters live in a Redis that evicts keys when full: a flood could lift the limits.",
                hint="Give them a Redis of their own with maxmemory-policy noeviction (REDIS_RATELIMIT_URL).",
                id="smedash.W003",
            )
        )
    return warnings
