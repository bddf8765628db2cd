from __future__ import annotations

from django.urls import path

from jaga.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.results, name="results"),
    path("hasil/<str:code>/", views.results, name="results_for"),
    path("ikm/", views.ikm_public, name="ikm"),
    path("aman/", views.trust_public, name="trust"),
    path("undangan/<str:token>/", views.invited, name="invited"),
    path("terima-kasih/", views.thanks, name="thanks"),
    path("entri/ikm/", views.ikm_entry, name="ikm_entry"),
    path("entri/aman/", views.trust_entry, name="trust_entry"),
    path("impor/", views.import_file, name="import"),
    path("impor/ekspor-<str:kind>/", views.export_forms, name="export"),
    path("impor/contoh-<str:kind>.xlsx", views.import_template, name="import_template"),
]
