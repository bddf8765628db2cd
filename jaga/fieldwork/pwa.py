"""The officers' installable app: web app manifest, service worker, offline page, outbox page.

The service worker is served from the site root (`/sw.js`) so that its scope covers the field
pages. It caches only the app shell (static files, the offline page) and, per signed-in officer,
the field form pages that officer already opens; never other pages, never a POST answer. The
outbox itself (entries waiting for signal, with their photos) lives in the phone's IndexedDB and
is handled by `static/fieldwork/outbox.js`.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from jaga.accounts.access import STAFF_ROLES, allow, allow_public

# The static files every field page needs: cached when the service worker installs.
SHELL_STATIC = (
    "jaga/jaga.css",
    "jaga/jaga.js",
    "jaga/htmx.min.js",
    "jaga/favicon.svg",
    "fieldwork/outbox.js",
    "fieldwork/outbox-core.js",
    "fieldwork/outbox.css",
    "fieldwork/icons/icon-192.png",
    "fieldwork/icons/icon-512.png",
)

# Field pages (URL names) kept for offline use, per officer, when the officer opens them.
OFFLINE_PAGES = (
    "fieldwork:index",
    "fieldwork:visit_new",
    "fieldwork:detection_new",
    "fieldwork:case_new",
    "fieldwork:operation_new",
    "fieldwork:outbox",
)


@lru_cache(maxsize=1)
def _static_digest() -> str:
    """A digest of the shell's static files and of the worker's template: a new release that
    changes any of them gets a new cache name, so phones drop the old shell."""
    digest = hashlib.sha256()
    template = Path(__file__).parent / "templates" / "fieldwork" / "sw.js"
    digest.update(template.read_bytes())
    for name in SHELL_STATIC:
        found = finders.find(name)
        if found:
            digest.update(Path(str(found)).read_bytes())
    return digest.hexdigest()[:12]


def cache_version() -> str:
    if settings.DEBUG:  # while developing, a file change shows at once
        _static_digest.cache_clear()
    return _static_digest()


def _no_store(response: HttpResponse) -> HttpResponse:
    # The browser checks for a new worker on every visit; nothing in between may keep it.
    response["Cache-Control"] = "no-cache, no-store, must-revalidate"
    return response


@require_safe
@allow_public
def service_worker(request: HttpRequest) -> HttpResponse:
    config = {
        "version": cache_version(),
        "shell": [static(name) for name in SHELL_STATIC],
        "offline": reverse("pwa:offline"),
        "pages": [reverse(name) for name in OFFLINE_PAGES],
        "core": static("fieldwork/outbox-core.js"),
        "login": reverse("accounts:login"),
        "static": settings.STATIC_URL,
    }
    response = render(
        request,
        "fieldwork/sw.js",
        {"config": json.dumps(config)},
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    return _no_store(response)


@require_safe
@allow_public
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": "Jaga — Bhabinkamtibmas",
        "short_name": "Jaga",
        "description": _("Visits, early detection and raids, also without signal."),
        "lang": "id",
        "start_url": reverse("fieldwork:index") + "?sumber=aplikasi",
        "scope": "/",
        "id": "/lapangan/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#1d3557",
        "icons": [
            {
                "src": static("fieldwork/icons/icon-192.png"),
                "sizes": "192x192",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": static("fieldwork/icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": static("fieldwork/icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
@allow_public
def offline(request: HttpRequest) -> HttpResponse:
    """The page the worker shows when a page cannot be reached. The same for everyone (it is
    cached once for the phone): no name, no personal data; the outbox script fills in what is
    waiting for the officer signed in on this phone."""
    return render(request, "fieldwork/offline.html", {"version": cache_version()})


@login_required
@allow(*STAFF_ROLES)
def outbox(request: HttpRequest) -> HttpResponse:
    """'Waiting to be sent': the entries kept on this phone (read from IndexedDB by the script)."""
    return render(request, "fieldwork/outbox.html", {})
