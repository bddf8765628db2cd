from __future__ import annotations

from django.urls import path

from jaga.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.index, name="index"),
    path("kategori/", views.categories, name="categories"),
    path("impor/", views.import_page, name="import"),
    path("<int:incident_id>/", views.detail, name="detail"),
]
