"""The early warning's own run (not a hand-made event) reaches the webhooks that asked for
alarms, and an alarm about a sensitive matter (domestic violence) never leaves the police."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jaga.analytics.services import record_alarms
from jaga.core import events
from jaga.webhooks import signing
from jaga.webhooks.models import Delivery, Endpoint
from tests.analytics.conftest import (  # noqa: F401
    LAST_MONTH,
    bulk_counts,
    frozen,
    panel_months,
    surge_counts,
    villages,
)
from tests.localserver import LocalServer

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-the-command-centre-xyz"


def plant(area: list[Any], months: list[Any], village: Any, code: str, seed: int) -> None:
    """A quiet series in every village of `area` and a surge in `village` over the last two
    months."""
    bulk_counts(area, months, surge_counts(area, months, village, seed), code)


def test_the_monthly_alarm_run_posts_each_new_alarm_signed(
    frozen: Any,  # noqa: F811
    villages: list[Any],  # noqa: F811
    panel_months: list[Any],  # noqa: F811
    village_a: Any,
    server: LocalServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Endpoint.objects.create(
        name="Command centre",
        url=server.url("/alarms"),
        secret=SECRET,
        events=[events.ALARM_RAISED],
        territory_code="35.03",
    )
    plant(villages, panel_months, village_a, "pencurian", seed=5)
    with django_capture_on_commit_callbacks(execute=True):
        new = record_alarms("35.03", LAST_MONTH)
    assert new and len(server.received) == len(new) == Delivery.objects.count()
    bodies = {}
    for got in server.received:
        assert got.headers["X-Jaga-Event"] == "alarm.raised"
        assert signing.verify(SECRET, got.body, got.headers["X-Jaga-Signature"])
        body = json.loads(got.body)
        bodies[(body["data"]["village_code"], body["data"]["category"])] = body
    mine = bodies[(village_a.code, "pencurian")]
    assert mine["object_id"] == f"{village_a.code}:pencurian:2026-09"
    assert mine["data"]["observed"] == 20 and mine["data"]["month"] == "2026-09"
    assert "sensitive" not in mine["data"]


def test_an_alarm_about_domestic_violence_is_not_sent(
    frozen: Any,  # noqa: F811
    villages: list[Any],  # noqa: F811
    panel_months: list[Any],  # noqa: F811
    village_a: Any,
    server: LocalServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Endpoint.objects.create(
        name="Partner tracker",
        url=server.url("/alarms"),
        secret=SECRET,
        events=[events.ALARM_RAISED],
    )
    plant(villages, panel_months, village_a, "kdrt", seed=5)
    with django_capture_on_commit_callbacks(execute=True):
        new = record_alarms("35.03", LAST_MONTH)
    assert (village_a.pk, "kdrt") in {(a.village_id, a.category_code) for a in new}
    # The officers still hear of it (notifications); no outside system does.
    assert not any(b"kdrt" in got.body for got in server.received)
    assert not Delivery.objects.filter(payload__data__category="kdrt").exists()
