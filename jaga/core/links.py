"""Absolute links for what leaves the site: texts (SMS, WhatsApp, e-mail), QR codes, API answers.

A link in a text message is read on another device, long after the request (or with no request at
all: a task, a signal after commit), so it cannot come from the request's Host header. Every such
link is SITE_URL (the address residents reach Jaga at, e.g. https://jaga.polres.example) followed
by the path; SITE_URL may carry a path prefix of its own.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register
from django.urls import reverse

DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def absolute_url(path: str) -> str:
    """SITE_URL + `path` ("/layanan/lacak/ABC/" → "https://jaga.example/layanan/lacak/ABC/")."""
    base = str(settings.SITE_URL).rstrip("/")
    return base + ("" if path.startswith("/") else "/") + path


def absolute_reverse(viewname: str, *args: Any, **kwargs: Any) -> str:
    """`reverse()` as an absolute link from SITE_URL."""
    return absolute_url(reverse(viewname, args=args or None, kwargs=kwargs or None))


@register()
def site_url_is_set(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Outside development, texts with links to 127.0.0.1 reach nobody: SITE_URL must be set."""
    if settings.DEBUG or str(settings.SITE_URL).rstrip("/") != DEFAULT_SITE_URL:
        return []
    return [
        Warning(
            "SITE_URL is not set: links in text messages, e-mails and QR codes point to "
            f"{DEFAULT_SITE_URL}.",
            hint="Set SITE_URL to the address residents reach Jaga at (see .env.example).",
            id="jaga.W001",
        )
    ]
