from __future__ import annotations

from django.urls import path

from jaga.territory import views

app_name = "territory"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.detail, name="detail"),
]
