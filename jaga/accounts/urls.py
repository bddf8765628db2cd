from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from jaga.accounts import views

app_name = "accounts"
urlpatterns = [
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("kata-sandi/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profil/", views.profile, name="profile"),
    path("dua-langkah/daftar/", views.otp_setup, name="otp_setup"),
    path("dua-langkah/", views.otp_verify, name="otp_verify"),
    path("token/", views.token_create, name="token_create"),
    path("token/<int:token_id>/cabut/", views.token_revoke, name="token_revoke"),
]
