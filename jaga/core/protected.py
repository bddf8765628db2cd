"""Private files: stored outside MEDIA_ROOT, handed out only by views that check access first.

Every FileField of Jaga (report, visit, case, activity and agreement files) uses
`storage=protected_storage`. Such a file has no URL: a view fetches its object with the usual
scope check (`get_for_user`) and answers with `serve(fieldfile)`. In production the web server
sends the bytes, told to by a header the view sets (`JAGA_PROTECTED_MEDIA_SERVER`):

- `nginx`: `X-Accel-Redirect: <JAGA_PROTECTED_MEDIA_NGINX_PREFIX><name>`, for an `internal`
  location aliasing `JAGA_PROTECTED_MEDIA_ROOT`;
- `apache`: `X-Sendfile: <absolute path>` (mod_xsendfile, `XSendFilePath` on the root);
- `django` (development, tests): Django streams the file itself.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.deconstruct import deconstructible


@deconstructible
class ProtectedStorage(FileSystemStorage):
    """A file system storage under PROTECTED_MEDIA_ROOT whose files have no public URL."""

    @property
    def base_location(self) -> str:
        return str(settings.PROTECTED_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        # No public URL: pages link the view that serves the file. Empty rather than an error,
        # so that Django's admin (which links every FileField) shows the name without a link.
        return ""


_storage = ProtectedStorage()


def protected_storage() -> ProtectedStorage:
    """The storage of every private file (a callable, so migrations do not freeze a path)."""
    return _storage


def serve(
    fieldfile: FieldFile, *, content_type: str = "", download: bool = False
) -> HttpResponseBase:
    """Answer with a private file, after the caller checked that the viewer may see it."""
    name = fieldfile.name or ""
    if not name or not fieldfile.storage.exists(name):
        raise Http404
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    server = settings.PROTECTED_MEDIA_SERVER
    response: HttpResponseBase
    if server == "nginx":
        response = HttpResponse(content_type=content_type)
        prefix = settings.PROTECTED_MEDIA_NGINX_PREFIX.rstrip("/") + "/"
        response["X-Accel-Redirect"] = prefix + quote(name)
    elif server == "apache":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = fieldfile.storage.path(name)
    else:
        response = FileResponse(fieldfile.storage.open(name, "rb"), content_type=content_type)
    filename = Path(name).name
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    # Never in a shared cache; never sniffed into HTML; never a page of its own that runs code.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
