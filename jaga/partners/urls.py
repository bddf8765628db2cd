from __future__ import annotations

from django.urls import path

from jaga.partners import views

app_name = "partners"
urlpatterns = [
    path("", views.index, name="index"),
    path("warga/", views.people, name="people"),
    path("warga/baru/", views.person_create, name="person_create"),
    path("warga/<int:pk>/", views.person_detail, name="person"),
    path("warga/<int:pk>/ubah/", views.person_edit, name="person_edit"),
    path("organisasi/baru/", views.organisation_create, name="organisation_create"),
    path("organisasi/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisasi/<int:pk>/perjanjian/", views.agreement_create, name="agreement_create"),
    path("perjanjian/<int:pk>/dokumen/", views.agreement_document, name="agreement_document"),
    path("fkpm/baru/", views.fkpm_create, name="fkpm_create"),
    path("impor-ekspor/", views.transfer, name="transfer"),
    path("impor/<str:kind>/", views.import_file, name="import"),
    path("ekspor/<str:kind>/", views.export_file, name="export"),
]
