from __future__ import annotations

import importlib.util

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from jaga.api import api
from jaga.core.language import set_language

# Each app's pages are mounted under an Indonesian prefix when the app has a urls module.
APP_PREFIXES = {
    "core": "",
    "accounts": "akun/",
    "territory": "wilayah/",
    "partners": "mitra/",
    "programs": "program/",
    "servicedesk": "layanan/",
    "fieldwork": "lapangan/",
    "incidents": "kejadian/",
    "analytics": "analitik/",
    "surveys": "survei/",
    "reports": "laporan/",
    "notifications": "notifikasi/",
}
# Extra URL modules with prefixes of their own (public portal, Open311).
EXTRA = {
    "jaga.reports.portal_urls": "publik/",
    "jaga.servicedesk.open311_urls": "open311/v2/",
    "jaga.territory.map_urls": "peta/",
    "jaga.core.choose_urls": "pilih/",
    "jaga.fieldwork.pwa_urls": "",  # the officers' app: /sw.js, /manifest.webmanifest, /luring/
}

# A 403 that says which role the page is for and whom to ask (jaga.core.views).
handler403 = "jaga.core.views.permission_denied"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Django's language switch, also remembering the choice on the account (jaga.core.language).
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]

for app, prefix in APP_PREFIXES.items():
    module = f"jaga.{app}.urls"
    if importlib.util.find_spec(module) is not None:
        urlpatterns.append(path(prefix, include(module)))
for module, prefix in EXTRA.items():
    if importlib.util.find_spec(module) is not None:
        urlpatterns.append(path(prefix, include(module)))
# No media is served by URL: every uploaded file is private (jaga.core.protected) and handed
# out by a view that checks access first.
