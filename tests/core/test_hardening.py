"""Production hardening: the deploy check with `.env.example`, HTTPS settings, the CSP header.

The deploy check runs `jaga check --deploy --fail-level WARNING` in a subprocess with exactly the
environment `.env.example` gives (plus a generated SECRET_KEY): what an operator copying it gets.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
JAGA = str(Path(sys.executable).with_name("jaga"))


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _sep, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.pop("DATABASE_URL", None)
    env.update(env_example())
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        JAGA_DATA_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    env.update(overrides)
    return env


def run_jaga(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [JAGA, *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_the_deploy_check_is_clean_with_the_production_settings_of_env_example(
    tmp_path: Path,
) -> None:
    done = run_jaga(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize(
    ("setting", "value", "warning"),
    [
        ("SECURE_HSTS_SECONDS", "0", "security.W004"),
        ("SECURE_SSL_REDIRECT", "0", "security.W008"),
        ("SESSION_COOKIE_SECURE", "0", "security.W012"),
        ("CSRF_COOKIE_SECURE", "0", "security.W016"),
    ],
)
def test_the_deploy_check_fails_when_a_protection_is_switched_off(
    tmp_path: Path, setting: str, value: str, warning: str
) -> None:
    done = run_jaga(
        production_env(tmp_path, **{setting: value}),
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert done.returncode != 0
    assert warning in done.stdout + done.stderr


def read_settings(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'jaga.settings');"
        "django.setup(); from django.conf import settings;"
        f"print(repr([getattr(settings, n) for n in {list(names)!r}]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_every_https_setting_is_read_from_the_environment(tmp_path: Path) -> None:
    env = production_env(
        tmp_path,
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_SCHEME, https",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        SECURE_HSTS_PRELOAD="0",
        SECURE_REFERRER_POLICY="no-referrer",
        X_FRAME_OPTIONS="SAMEORIGIN",
        SECURE_REDIRECT_EXEMPT=r"^health/$",
        CSRF_TRUSTED_ORIGINS="https://a.example,https://b.example",
    )
    done = read_settings(
        env,
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_REFERRER_POLICY",
        "X_FRAME_OPTIONS",
        "SECURE_REDIRECT_EXEMPT",
        "CSRF_TRUSTED_ORIGINS",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr(
        [
            ("HTTP_X_FORWARDED_SCHEME", "https"),
            3600,
            False,
            False,
            "no-referrer",
            "SAMEORIGIN",
            ["^health/$"],
            ["https://a.example", "https://b.example"],
            True,
            True,
            True,
        ]
    )


def test_without_a_proxy_header_setting_no_header_is_trusted(tmp_path: Path) -> None:
    done = read_settings(
        production_env(tmp_path, SECURE_PROXY_SSL_HEADER=""), "SECURE_PROXY_SSL_HEADER"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[None]"


def test_a_malformed_proxy_header_setting_stops_the_start(tmp_path: Path) -> None:
    done = read_settings(
        production_env(tmp_path, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO"),
        "SECURE_PROXY_SSL_HEADER",
    )
    assert done.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must be HEADER,value" in done.stderr


# ---------------------------------------------------------------- behaviour behind a TLS proxy


@pytest.fixture
def https_settings(settings: Any) -> Any:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    return settings


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(https_settings: Any) -> None:
    response = Client().get("/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"


@pytest.mark.django_db
def test_https_through_the_proxy_gets_hsts_and_no_redirect(https_settings: Any) -> None:
    response = Client().get("/", headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


# ---------------------------------------------------------------- Content-Security-Policy


class _Inline(HTMLParser):
    """Collects inline <script>/<style> elements (with their nonce) and inline event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []
        self.styles: list[str | None] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.handlers += [f"<{tag} {name}>" for name, _v in attrs if name.startswith("on")]
        kind = (values.get("type") or "").lower()
        if tag == "script" and not values.get("src") and kind not in {"application/json"}:
            self.scripts.append(values.get("nonce"))
        if tag == "style":
            self.styles.append(values.get("nonce"))


def policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def check_page(response: Any) -> _Inline:
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src-attr"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    parsed = _Inline()
    parsed.feed(response.content.decode())
    nonce = next((v for v in csp["script-src"] if v.startswith("'nonce-")), None)
    for found in parsed.scripts + parsed.styles:
        assert found is not None, "inline <script>/<style> without a nonce"
        assert nonce == f"'nonce-{found}'"
    assert parsed.handlers == []
    return parsed


@pytest.mark.django_db
def test_public_pages_carry_the_policy_and_no_inline_code_without_its_nonce(
    client: Client, alice: Any
) -> None:
    from jaga.servicedesk.models import Service

    service = Service.objects.filter(is_active=True, sensitive=False).order_by("code").first()
    assert service is not None
    for url in [
        "/",
        reverse("accounts:login"),
        reverse("servicedesk:report"),
        reverse("servicedesk:report_form", args=[service.code]),
        "/admin/login/",
        "/api/v1/docs",
    ]:
        check_page(client.get(url))
    # The report form (step 2, once the village is chosen) has an inline script; it runs only
    # with this response's nonce.
    url = reverse("servicedesk:report_form", args=[service.code]) + "?desa=35.03.11.1002"
    form = check_page(client.get(url))
    assert form.scripts and all(form.scripts)


@pytest.mark.django_db
def test_officer_pages_carry_the_policy(alice_client: Client) -> None:
    for url in ["/", reverse("fieldwork:visit_new"), reverse("accounts:profile")]:
        check_page(alice_client.get(url))


@pytest.mark.django_db
def test_two_responses_never_share_a_nonce(client: Client) -> None:
    from jaga.servicedesk.models import Service

    code = (
        Service.objects.filter(is_active=True, sensitive=False)
        .order_by("code")
        .values_list("code", flat=True)[0]
    )
    url = reverse("servicedesk:report_form", args=[code]) + "?desa=35.03.11.1002"
    first, second = policy(client.get(url))["script-src"], policy(client.get(url))["script-src"]
    assert first != second


SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)


def test_no_template_has_inline_code_without_the_nonce() -> None:
    """Every template, also the ones no test renders: inline code needs the request's nonce."""
    problems: list[str] = []
    templates = sorted((ROOT / "jaga").glob("*/templates/**/*.html"))
    assert len(templates) > 50
    for path in templates:
        text = path.read_text()
        name = path.relative_to(ROOT)
        for match in SCRIPT_OR_STYLE.finditer(text):
            attrs = match.group(2)
            if "src=" in attrs or "application/json" in attrs:
                continue
            if 'nonce="{{ request.csp_nonce }}"' not in attrs:
                problems.append(f"{name}: <{match.group(1)}{attrs}> without the nonce")
        problems += [
            f"{name}: inline event handler {m.group(0).strip()}" for m in HANDLER.finditer(text)
        ]
        if "javascript:" in text:
            problems.append(f"{name}: javascript: URL")
    assert problems == []


# ---------------------------------------------------------------- where to report


@pytest.mark.django_db
def test_security_txt_names_the_contact_the_polres_sets(client: Client, settings: Any) -> None:
    settings.SECURITY_CONTACT = "keamanan@polres.example"
    settings.SITE_URL = "https://jaga.example"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "Contact: mailto:keamanan@polres.example" in lines
    assert "Canonical: https://jaga.example/.well-known/security.txt" in lines
    (expires,) = [line for line in lines if line.startswith("Expires: ")]
    assert expires.endswith("Z")
    assert "keamanan@polres.example" in client.get("/").content.decode()


@pytest.mark.django_db
def test_without_a_contact_there_is_no_security_txt(client: Client, settings: Any) -> None:
    settings.SECURITY_CONTACT = ""
    assert client.get("/.well-known/security.txt").status_code == 404
