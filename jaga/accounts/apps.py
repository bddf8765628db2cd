from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jaga.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from jaga.accounts.twofactor import remember_enrolment

        user_logged_in.connect(remember_enrolment, dispatch_uid="jaga-otp-enrolment")

        from jaga.core.language import apply_language_at_login

        user_logged_in.connect(apply_language_at_login, dispatch_uid="jaga-login-language")
