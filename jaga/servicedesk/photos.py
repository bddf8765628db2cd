"""Photo checks: size and type first, then a re-encode that drops every metadata block (EXIF GPS)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from jaga.core.errors import DomainError

MAX_PHOTOS = 5
MAX_PIXELS = 40_000_000
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass
class CleanPhoto:
    content: ContentFile[bytes]
    content_type: str
    width: int
    height: int


def clean_photo(upload: IO[bytes] | Any, *, name: str = "") -> CleanPhoto:
    """Check one uploaded photo and return a copy without metadata, or raise DomainError."""
    limit = int(settings.MAX_UPLOAD_BYTES)
    size = getattr(upload, "size", None)
    label = name or getattr(upload, "name", "") or _("photo")
    if size is not None and size > limit:
        raise DomainError(
            "photo_too_large",
            _("The photo %(name)s is %(size)s MB; the limit is %(limit)s MB.")
            % {"name": label, "size": round(size / 1024 / 1024, 1), "limit": limit // 1024 // 1024},
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError(
            "photo_too_large",
            _("The photo %(name)s is larger than %(limit)s MB.")
            % {"name": label, "limit": limit // 1024 // 1024},
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format or ""
                if kind not in FORMATS:
                    raise DomainError(
                        "photo_type",
                        _("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": label},
                    )
                if probe.width * probe.height > MAX_PIXELS:
                    raise DomainError(
                        "photo_too_large",
                        _("The photo %(name)s has too many pixels.") % {"name": label},
                    )
                image = ImageOps.exif_transpose(probe)
                image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, Warning) as exc:
        raise DomainError(
            "photo_type", _("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": label}
        ) from exc
    content_type, ext = FORMATS[kind]
    out = io.BytesIO()
    # A fresh image with pixels only: EXIF (GPS position, camera serial), XMP and ICC are gone.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if kind == "JPEG":
        if clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=85)
    else:
        clean.save(out, kind)
    return CleanPhoto(
        content=ContentFile(out.getvalue(), name=f"photo.{ext}"),
        content_type=content_type,
        width=clean.width,
        height=clean.height,
    )
