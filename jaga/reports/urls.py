from __future__ import annotations

from django.urls import path

from jaga.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.anev, name="anev"),
    path("anev/<str:code>/", views.job, name="job"),
    path("anev/<str:code>/laporan.html", views.job_html, name="job_html"),
    path("anev/<str:code>/laporan.pdf", views.job_pdf, name="job_pdf"),
    path("anev/<str:code>/ulang/", views.retry, name="retry"),
]
