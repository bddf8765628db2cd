"""Limits on what a user may send: the size of an upload and what an XLSX may unpack to.

Every upload path (pages, JSON API, CLI where it matters) goes through these checks, so a single
setting decides them: `JAGA_MAX_UPLOAD_MB` for one file (`MAX_UPLOAD_BYTES`), `JAGA_MAX_REQUEST_MB`
for a whole request (enforced by `UploadLimitMiddleware` before Django parses the body), and the
`JAGA_XLSX_MAX_*` limits an XLSX (a zip archive) must respect before openpyxl opens it.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jaga.core.errors import DomainError

MB = 1024 * 1024


class UploadTooLarge(DomainError):
    status = 413


def _mb(value: int) -> str:
    return f"{value / MB:.0f}" if value % MB == 0 else f"{value / MB:.1f}"


def stream_size(source: Any) -> int | None:
    """The size in bytes of an upload or a seekable stream (None when it cannot be told)."""
    size = getattr(source, "size", None)
    if isinstance(size, int):
        return size
    if isinstance(source, str | Path):
        return os.path.getsize(source)
    try:
        here = source.tell()
        end = source.seek(0, io.SEEK_END)
        source.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return int(end)


def check_upload_size(source: Any, *, name: str = "", limit: int | None = None) -> None:
    """Refuse an uploaded file larger than `MAX_UPLOAD_BYTES` with a message naming the limit."""
    limit = int(settings.MAX_UPLOAD_BYTES) if limit is None else limit
    size = stream_size(source)
    if size is not None and size > limit:
        raise UploadTooLarge(
            "file_too_large",
            _("The file %(name)s is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "name": name or getattr(source, "name", "") or _("upload"),
                "size": _mb(size),
                "limit": _mb(limit),
            },
        )


def check_xlsx_archive(source: str | Path | IO[bytes]) -> None:
    """Refuse an XLSX whose zip would unpack to too much (a zip bomb) before openpyxl reads it.

    The sizes come from the zip's central directory. Python's zipfile never inflates an entry
    past the size declared there (and a lying entry then fails its CRC check), so the declared
    sizes bound what openpyxl can unpack.
    """
    max_total = int(settings.XLSX_MAX_UNCOMPRESSED_BYTES)
    max_ratio = int(settings.XLSX_MAX_RATIO)
    max_entries = int(settings.XLSX_MAX_ENTRIES)
    start = None if isinstance(source, str | Path) else source.tell()
    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DomainError(
            "bad_xlsx", _("The file is not a valid XLSX workbook: %(error)s") % {"error": exc}
        ) from exc
    finally:
        if start is not None:
            source.seek(start)  # type: ignore[union-attr]
    if len(entries) > max_entries:
        raise UploadTooLarge(
            "xlsx_too_many_parts",
            _("The workbook has %(count)s parts; at most %(limit)s are accepted.")
            % {"count": len(entries), "limit": max_entries},
        )
    total = sum(entry.file_size for entry in entries)
    if total > max_total:
        raise UploadTooLarge(
            "xlsx_too_large",
            _(
                "The workbook unpacks to %(size)s MB; at most %(limit)s MB are accepted. "
                "Save it as CSV or split it."
            )
            % {"size": _mb(total), "limit": _mb(max_total)},
        )
    for entry in entries:
        # Small parts may compress very well (an empty sheet); only big ones are suspicious.
        if entry.file_size > MB and entry.file_size > max_ratio * max(entry.compress_size, 1):
            raise UploadTooLarge(
                "xlsx_ratio",
                _(
                    "The workbook part %(part)s is compressed %(ratio)s times; at most "
                    "%(limit)s times is accepted (this looks like a zip bomb)."
                )
                % {
                    "part": entry.filename,
                    "ratio": entry.file_size // max(entry.compress_size, 1),
                    "limit": max_ratio,
                },
            )


def too_large_message() -> str:
    return _("The upload is larger than %(limit)s MB.") % {
        "limit": _mb(int(settings.MAX_REQUEST_BYTES))
    }


class UploadLimitMiddleware:
    """Answer 413 to a request whose body is over `MAX_REQUEST_BYTES`, before it is read.

    Django's own limits (`DATA_UPLOAD_MAX_MEMORY_SIZE`) leave file parts of a multipart body
    unbounded; this closes that for every page and API operation at once. Under WSGI a body
    without Content-Length is read as empty, so the header is enough.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > int(settings.MAX_REQUEST_BYTES):
            message = too_large_message()
            if request.path.startswith(("/api/", "/open311/")):
                return JsonResponse({"code": "too_large", "message": message}, status=413)
            return render(request, "core/too_large.html", {"message": message}, status=413)
        return self.get_response(request)
