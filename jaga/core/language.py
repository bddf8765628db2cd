"""The site's language: Indonesian unless the user chose another, and the choice remembered.

Django's LocaleMiddleware follows the browser's Accept-Language header, so an English browser got
an English site although Jaga's readers are Indonesian police officers and villagers. Here the
language comes only from the user's own choice:

- the language switch (`set_language`) stores it in the language cookie, and for a signed-in
  user also on the account (`User.language`);
- at login the account's stored choice is applied (the cookie is set on the login's response), so
  it follows the user to another phone or browser; a choice made before logging in, by an account
  that has none stored yet, is kept on the account;
- otherwise `LANGUAGE_CODE` (Indonesian).

Programs calling the JSON API (`/api/`, Open311) have no cookie and say which language they want
in Accept-Language, so there the header still counts when no cookie chose; the API's docs page and
its OpenAPI document are pages people read and follow the cookie like every other page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.i18n import set_language as django_set_language

from jaga.accounts.access import allow_public

if TYPE_CHECKING:
    from jaga.accounts.models import User


def offered(language: str | None) -> bool:
    return bool(language) and language in {code for code, _name in settings.LANGUAGES}


API_PREFIXES = ("/api/", "/open311/")
API_DOCS = ("/api/v1/docs", "/api/v1/openapi.json")


def chosen_language(request: HttpRequest) -> str:
    """The language of this request: the remembered choice, else the site's default."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie and offered(cookie):
        return cookie
    path = request.path_info
    api = path.startswith(API_PREFIXES) and not path.startswith(API_DOCS)
    if api and request.headers.get("Accept-Language"):
        asked = translation.get_language_from_request(request)
        if offered(asked):
            return asked
    return str(settings.LANGUAGE_CODE)


def _set_cookie(response: HttpResponseBase, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class ChosenLanguageMiddleware(LocaleMiddleware):
    """LocaleMiddleware without Accept-Language: the cookie or Indonesian (see the module)."""

    def process_request(self, request: HttpRequest) -> None:
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        applied = getattr(request, "jaga_login_language", None)
        if applied:
            _set_cookie(response, applied)
        # The page depends on the cookie, never on Accept-Language.
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def apply_language_at_login(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    """user_logged_in: apply the account's language, or keep the visitor's choice on the account."""
    if request is None:
        return
    from jaga.accounts.services import set_language_preference

    stored = getattr(user, "language", "")
    if offered(stored):
        request.jaga_login_language = stored  # type: ignore[attr-defined]
        translation.activate(stored)
        request.LANGUAGE_CODE = stored
        return
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie and offered(cookie):
        set_language_preference(user, cookie, actor=user)


@allow_public
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (cookie and redirect), and for a signed-in user the account's."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if offered(language) and request.user.is_authenticated:
        from jaga.accounts.services import set_language_preference

        set_language_preference(request.user, language, actor=request.user)
    return response
