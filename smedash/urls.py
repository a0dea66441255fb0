from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from indicators import views as indicator_views

from . import views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    # For search engines, without a language: the sitemap lists every page in the three.
    path("sitemap.xml", indicator_views.sitemap_xml, name="sitemap"),
    path("robots.txt", indicator_views.robots_txt, name="robots"),
    # Language-neutral data: the read-only JSON API and full-data downloads (?lang= for names).
    path("api/", include("indicators.api_urls")),
]

urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("indicators.urls")),
)

handler400 = "smedash.views.bad_request"
