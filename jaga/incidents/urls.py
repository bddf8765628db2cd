from __future__ import annotations

from django.urls import path, re_path

from jaga.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.index, name="index"),
    path("kategori/", views.categories, name="categories"),
    path("impor/", views.import_page, name="import"),
    path("impor/<str:code>/", views.import_job, name="import_job"),
    re_path(r"^ekspor\.(?P<fmt>csv|xlsx)$", views.export, name="export"),
    path("<int:incident_id>/", views.detail, name="detail"),
]
