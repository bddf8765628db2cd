"""Every write through the Django admin leaves an audit row, for every registered model.

The test walks the admin registry, so a model registered later is covered (or fails here until it
says how to add one). Forms are filled the way a browser does: the page's own fields and defaults,
then the values below.
"""

from __future__ import annotations

import datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse

from jaga.accounts import services as account_services
from jaga.accounts.models import ApiToken, Posting, Role, User
from jaga.core.admin_audit import AuditedModelAdmin
from jaga.core.audit import verify_chain
from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.territory.models import NormSetting, Territory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


class FormParser(HTMLParser):
    """The fields of the admin's change form as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: tuple[str, bool] | None = None
        self._select_values: list[str] = []
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(name, a.get("value") or "on")
                return
            self._add(name, a.get("value", ""))
        elif tag == "select" and name:
            self._select = (name, "multiple" in a)
            self._select_values, self._select_first = [], None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._select_values.append(value)
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            if self._select_values:
                self.data[name] = self._select_values
            elif not multiple and self._select_first is not None:
                self.data[name] = [self._select_first]
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_of(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = FormParser()
    parser.feed(response.content.decode())
    return {k: v if len(v) > 1 else v[0] for k, v in parser.data.items()}


def _choice(model: type[models.Model], field: str) -> Any:
    return model._meta.get_field(field).choices[0][0]  # type: ignore[index]


def _add_data(label: str, village: Territory) -> dict[str, Any]:
    from jaga.incidents.models import Category
    from jaga.servicedesk.models import Service
    from jaga.territory.models import PoliceUnit

    table: dict[str, dict[str, Any]] = {
        "auth.group": {"name": "Auditors"},
        "accounts.user": {
            "username": "newofficer",
            "usable_password": "true",
            "password1": "a long and new passphrase",
            "password2": "a long and new passphrase",
        },
        "territory.territory": {
            "code": "35.03.11.9999",
            "name": "Desa Uji",
            "level": "village",
            "parent": Territory.objects.get(code="35.03.11").pk,
            "province_code": "35",
            "regency_code": "35.03",
            "district_code": "35.03.11",
            "polmas_status": _choice(Territory, "polmas_status"),
        },
        "territory.population": {
            "village": village.pk,
            "year": 2031,
            "count": 1234,
            "source": "test",
        },
        "territory.policeunit": {
            "kind": _choice(PoliceUnit, "kind"),
            "name": "Pos Uji",
            "code": "POS-UJI",
            "territories": [village.pk],
        },
        "territory.normsetting": {"key": "test_norm", "value": "1.5", "label": "Test norm"},
        "servicedesk.service": {
            "code": "uji",
            "name_id": "Uji",
            "name_en": "Test",
            "group": _choice(Service, "group"),
            "sla_hours": 24,
            "reopen_days": 7,
            "sort_order": 1,
        },
        "servicedesk.open311client": {"name": "Test client", "contact": "ops@example.org"},
        "servicedesk.photohost": {"host": "media.example.org", "is_active": "on"},
        "webhooks.endpoint": {
            "name": "Dashboard",
            "url": "https://dashboard.example.org/hook",
            "events": ["report.created"],
            "is_active": "on",
        },
        # A TOTP device for a user (an admin replacing a lost phone): its key is generated.
        "otp_totp.totpdevice": {
            "user": User.objects.get(username="root").pk,
            "name": "Telepon baru",
        },
        "incidents.category": {
            "name_id": "Uji",
            "name_en": "Test",
            "group": _choice(Category, "group"),
            "sort_order": 1,
        },
    }
    if label not in table:
        pytest.fail(f"{label}: the admin may add it; say here how to fill its add form")
    return table[label]


def _existing(label: str, admin_user: Any) -> models.Model:
    """An object to change or delete where the admin may not add one."""
    if label == "accounts.apitoken":
        token, _raw = account_services.create_api_token(admin_user, "t", actor=admin_user)
        return token
    if label.startswith("axes."):
        # django-axes' records of login attempts: an admin may clear them (unlock someone).
        from django.apps import apps

        model = apps.get_model(label)
        fields = {f.name for f in model._meta.concrete_fields}
        row: dict[str, Any] = {"username": "mallory", "ip_address": "203.0.113.9"}
        row.update(
            {
                k: v
                for k, v in {
                    "user_agent": "test",
                    "http_accept": "*/*",
                    "path_info": "/akun/masuk/",
                    "failures_since_start": 5,
                }.items()
                if k in fields
            }
        )
        return model.objects.create(**row)
    pytest.fail(f"{label}: the admin may change or delete it; say here how to make one")


# Admin add forms that call a service: the service's own audit row stands for the admin's.
SERVICE_AUDITED: dict[str, str] = {}
# Add forms that are not model forms, each tested with its own data where it lives:
# the pemekaran form (tests/territory/test_pemekaran.py records a split through it).
OWN_ADD_FORM = {"territory.territorychange"}


def _rows(action: str, obj_label: str, pk: Any) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=action, object_type=obj_label, object_id=str(pk)))


def test_every_registered_admin_is_audited():
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AuditedModelAdmin), model._meta.label


def test_every_admin_add_change_and_delete_leaves_an_audit_row(admin_user, village_a):
    client = client_for(admin_user)
    request = RequestFactory().get("/")
    request.user = admin_user
    checked = 0
    for model, model_admin in list(admin.site._registry.items()):
        label = model._meta.label_lower
        info = (model._meta.app_label, model._meta.model_name)
        obj: models.Model | None = None
        if model_admin.has_add_permission(request) and label not in OWN_ADD_FORM:
            url = reverse("admin:{}_{}_add".format(*info))
            data = {**form_of(client, url), **_add_data(label, village_a)}
            newest = model._base_manager.order_by("-pk").values_list("pk", flat=True).first()
            response = client.post(url, data)
            assert response.status_code == 302, (label, response.context and [
                response.context.get("adminform") and response.context["adminform"].form.errors,
                [f.errors for f in response.context.get("inline_admin_formsets") or []],
            ])  # fmt: skip
            obj = model._base_manager.order_by("-pk").first()
            assert obj is not None and obj.pk != newest, label
            action = SERVICE_AUDITED.get(label, "admin.add")
            (row,) = _rows(action, label, obj.pk)
            assert row.actor == admin_user and row.after is not None and row.before is None
            checked += 1
        if obj is None and (
            model_admin.has_change_permission(request) or model_admin.has_delete_permission(request)
        ):
            obj = _existing(label, admin_user)
        if obj is not None and model_admin.has_change_permission(request, obj):
            url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            response = client.post(url, form_of(client, url))
            assert response.status_code == 302, label
            (row,) = _rows("admin.change", label, obj.pk)
            assert row.before is not None and row.after is not None
            checked += 1
        if obj is not None and model_admin.has_delete_permission(request, obj):
            url = reverse("admin:{}_{}_delete".format(*info), args=[obj.pk])
            response = client.post(url, {"post": "yes"})
            assert response.status_code == 302, label
            assert not model._base_manager.filter(pk=obj.pk).exists(), label
            (row,) = _rows("admin.delete", label, obj.pk)
            assert row.before is not None and row.after is None
            checked += 1
    assert checked >= 25
    assert verify_chain().intact


def test_a_norm_setting_edit_records_before_and_after(admin_client_, admin_user):
    norm = NormSetting.objects.create(key="ratio", value="1", label="Ratio")
    url = reverse("admin:territory_normsetting_change", args=[norm.pk])
    data = form_of(admin_client_, url)
    data["value"] = "2"
    assert admin_client_.post(url, data).status_code == 302
    (row,) = _rows("admin.change", "territory.normsetting", norm.pk)
    assert row.before["value"] in ("1", 1, "1.000", "1.0000")
    assert str(row.after["value"]).startswith("2")
    assert row.actor == admin_user


def test_bulk_delete_writes_a_row_per_object(admin_client_):
    norms = [NormSetting.objects.create(key=f"k{i}", value="1", label="x") for i in range(3)]
    response = admin_client_.post(
        reverse("admin:territory_normsetting_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [n.pk for n in norms],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not NormSetting.objects.filter(pk__in=[n.pk for n in norms]).exists()
    for n in norms:
        (row,) = _rows("admin.delete", "territory.normsetting", n.pk)
        assert row.before["key"] == n.key


def test_deleting_a_user_records_what_went_with_it(admin_client_, alice):
    response = admin_client_.post(
        reverse("admin:accounts_user_delete", args=[alice.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    (row,) = _rows("admin.delete", "accounts.user", alice.pk)
    assert "'accounts.posting': 1" in row.note
    assert row.before["password"] == "***"


# --- postings through the admin go through the posting services ---------------------------------


def _posting_form(client: Client, user: Any, **row: Any) -> dict[str, Any]:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = form_of(client, url)
    index = int(data["postings-TOTAL_FORMS"])
    data["postings-TOTAL_FORMS"] = str(index + 1)
    data.update({f"postings-{index}-{k}": v for k, v in row.items()})
    data[f"postings-{index}-user"] = str(user.pk)
    return data


def _post_user(client: Client, user: Any, data: dict[str, Any]) -> Any:
    return client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)


def test_a_posting_added_in_the_admin_goes_through_the_service(admin_client_, bob, alice):
    village = Territory.objects.get(code="35.03.11.2001")
    data = _posting_form(
        admin_client_,
        alice,
        role=Role.BHABIN,
        territory=village.pk,
        valid_from="2026-01-01",
    )
    response = _post_user(admin_client_, alice, data)
    assert response.status_code == 302
    posting = Posting.objects.get(user=alice, territory=village)
    (row,) = _rows("accounts.posting_created", "accounts.posting", posting.pk)
    assert row.territory_code == village.code
    assert not _rows("admin.add", "accounts.posting", posting.pk)


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ({"role": Role.BHABIN, "territory": "35.03.11"}, "bhabin_needs_village"),
        ({"role": Role.POLSEK, "territory": "35.03.11.1002"}, "bad_level"),
        ({"role": Role.LEADER, "territory": "35.03.11"}, "bad_level"),
        ({"role": Role.PARTNER, "territory": "35.03.11"}, "organisation_required"),
        ({"role": Role.PARTNER, "territory": "35.03.11", "organisation_id": "999999"}, "no_organisation"),
        ({"role": Role.POLSEK, "territory": "35.03.02", "organisation_id": "1"}, "organisation_not_partner"),
        ({"role": Role.POLSEK, "territory": "35.03.02", "valid_to": "2025-01-01"}, "bad_dates"),
        ({"role": Role.BHABIN, "territory": "35.03.11.1002"}, "posting_overlaps"),
    ],
)  # fmt: skip
def test_a_posting_that_does_not_fit_is_refused(admin_client_, alice, row, code):
    row = {"valid_from": "2026-01-01", **row}
    row["territory"] = Territory.objects.get(code=row["territory"]).pk
    before = list(Posting.objects.values_list("pk", "valid_to"))
    audit = AuditLog.objects.count()
    response = _post_user(admin_client_, alice, _posting_form(admin_client_, alice, **row))
    assert response.status_code == 200
    (formset,) = response.context["inline_admin_formsets"]
    codes = [e.code for f in formset.formset.forms for e in f.non_field_errors().as_data()]
    assert code in codes
    assert list(Posting.objects.values_list("pk", "valid_to")) == before
    assert AuditLog.objects.count() == audit


def test_ending_a_posting_in_the_admin_is_audited(admin_client_, alice):
    posting = Posting.objects.get(user=alice)
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    data = form_of(admin_client_, url)
    data["postings-0-valid_to"] = "2026-06-30"
    assert _post_user(admin_client_, alice, data).status_code == 302
    posting.refresh_from_db()
    assert posting.valid_to == datetime.date(2026, 6, 30)
    (row,) = _rows("accounts.posting_changed", "accounts.posting", posting.pk)
    assert row.before["valid_to"] is None and row.after["valid_to"] == "2026-06-30"


def test_postings_cannot_be_deleted_in_the_admin(admin_client_, alice):
    data = form_of(admin_client_, reverse("admin:accounts_user_change", args=[alice.pk]))
    assert not any(k.endswith("-DELETE") for k in data)
    data["postings-0-DELETE"] = "on"
    _post_user(admin_client_, alice, data)
    assert Posting.objects.filter(user=alice).count() == 1


def test_api_tokens_are_revoked_through_the_service(admin_client_, alice):
    token, _raw = account_services.create_api_token(alice, "phone", actor=alice)
    response = admin_client_.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert _rows("accounts.token_revoked", "accounts.apitoken", token.pk)


def test_partner_postings_name_an_organisation_of_their_area(admin_user, alice):
    from jaga.partners.models import Organisation, OrgKind

    district = Territory.objects.get(code="35.03.11")
    here = Organisation.objects.create(kind=OrgKind.values[0], name="Pokdar", territory=district)
    away = Organisation.objects.create(
        kind=OrgKind.values[0], name="Elsewhere", territory=Territory.objects.get(code="35.03.02")
    )
    with pytest.raises(DomainError) as refused:
        account_services.create_posting(
            alice, Role.PARTNER, district, actor=admin_user, organisation_id=away.pk
        )
    assert refused.value.code == "organisation_elsewhere"
    posting = account_services.create_posting(
        alice, Role.PARTNER, district, actor=admin_user, organisation_id=here.pk
    )
    assert posting.organisation_id == here.pk
    (row,) = _rows("accounts.posting_created", "accounts.posting", posting.pk)
    assert row.after["organisation_id"] == here.pk


def test_a_posting_cannot_overlap_the_same_role_and_territory(admin_user, alice, village_a):
    with pytest.raises(DomainError) as refused:
        account_services.create_posting(
            alice, Role.BHABIN, village_a, actor=admin_user, valid_from=datetime.date(2030, 1, 1)
        )
    assert refused.value.code == "posting_overlaps"
    posting = Posting.objects.get(user=alice)
    account_services.end_posting(posting, datetime.date(2029, 12, 31), actor=admin_user)
    later = account_services.create_posting(
        alice, Role.BHABIN, village_a, actor=admin_user, valid_from=datetime.date(2030, 1, 1)
    )
    assert later.valid_from == datetime.date(2030, 1, 1)


def test_a_password_set_in_the_admin_is_audited(admin_client_, admin_user, alice):
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    response = admin_client_.post(
        url,
        {
            "password1": "another long passphrase",
            "password2": "another long passphrase",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another long passphrase")
    (row,) = _rows("admin.change", "accounts.user", alice.pk)
    assert row.actor == admin_user and "another" not in str(row.after)


def test_inline_rows_added_changed_and_deleted_in_the_admin_are_audited(admin_client_):
    from jaga.servicedesk.models import Service, ServiceQuestion

    service = Service.objects.order_by("pk").first()
    assert service is not None
    url = reverse("admin:servicedesk_service_change", args=[service.pk])
    data = form_of(admin_client_, url)
    i = int(data["questions-TOTAL_FORMS"])
    data["questions-TOTAL_FORMS"] = str(i + 1)
    data.update(
        {
            f"questions-{i}-code": "kendaraan",
            f"questions-{i}-prompt_id": "Nomor kendaraan?",
            f"questions-{i}-prompt_en": "Vehicle number?",
            f"questions-{i}-datatype": ServiceQuestion._meta.get_field("datatype").choices[0][0],  # type: ignore[index]
            f"questions-{i}-order": "9",
            f"questions-{i}-values": "[]",
            f"questions-{i}-service": str(service.pk),
        }
    )
    assert admin_client_.post(url, data).status_code == 302
    question = ServiceQuestion.objects.get(service=service, code="kendaraan")
    (added,) = _rows("admin.add", "servicedesk.servicequestion", question.pk)
    assert added.after["prompt_en"] == "Vehicle number?"

    data = form_of(admin_client_, url)
    index = next(k for k, v in data.items() if k.endswith("-id") and v == str(question.pk))
    prefix = index[: -len("id")]
    data[prefix + "prompt_en"] = "Plate number?"
    assert admin_client_.post(url, data).status_code == 302
    (changed,) = _rows("admin.change", "servicedesk.servicequestion", question.pk)
    assert changed.before["prompt_en"] == "Vehicle number?"
    assert changed.after["prompt_en"] == "Plate number?"

    data = form_of(admin_client_, url)
    data[prefix + "DELETE"] = "on"
    assert admin_client_.post(url, data).status_code == 302
    assert not ServiceQuestion.objects.filter(pk=question.pk).exists()
    (deleted,) = _rows("admin.delete", "servicedesk.servicequestion", question.pk)
    assert deleted.before["prompt_en"] == "Plate number?"
