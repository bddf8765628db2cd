from __future__ import annotations

from django.urls import path

from jaga.reports import portal_views

app_name = "portal"
urlpatterns = [
    path("", portal_views.index, name="index"),
    path("data/", portal_views.data, name="data"),
    path("<str:code>/", portal_views.territory, name="territory"),
    path("<str:code>/data.csv", portal_views.download_csv, name="csv"),
    path("<str:code>/data.json", portal_views.download_json, name="json"),
]
