"""Recording survey answers: ranges, one answer per invitation, roll-ups, the desk's signal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from jaga.analytics.models import MonthlyMetric
from jaga.core.errors import DomainError
from jaga.core.gateways import LoggingGateway
from jaga.core.models import AuditLog
from jaga.servicedesk.signals import request_closed
from jaga.surveys import services
from jaga.surveys.models import IkmElement, IkmResponse, TrustInvitation, TrustResponse
from tests.surveys.conftest import SCORES, TRUST

pytestmark = pytest.mark.django_db
DAY = datetime.date(2024, 3, 5)


def test_an_ikm_answer_is_stored_audited_and_rolled_up(village_a, polsek, alice):
    response = services.submit_ikm_response(
        village=village_a, unit=polsek, scores=SCORES | {"u4": 4}, answered_on=DAY, actor=alice
    )
    assert response.district_code == "35.03.11"
    figures = dict(
        MonthlyMetric.objects.filter(metric__startswith="surveys.ikm").values_list("key", "value")
    )
    assert figures[""] == 1 and figures["u4"] == 4 and figures["u1"] == 3
    assert AuditLog.objects.filter(action="surveys.ikm_response", actor=alice).count() == 1


@pytest.mark.parametrize("bad", [0, 5, "4.5", "", None, "tiga"])
def test_an_ikm_score_out_of_range_is_refused_and_nothing_is_kept(village_a, polsek, bad):
    with pytest.raises(DomainError) as caught:
        services.submit_ikm_response(village=village_a, unit=polsek, scores=SCORES | {"u3": bad})
    assert caught.value.code == "score_out_of_range"
    assert IkmResponse.objects.count() == 0
    assert MonthlyMetric.objects.count() == 0


def test_an_unknown_profile_value_is_refused(village_a, polsek):
    with pytest.raises(DomainError):
        services.submit_ikm_response(
            village=village_a, unit=polsek, scores=SCORES, profile={"gender": "x"}
        )


def test_a_district_is_not_a_village(district_ab, polsek):
    with pytest.raises(DomainError) as caught:
        services.submit_ikm_response(village=district_ab, unit=polsek, scores=SCORES)
    assert caught.value.code == "bad_village"


@pytest.mark.usefixtures("frozen_clock")
def test_a_future_date_is_refused(village_a, polsek):
    with pytest.raises(DomainError):
        services.submit_ikm_response(
            village=village_a,
            unit=polsek,
            scores=SCORES,
            answered_on=timezone.localdate() + datetime.timedelta(days=1),
        )


def test_a_trust_answer_adds_sums_and_squares(village_a):
    services.submit_trust_response(village=village_a, answers=TRUST, answered_on=DAY)
    services.submit_trust_response(
        village=village_a, answers=TRUST | {"trust_police": 2}, answered_on=DAY
    )
    rows = {(m, k): v for m, k, v in MonthlyMetric.objects.values_list("metric", "key", "value")}
    assert rows[("surveys.trust.n", "")] == 2
    assert rows[("surveys.trust.sum", "trust_police")] == 6
    assert rows[("surveys.trust.sumsq", "trust_police")] == 20
    assert rows[("surveys.trust.sum", "knows_bhabin")] == 2


@pytest.mark.parametrize(
    "answers", [TRUST | {"safe_night": 6}, TRUST | {"knows_bhabin": "maybe"}, {"safe_home": 3}]
)
def test_a_bad_trust_answer_is_refused(village_a, answers):
    with pytest.raises(DomainError):
        services.submit_trust_response(village=village_a, answers=answers)
    assert TrustResponse.objects.count() == 0


def test_closing_a_desk_report_invites_the_reporter_once(
    village_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            request_closed.send(
                sender=None,
                request=None,
                ticket="TK123",
                village=village_a,
                email="warga@example.org",
                phone="",
            )
    invitation = TrustInvitation.objects.get()
    assert invitation.ticket == "TK123" and invitation.sent_via == "email"
    assert len(mail.outbox) == 1
    assert invitation.token in mail.outbox[0].body
    assert "warga@example.org" not in str(AuditLog.objects.values_list("after", flat=True))


def test_a_phone_reporter_gets_a_message_and_an_anonymous_one_nothing(
    village_a, django_capture_on_commit_callbacks
):
    LoggingGateway.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_closed.send(
            sender=None, request=None, ticket="TK9", village=village_a, email="", phone="0812345"
        )
        request_closed.send(
            sender=None, request=None, ticket="TK10", village=village_a, email="", phone=""
        )
    assert [to for to, _ in LoggingGateway.sent] == ["0812345"]
    assert list(TrustInvitation.objects.values_list("ticket", flat=True)) == ["TK9"]


def test_an_invitation_is_answered_once(village_a):
    invitation = services.invite_after_close(ticket="T1", village=village_a, phone="0812")
    first = services.submit_trust_response(
        village=None, answers=TRUST, invitation_token=invitation.token
    )
    assert first.village == village_a and first.channel == "invitation"
    with pytest.raises(DomainError) as caught:
        services.submit_trust_response(
            village=None, answers=TRUST | {"trust_police": 1}, invitation_token=invitation.token
        )
    assert caught.value.code == "already_answered"
    assert TrustResponse.objects.get().trust_police == 4  # the first answer is kept


def test_an_unknown_invitation_is_refused(village_a):
    with pytest.raises(DomainError) as caught:
        services.submit_trust_response(village=None, answers=TRUST, invitation_token="nope")
    assert caught.value.code == "unknown_invitation"


def test_weights_are_changed_together_and_must_sum_to_one(admin_user):
    services.set_ikm_weights(
        {f"u{i}": "0.1" for i in range(1, 9)} | {"u9": "0.2"}, actor=admin_user
    )
    assert IkmElement.objects.get(code="u9").weight == Decimal("0.2")
    with pytest.raises(DomainError):
        services.set_ikm_weights({f"u{i}": "0.2" for i in range(1, 10)}, actor=admin_user)
    assert IkmElement.objects.get(code="u9").weight == Decimal("0.2")
