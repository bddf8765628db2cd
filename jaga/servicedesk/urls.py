from __future__ import annotations

from django.urls import path

from jaga.servicedesk import views
from jaga.servicedesk.chat import webhooks

app_name = "servicedesk"
urlpatterns = [
    # public (no login)
    path("lapor/", views.report_start, name="report"),
    path("lapor/<slug:code>/", views.report_form, name="report_form"),
    path("desa/", views.village_options, name="village_options"),
    path("lacak/", views.track_lookup, name="track_lookup"),
    path("lacak/<str:ticket>/", views.track, name="track"),
    path("lacak/<str:ticket>/kode/<str:code>/", views.track_code, name="track_code"),
    path("lacak/<str:ticket>/foto/<int:pk>/", views.public_photo, name="public_photo"),
    # WhatsApp Business Cloud API and inbound SMS (docs/whatsapp.md)
    path("whatsapp/", webhooks.whatsapp_webhook, name="whatsapp"),
    path("sms/", webhooks.sms_webhook, name="sms_inbound"),
    # a signed-in resident's own reports
    path("laporan-saya/", views.my_reports, name="my_reports"),
    # desk (officers)
    path("", views.queue, name="queue"),
    path("massal/", views.bulk, name="bulk"),
    path("filter/", views.saved_filters, name="saved_filters"),
    path("baru/", views.desk_entry, name="desk_entry"),
    path("moderasi/", views.moderation_queue, name="moderation"),
    path("moderasi/<str:ticket>/", views.moderate, name="moderate"),
    path("tiket/<str:ticket>/", views.detail, name="detail"),
    path("tiket/<str:ticket>/foto/<int:pk>/", views.staff_photo, name="photo"),
    path("tiket/<str:ticket>/<slug:action>/", views.act, name="act"),
]
