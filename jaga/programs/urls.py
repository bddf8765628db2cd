from __future__ import annotations

from django.urls import path

from jaga.programs import views

app_name = "programs"
urlpatterns = [
    path("", views.index, name="index"),
    path("partisipasi/", views.participation, name="participation"),
    path("adopsi/impor/", views.adoptions_import, name="adoptions_import"),
    path("kegiatan/", views.activities, name="activities"),
    path("kegiatan/baru/", views.activity_create, name="activity_create"),
    path("kegiatan/impor-ekspor/", views.activities_transfer, name="activities_transfer"),
    path("kegiatan/<int:pk>/", views.activity_detail, name="activity"),
    path("kegiatan/<int:pk>/daftar-hadir/", views.attendance_sheet, name="sheet"),
    path(
        "kegiatan/<int:pk>/undangan/impor-ekspor/",
        views.invitations_transfer,
        name="invitations_transfer",
    ),
    path("kegiatan/<int:pk>/tutup/", views.activity_close, name="close"),
    path("kegiatan/<int:pk>/hasil/", views.activity_outcome, name="outcome"),
    path("kegiatan/<int:pk>/lampiran/", views.activity_attach, name="attach"),
    path("kegiatan/<int:pk>/lampiran/<int:file_pk>/", views.activity_file, name="file"),
    path("kegiatan/<int:pk>/meja-hadir/", views.checkin_desk, name="desk"),
    path("undangan/<int:pk>/cetak/", views.invitation_print, name="print"),
    path("undangan/<int:pk>/jawab/", views.invitation_answer, name="answer"),
    path("hadir/<str:code>/", views.checkin, name="checkin"),
    path("<str:code>/", views.programme_detail, name="programme"),
]
