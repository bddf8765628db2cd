"""Every stored picture goes through `clean_image`: re-encoded from its pixels alone.

A phone photo carries its GPS position, the camera's make and serial, XMP and thumbnails; a
report or a visit photo must carry none of that. The re-encode also applies the EXIF orientation
(so the picture still stands upright without its tag), bounds the longest side
(`PHOTO_MAX_SIDE`) and refuses decompression bombs before decoding. `clean_file` does the same
for attachments that may also be documents (PDF, Word, ...): pictures are re-encoded, documents
of the allowed types kept, anything else refused.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from jaga.core.errors import DomainError
from jaga.core.uploads import check_upload_size

MAX_PIXELS = 40_000_000
# Pillow's own guard: an image declaring more pixels than this is refused before decoding.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
DOCUMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xlsx", ".odt")


@dataclass
class CleanPhoto:
    content: ContentFile[bytes]
    content_type: str
    width: int
    height: int


def _not_a_photo(label: str) -> DomainError:
    return DomainError(
        "photo_type", _("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": label}
    )


def _too_many_pixels(label: str) -> DomainError:
    return DomainError(
        "photo_too_large",
        _("The photo %(name)s has too many pixels (at most %(million)s million).")
        % {"name": label, "million": MAX_PIXELS // 1_000_000},
    )


def clean_image(upload: IO[bytes] | Any, *, name: str = "") -> CleanPhoto:
    """Check one uploaded picture and return a re-encoded copy without metadata.

    Raises DomainError for a file over `MAX_UPLOAD_BYTES`, too many pixels, or not a JPEG, PNG
    or WebP picture.
    """
    limit = int(settings.MAX_UPLOAD_BYTES)
    label = name or Path(getattr(upload, "name", "") or "").name or _("photo")
    check_upload_size(upload, name=label)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        check_upload_size(io.BytesIO(data), name=label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format or ""
                if kind not in FORMATS:
                    raise _not_a_photo(label)
                if probe.width * probe.height > MAX_PIXELS:
                    raise _too_many_pixels(label)
                image = ImageOps.exif_transpose(probe)
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard fires on opening, before our count: a picture, but too big.
        raise _too_many_pixels(label) from exc
    except (UnidentifiedImageError, OSError, Warning) as exc:
        raise _not_a_photo(label) from exc
    if image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGB")
    side = int(settings.PHOTO_MAX_SIDE)
    if max(image.size) > side:
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    # A fresh image with the pixels only: EXIF (GPS, camera serial), XMP, ICC and text chunks
    # stay behind with the original.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    content_type, ext = FORMATS[kind]
    out = io.BytesIO()
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


def _is_picture(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)):
                return True
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return False


def _named(photo: CleanPhoto, label: str) -> ContentFile[bytes]:
    extension = (photo.content.name or "photo.jpg").rsplit(".", 1)[1]
    return ContentFile(photo.content.read(), name=f"{Path(label).stem or 'photo'}.{extension}")


def clean_file(
    upload: IO[bytes] | Any, *, name: str = "", documents: tuple[str, ...] = DOCUMENT_EXTENSIONS
) -> tuple[ContentFile[bytes], bool]:
    """An uploaded attachment ready to store, and whether it is a photo.

    A picture (by its name or its content) is re-encoded by `clean_image`; a document of one of
    the `documents` types is kept as it is; anything else is refused.
    """
    label = Path(name or getattr(upload, "name", "") or "").name
    lowered = label.lower()
    check_upload_size(upload, name=label)
    if lowered.endswith(PHOTO_EXTENSIONS):
        return _named(clean_image(upload, name=label), label), True
    if not lowered.endswith(documents):
        raise DomainError(
            "bad_file_type",
            _("Attach a photo (JPG, PNG, WebP) or a document (%(types)s).")
            % {"types": ", ".join(ext.lstrip(".").upper() for ext in documents)},
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(int(settings.MAX_UPLOAD_BYTES) + 1)
    check_upload_size(io.BytesIO(data), name=label)
    if _is_picture(data):
        # A picture renamed .pdf still loses its metadata.
        return _named(clean_image(io.BytesIO(data), name=label), label), True
    return ContentFile(data, name=label or "document"), False
