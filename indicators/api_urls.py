from django.urls import path

from . import api, api_tables

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
    # Tables for statistical tools (api_tables): pivoted areas x years, SDMX-CSV, a data package.
    path("v1/downloads/pivot.csv", api_tables.pivot_download, {"fmt": "csv"}, name="pivot_csv"),
    path("v1/downloads/pivot.xlsx", api_tables.pivot_download, {"fmt": "xlsx"}, name="pivot_xlsx"),
    path("v1/downloads/pivot.ods", api_tables.pivot_download, {"fmt": "ods"}, name="pivot_ods"),
    path("v1/downloads/observations.sdmx.csv", api_tables.sdmx_download, name="sdmx_csv"),
    path("v1/downloads/datapackage.json", api_tables.datapackage_json, name="datapackage_json"),
    path("v1/downloads/datapackage.zip", api_tables.datapackage_zip, name="datapackage_zip"),
]
