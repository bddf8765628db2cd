from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy


class DomainError(Exception):
    """A rule of the domain was broken. `code` is stable for programs, `message` is translated."""

    status = 400

    def __init__(self, code: str, message: str | Promise, **params: Any) -> None:
        self.code = code
        self.message = message
        self.params = params
        super().__init__(str(message))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), **self.params}


class ConflictError(DomainError):
    """Someone else changed the record since the user loaded it (optimistic locking): 409."""

    status = 409


class ImportFailed(DomainError):
    """A file import was refused as a whole; `errors` lists every bad row with its line."""

    def __init__(self, message: str | Promise, errors: list[dict[str, Any]]) -> None:
        super().__init__("import_failed", message)
        self.errors = errors

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "errors": self.errors}


# Messages of the API's error answers (kept here so that they are translated with the core app).
NOT_FOUND = gettext_lazy("Not found.")
UNAUTHENTICATED = gettext_lazy("Log in or send a valid API token.")
INVALID_REQUEST = gettext_lazy("The request is not valid.")
OUT_OF_RANGE = gettext_lazy("A value in the request is out of range.")
CONFLICT = gettext_lazy(
    "Someone else changed this record in the meantime. Reload it and make your change again."
)
