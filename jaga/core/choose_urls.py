"""The search endpoints of the name chooser (jaga.core.choose), mounted at /pilih/."""

from __future__ import annotations

from django.urls import path

from jaga.core import choose

app_name = "choose"
urlpatterns = [
    path("desa/", choose.search_village, name="village"),
    path("kecamatan/", choose.search_district, name="district"),
    path("wilayah/", choose.search_area, name="area"),
    path("orang/", choose.search_person, name="person"),
    path("organisasi/", choose.search_organisation, name="organisation"),
]
