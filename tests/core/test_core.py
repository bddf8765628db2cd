from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.test import Client

from jaga.accounts.models import Posting, Role, User
from jaga.core.audit import log_action, verify_chain
from jaga.core.models import AuditLog
from jaga.territory.models import PoliceUnit, PolmasStatus, Population, Territory

pytestmark = pytest.mark.django_db


def test_the_audit_log_is_append_only(alice, village_a):
    entry = log_action("test.action", village_a, actor=alice, after={"x": 1})
    entry.note = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.update(note="x")


def test_the_landing_page_is_public_and_indonesian():
    response = Client().get("/")
    assert response.status_code == 200
    assert 'lang="id"' in response.content.decode()


def test_the_english_switch(alice_client):
    response = alice_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = alice_client.get("/").content.decode()
    assert 'lang="en"' in body
    assert "My responsibilities" in body


def test_the_home_page_shows_what_the_user_is_responsible_for(bob_client):
    body = bob_client.get("/").content.decode()
    assert "Kecamatan Trenggalek" in body
    assert "Tanggung jawab saya" in body


def test_healthz():
    assert Client().get("/healthz").json()["status"] == "ok"


def test_without_debug_a_missing_secret_key_stops_startup():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "JAGA_TESTING"}}
    result = subprocess.run(
        [sys.executable, "-c", "import jaga.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_demo_builds_trenggalek(capsys):
    call_command("demo", "--seed", "2022")
    out = capsys.readouterr().out
    assert "jaga-demo-2026" in out
    villages = Territory.objects.filter(level="village", regency_code="35.03")
    assert (
        sum(
            Population.objects.filter(village__in=villages, year=2023).values_list(
                "count", flat=True
            )
        )
        == 756_109
    )
    assert Population.objects.filter(synthetic=False).count() == 0
    assert Territory.objects.get(code="35.03.02.2008").polmas_status == PolmasStatus.SELF_MANAGED
    assert PoliceUnit.objects.filter(kind="polsek").count() == 14
    bhabin = Posting.objects.filter(role=Role.BHABIN)
    covered = set(bhabin.values_list("territory__code", flat=True))
    assert 3 <= 157 - len(covered) <= 12
    per_officer = {}
    for user_id in bhabin.values_list("user_id", flat=True):
        per_officer[user_id] = per_officer.get(user_id, 0) + 1
    assert sum(1 for n in per_officer.values() if n >= 2) >= 3
    for role in Role.values:
        assert User.objects.filter(is_demo=True, postings__role=role).exists() or role == "admin"
    assert User.objects.get(username="admin").is_superuser
    assert not User.objects.filter(is_demo=False).exists()
    call_command("demo")  # a second run keeps what is there
    assert PoliceUnit.objects.filter(kind="polsek").count() == 14
    # Whatever audit rows the demo wrote form one intact chain.
    report = verify_chain()
    assert report.intact and report.count == AuditLog.objects.count() > 0, report


def test_the_api_documents_itself_without_external_assets():
    client = Client()
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/me" in schema["paths"]
    assert "/api/v1/territories/{code}" in schema["paths"]


def test_the_logging_gateway_keeps_message_texts_out_of_production_logs(settings, caplog):
    """A reporter's message holds the private tracking code: without DEBUG the log says that a
    message went, not what it said; and the kept messages stay bounded."""
    import logging

    from jaga.core.gateways import LoggingGateway

    LoggingGateway.sent.clear()
    settings.DEBUG = False
    with caplog.at_level(logging.INFO, logger="jaga.gateways"):
        LoggingGateway().send("+6281234567890", "Kode lacak Anda: JG-SECRET-42")
    assert "JG-SECRET-42" not in caplog.text and "+628***90" in caplog.text
    settings.DEBUG = True
    with caplog.at_level(logging.INFO, logger="jaga.gateways"):
        LoggingGateway().send("+6281234567890", "Kode lacak Anda: JG-DEMO-1")
    assert "JG-DEMO-1" in caplog.text
    for i in range(LoggingGateway.KEEP + 5):
        LoggingGateway().send("+6281234567890", f"m{i}")
    assert len(LoggingGateway.sent) == LoggingGateway.KEEP
    assert LoggingGateway.sent[-1][1] == f"m{LoggingGateway.KEEP + 4}"
    LoggingGateway.sent.clear()
