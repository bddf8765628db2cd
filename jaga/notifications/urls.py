from __future__ import annotations

from django.urls import path

from jaga.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("jumlah/", views.unread, name="unread"),
    path("pengaturan/", views.settings_page, name="settings"),
    path("ikuti/", views.subscribe, name="subscribe"),
    path("ikuti/konfirmasi/<str:token>/", views.confirm, name="confirm"),
    path("berhenti/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
