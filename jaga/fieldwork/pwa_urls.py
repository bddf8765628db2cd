"""Root-level routes of the officers' app: the service worker must sit at the root for its
scope to cover every field page."""

from __future__ import annotations

from django.urls import path

from jaga.fieldwork import pwa

app_name = "pwa"
urlpatterns = [
    path("sw.js", pwa.service_worker, name="sw"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("luring/", pwa.offline, name="offline"),
]
