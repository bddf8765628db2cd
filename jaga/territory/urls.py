from __future__ import annotations

from django.urls import path

from jaga.territory import views

app_name = "territory"
urlpatterns = [
    path("", views.index, name="index"),
    path("penduduk/impor/", views.population_import, name="population_import"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/status-polmas/", views.polmas_status, name="polmas_status"),
]
