from __future__ import annotations

from collections.abc import Iterable
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


MAX_LISTED_ERRORS = 100


class ConflictError(DomainError):
    """Someone else changed the record since the user loaded it (optimistic locking): 409."""

    status = 409


class ErrorList(list[dict[str, Any]]):
    """The bad rows of an import: the first `MAX_LISTED_ERRORS` kept, the rest only counted.

    A file of millions of bad rows must not become millions of dicts in memory or in an answer
    (a 200 MB file once gave a 454 MB error body), so `append` stops keeping after the cap and
    counts in `more`. `total` is every error seen; `len()` is what is kept.
    """

    def __init__(self, errors: Iterable[dict[str, Any]] = ()) -> None:
        super().__init__()
        self.more = 0
        for error in errors:
            self.append(error)
        if isinstance(errors, ErrorList):
            self.more += errors.more

    def append(self, error: dict[str, Any]) -> None:
        if len(self) < MAX_LISTED_ERRORS:
            super().append(error)
        else:
            self.more += 1

    @property
    def total(self) -> int:
        return len(self) + self.more


class ImportFailed(DomainError):
    """A file import was refused as a whole; `errors` lists the first bad rows with their lines
    (at most `MAX_LISTED_ERRORS`) and `errors.more` counts the others."""

    def __init__(self, message: str | Promise, errors: Iterable[dict[str, Any]]) -> None:
        super().__init__("import_failed", message)
        self.errors = ErrorList(errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self.message),
            "errors": list(self.errors),
            "more_errors": self.errors.more,
        }

    def more_line(self) -> str:
        """A sentence for a command's output when errors were left out, else ''."""
        if not self.errors.more:
            return ""
        return str(MORE_ERRORS) % {"count": self.errors.more}


# Messages of the API's error answers (kept here so that they are translated with the core app).
NOT_FOUND = gettext_lazy("Not found.")
UNAUTHENTICATED = gettext_lazy("Log in or send a valid API token.")
FORBIDDEN = gettext_lazy("Your role may not use this.")
INVALID_REQUEST = gettext_lazy("The request is not valid.")
MORE_ERRORS = gettext_lazy("... and %(count)s more errors not listed.")
OUT_OF_RANGE = gettext_lazy("A value in the request is out of range.")
CONFLICT = gettext_lazy(
    "Someone else changed this record in the meantime. Reload it and make your change again."
)
