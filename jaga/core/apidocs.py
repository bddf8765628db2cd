"""The API's title and description, translated (the docs page is read in the user's language).

They live in an app (core) so that `makemessages` finds them: jaga/api.py belongs to no app.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

TITLE = _("Jaga API")
DESCRIPTION = _(
    "Jaga: community-policing partnership system. Authenticate with the browser session or "
    "a personal token (`Authorization: Bearer …`, created on the profile page)."
)
