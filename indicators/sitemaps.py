"""The sitemap (django.contrib.sitemaps): every public page in English, Arabic and Persian, each
with its alternates in the other two languages and x-default (the address without a language,
which LocaleMiddleware sends on to the reader's language).

Only pages with something published on them: an indicator's comparison and an area's profile
are listed when the coverage summary holds a published figure of theirs (otherwise the page says
there is none). Every source is listed, figures or not: its page gives its title, publisher and
what was read in it. Pages after the first of a long list are reached from the first one.

Addresses are absolute, on SITE_URL when it is set (as every page's canonical address), else on
the host the sitemap was asked for. indicators.views.sitemap_xml keeps it until the data changes.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .selectors import covered_area_names, indicators_with_figures, indicators_with_trends, sources_with_counts


class PublicSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def get_protocol(self, protocol=None):
        site = getattr(settings, "SITE_URL", "")
        return urlsplit(site).scheme if site else super().get_protocol(protocol)

    def get_domain(self, site=None):
        address = getattr(settings, "SITE_URL", "")
        if address:
            parts = urlsplit(address)
            return f"{parts.netloc}{parts.path.rstrip('/')}"
        return super().get_domain(site)


class FixedPagesSitemap(PublicSitemap):
    def items(self):
        return ["home", "source_list", "about"]

    def location(self, item):
        return reverse(item)


class ComparisonSitemap(PublicSitemap):
    def items(self):
        return [indicator.code for indicator, has_figures in indicators_with_figures() if has_figures]

    def location(self, item):
        return reverse("compare", args=[item])


class TrendSitemap(PublicSitemap):
    """An indicator's trend, where some area has figures of two years or more to draw."""

    def items(self):
        return indicators_with_trends()

    def location(self, item):
        return reverse("trend", args=[item])


class AreaSitemap(PublicSitemap):
    def items(self):
        return sorted(area.code for area in covered_area_names())

    def location(self, item):
        return reverse("area", args=[item])


class SourceSitemap(PublicSitemap):
    def items(self):
        return [source.identifier for source, _count in sources_with_counts()]

    def location(self, item):
        return reverse("source", args=[item])


SITEMAPS = {
    "pages": FixedPagesSitemap,
    "compare": ComparisonSitemap,
    "trends": TrendSitemap,
    "areas": AreaSitemap,
    "sources": SourceSitemap,
}
