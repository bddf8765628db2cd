"""The desk's "assigned to you" message: the officer's own settings, nothing sensitive named."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from jaga.notifications import services
from jaga.notifications.models import Kind

pytestmark = pytest.mark.django_db


def _to_alice(alice: Any, sent: Any) -> tuple[list[Any], list[str]]:
    mails = [m for m in mail.outbox if m.to == [alice.email] and "alice" in alice.email]
    texts = [text for to, text in sent if to == alice.phone]
    return mails, texts


def test_the_assigned_message_follows_the_officers_settings(
    committed: Any, file_report: Any, village_a: Any, alice: Any, sent: Any
) -> None:
    # Without a saved choice: e-mail (and the inbox), not WhatsApp / SMS.
    mail.outbox.clear()
    report = committed(file_report, village_a)
    assert report.assignee == alice
    mails, texts = _to_alice(alice, sent)
    assert [m.subject for m in mails] == [f"Jaga: laporan {report.ticket} ditugaskan kepada Anda"]
    assert texts == []

    services.save_preferences(alice, {Kind.NEW_REPORT: {"message"}})
    mail.outbox.clear()
    sent.clear()
    report = committed(file_report, village_a)
    mails, texts = _to_alice(alice, sent)
    assert mails == [] and len(texts) == 1 and report.ticket in texts[0]

    services.save_preferences(alice, {Kind.NEW_REPORT: set()})
    mail.outbox.clear()
    sent.clear()
    committed(file_report, village_a)
    assert _to_alice(alice, sent) == ([], [])


def test_the_assigned_message_does_not_name_a_sensitive_service(
    committed: Any, file_report: Any, village_a: Any, alice: Any, sent: Any
) -> None:
    from jaga.servicedesk.models import Service

    kdrt = Service.objects.get(code="kdrt")
    assert kdrt.sensitive
    services.save_preferences(alice, {Kind.NEW_REPORT: {"inbox", "email", "message"}})
    mail.outbox.clear()
    report = committed(file_report, village_a, service=kdrt, answers={"aman": "ya"})
    mails, texts = _to_alice(alice, sent)
    assert len(mails) == 1 and len(texts) == 1
    for text in [mails[0].subject, mails[0].body, texts[0]]:
        assert report.ticket in text
        assert kdrt.name not in text and "KDRT" not in text.upper(), text
