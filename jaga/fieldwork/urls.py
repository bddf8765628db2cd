from __future__ import annotations

from django.urls import path, re_path

from jaga.fieldwork import pwa, views

app_name = "fieldwork"
urlpatterns = [
    path("", views.index, name="index"),
    path("menunggu/", pwa.outbox, name="outbox"),
    path("kunjungan/baru/", views.visit_new, name="visit_new"),
    re_path(r"^kunjungan/ekspor\.(?P<fmt>csv|xlsx)$", views.visits_export, name="visits_export"),
    path("kunjungan/<int:pk>/foto/", views.visit_photo, name="visit_photo"),
    path("desa/<str:code>/", views.village, name="village"),
    path("petugas/<int:user_id>/", views.officer, name="officer"),
    path("deteksi/", views.detections, name="detections"),
    path("deteksi/baru/", views.detection_new, name="detection_new"),
    path("deteksi/<int:pk>/", views.detection, name="detection"),
    path("deteksi/<int:pk>/eskalasi/", views.detection_escalate, name="detection_escalate"),
    path("kasus/", views.cases, name="cases"),
    path("kasus/baru/", views.case_new, name="case_new"),
    path("kasus/<int:pk>/", views.case, name="case"),
    path("kasus/<int:pk>/tahap/", views.case_move, name="case_move"),
    path("kasus/<int:pk>/dokumen/", views.case_document, name="case_document"),
    path("razia/", views.operations, name="operations"),
    path("razia/baru/", views.operation_new, name="operation_new"),
    path("razia/<int:pk>/", views.operation, name="operation"),
]
