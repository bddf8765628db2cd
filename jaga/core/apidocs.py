"""The API's title and description, translated (the docs page is read in the user's language).

They live in an app (core) so that `makemessages` finds them: jaga/api.py belongs to no app.
"""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext_lazy as _

TITLE = cast(str, _("Jaga API"))
DESCRIPTION = cast(
    str,
    _(
        "Jaga: community-policing partnership system. Authenticate with the browser session or "
        "a personal token (`Authorization: Bearer …`, created on the profile page)."
    ),
)


def gettext_lazy(message: str) -> str:
    """Django's gettext_lazy typed as `str`, for django-ninja's `summary=`: the schema is built on
    each request and serialises the lazy string in the reader's language. Named like Django's so
    that makemessages extracts the calls."""
    return cast(str, _(message))
