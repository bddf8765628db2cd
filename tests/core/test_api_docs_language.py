"""The API's docs read in Indonesian by default: title, description and every summary."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def _summaries(schema: dict[str, Any]) -> dict[str, str]:
    return {
        f"{method.upper()} {path}": op.get("summary", "")
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }


def test_the_openapi_document_is_indonesian_and_english_on_request(db: Any) -> None:
    client = Client()
    indonesian = client.get("/api/v1/openapi.json", **ENGLISH_BROWSER).json()
    assert indonesian["info"]["title"] == "API Jaga"
    assert "kemitraan pemolisian masyarakat" in indonesian["info"]["description"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/api/v1/openapi.json").json()
    assert english["info"]["title"] == "Jaga API"
    ids, ens = _summaries(indonesian), _summaries(english)
    assert ids.keys() == ens.keys()
    untranslated = sorted(key for key in ids if not ens[key] or ids[key] == ens[key])
    assert untranslated == [], untranslated


def test_the_docs_page_title_is_indonesian(db: Any) -> None:
    page = Client().get("/api/v1/docs", **ENGLISH_BROWSER).content.decode()
    assert "<title>API Jaga</title>" in page
