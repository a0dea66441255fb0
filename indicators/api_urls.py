from django.urls import path

from . import api

app_name = "api"

urlpatterns = [
    path("v1/areas", api.areas, name="areas"),
    path("v1/indicators", api.indicators, name="indicators"),
    path("v1/sources", api.sources, name="sources"),
    path("v1/observations", api.observations, name="observations"),
    path("v1/openapi.json", api.openapi, name="openapi"),
    # Every published figure with every column, at addresses that stay the same.
    path("v1/downloads/observations.csv", api.download, {"fmt": "csv"}, name="download_csv"),
    path("v1/downloads/observations.json", api.download, {"fmt": "json"}, name="download_json"),
    path("v1/downloads/observations.xlsx", api.download, {"fmt": "xlsx"}, name="download_xlsx"),
]
