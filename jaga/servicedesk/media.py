"""Photos sent to the desk by programs: uploads through the JSON API and Open311 (`media`), and
Open311's `media_url`, fetched here.

A `media_url` is fetched only from a host an administrator listed (`PhotoHost`), over
`jaga.core.outbound` (https only, never a private address, the peer checked after connecting),
within `MEDIA_URL_TIMEOUT` seconds and `MAX_UPLOAD_BYTES`, following redirects only on the same
host, and only when the answer says it is a JPEG, PNG or WebP picture. What comes back is then
checked and re-encoded by `clean_photo` exactly like a photo uploaded through the web form (the
caller passes it to `submit_request` with the uploads).
"""

from __future__ import annotations

import io
import urllib.parse

from django.conf import settings
from django.utils.translation import gettext as _

from jaga.core import outbound
from jaga.core.errors import DomainError
from jaga.core.images import FORMATS
from jaga.servicedesk.models import PhotoHost

PHOTO_TYPES = frozenset(content_type for content_type, _ext in FORMATS.values())


class NamedBytes(io.BytesIO):
    """Fetched bytes with the name `clean_photo` uses in its messages."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def allowed_host(host: str) -> bool:
    return PhotoHost.objects.filter(host=host.lower().rstrip("."), is_active=True).exists()


def fetch_media_url(url: str) -> NamedBytes:
    """The photo at `url`, unchecked as a picture (clean_photo does that). Raises DomainError
    with a message for the submitter when the address, its host or its answer is refused."""
    url = (url or "").strip()
    label = url[:120]
    try:
        parts = outbound.check_url(url)
    except outbound.OutboundError as exc:
        raise DomainError(
            "bad_media_url",
            _("media_url %(url)s: %(problem)s") % {"url": label, "problem": exc.message},
        ) from None
    host = (parts.hostname or "").lower()
    if not allowed_host(host):
        raise DomainError(
            "media_host_not_allowed",
            _("Photos are not fetched from %(host)s; send the photo itself as media instead.")
            % {"host": host},
        )
    try:
        answer = outbound.request(
            url,
            timeout=float(settings.MEDIA_URL_TIMEOUT),
            max_bytes=int(settings.MAX_UPLOAD_BYTES),
            redirect_hosts=[host],
            headers={"Accept": ", ".join(sorted(PHOTO_TYPES))},
        )
    except outbound.OutboundError as exc:
        if exc.code == "too_large":
            raise DomainError(
                "photo_too_large",
                _("The photo at media_url is larger than %(mb)s MB.")
                % {"mb": int(settings.MAX_UPLOAD_BYTES) // (1024 * 1024)},
            ) from None
        raise DomainError(
            "media_url_failed",
            _("media_url %(url)s: %(problem)s") % {"url": label, "problem": exc.message},
        ) from None
    if answer.status != 200:
        raise DomainError(
            "media_url_failed",
            _("media_url %(url)s answered with status %(status)s.")
            % {"url": label, "status": answer.status},
        )
    if answer.content_type not in PHOTO_TYPES:
        raise DomainError(
            "photo_type",
            _("media_url %(url)s is not a JPEG, PNG or WebP photo.") % {"url": label},
        )
    name = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])[:100] or "media_url"
    return NamedBytes(answer.body, name)
