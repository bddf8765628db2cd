from __future__ import annotations

from django.urls import path

from jaga.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("peringatan/", views.alarms_page, name="alarms"),
    path("evaluasi/", views.evaluation_page, name="evaluation"),
    path("rapor-program/", views.scorecard_page, name="scorecard"),
    path("hotspot/", views.hotspots_page, name="hotspots"),
    path("partisipasi/", views.participation_page, name="participation"),
    path("catatan/", views.records, name="records"),
]
