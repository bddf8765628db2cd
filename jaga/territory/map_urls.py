"""The map layers (GeoJSON), mounted at /peta/ (docs/maps.md)."""

from __future__ import annotations

from django.urls import path

from jaga.territory import maps

app_name = "maps"
urlpatterns = [
    path("desa/", maps.villages, name="villages"),
    path("laporan/", maps.reports, name="reports"),
    path("laporan-publik/", maps.public_reports, name="public_reports"),
    path("kejadian/", maps.incidents, name="incidents"),
    path("hotspot/", maps.hotspots, name="hotspots"),
]
