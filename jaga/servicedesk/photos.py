"""Photos of reports: checked and re-encoded without metadata by `jaga.core.images`, stored in the
protected storage and linked only through views that check who may see them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from jaga.core.images import MAX_PIXELS, CleanPhoto, clean_image

if TYPE_CHECKING:
    from jaga.servicedesk.models import Attachment

MAX_PHOTOS = 5
clean_photo = clean_image

__all__ = ["MAX_PHOTOS", "MAX_PIXELS", "CleanPhoto", "clean_photo", "photo_url"]


def photo_url(photo: Attachment, public: bool) -> str:
    """Where a page links `photo`: the staff view (checks the viewer's scope), or with
    `public=True` the public view, which serves only photos approved for the public."""
    name = "servicedesk:public_photo" if public else "servicedesk:photo"
    return reverse(name, args=[photo.request.ticket, photo.pk])
