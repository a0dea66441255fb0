from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("compare/", views.compare_index, name="compare_index"),
    path("compare/<slug:code>/", views.compare, name="compare"),
    path("compare/<slug:code>/data.json", views.compare_json, name="compare_json"),
    path("compare/<slug:code>/data.csv", views.compare_csv, name="compare_csv"),
    path("compare/<slug:code>/chart.png", views.compare_png, name="compare_png"),
    path("compare/<slug:code>/embed/", views.compare_embed, name="compare_embed"),
    path("areas/<str:code>/", views.area, name="area"),
    path("areas/<str:code>/data.json", views.area_json, name="area_json"),
    path("areas/<str:code>/data.csv", views.area_csv, name="area_csv"),
    path("areas/<str:code>/chart.png", views.area_png, name="area_png"),
    path("areas/<str:code>/embed/", views.area_embed, name="area_embed"),
    path("sources/", views.source_list, name="source_list"),
    path("sources/<path:identifier>/", views.source, name="source"),
    path("about/", views.about, name="about"),
]
