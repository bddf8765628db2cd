"""factory_boy factories for the foundation; apps add their own in tests/<app>/factories.py."""

from __future__ import annotations

import datetime

import factory

from jaga.accounts.models import Posting, Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="id_ID")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            obj.save()


class PostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Posting

    user = factory.SubFactory(UserFactory)
    role = Role.BHABIN
    valid_from = datetime.date(2020, 1, 1)


# --------------------------------------------------------------------------- a small world
# One object of every scoped kind in a village inside the personas' area (A = Kelurahan Tamanan,
# 35.03.11.1002) and one outside it (C = Desa Munjungan, 35.03.02.2008), built through the
# services. The personal fields carry recognisable markers (`marker("head", "A")`) so that a
# test can search any response for personal data that reached the wrong person.

NIK_A = "3503111205800001"  # never shown whole to anyone
NIK_C = "3503025205800002"
PHONES = {"A": "081299990011", "C": "081299990033"}
PERSON_PHONES = {"A": "081277770011", "C": "081277770033"}


def marker(kind: str, side: str) -> str:
    return f"QZ{kind.upper()}{side}X"


def build_world(users: dict[str, User]) -> dict[str, dict[str, object]]:
    """Objects on side "A" and side "C"; `users` holds the personas (alice, charlie, bob,
    satbinmas, warga ...). Returns {"A": {...}, "C": {...}, "shared": {...}}."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from jaga.accounts.services import create_api_token
    from jaga.analytics.models import RaidPlan
    from jaga.fieldwork import services as fieldwork
    from jaga.incidents.models import Category, ImportJob
    from jaga.incidents.services import record_incident
    from jaga.partners import services as partners
    from jaga.partners.models import OrgKind
    from jaga.programs import services as programs
    from jaga.programs.models import ActivityFile
    from jaga.reports.models import ReportJob
    from jaga.servicedesk.models import Attachment, Channel, Service
    from jaga.servicedesk.services import submit_request
    from jaga.surveys.models import TrustInvitation
    from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory

    admin = users["satbinmas"]
    regency = Territory.objects.get(code="35.03")
    places = {
        "A": (Territory.objects.get(code="35.03.11.1002"), Territory.objects.get(code="35.03.11")),
        "C": (Territory.objects.get(code="35.03.02.2008"), Territory.objects.get(code="35.03.02")),
    }
    officers = {"A": users["alice"], "C": users["charlie"]}
    polres, _ = PoliceUnit.objects.get_or_create(
        code="polres-t", defaults={"kind": PoliceUnitKind.POLRES, "name": "Polres Trenggalek"}
    )
    polres.territories.add(regency)
    for side, (_village, district) in places.items():
        unit, _ = PoliceUnit.objects.get_or_create(
            code=f"polsek-{side.lower()}",
            defaults={"kind": PoliceUnitKind.POLSEK, "name": f"Polsek {side}", "parent": polres},
        )
        unit.territories.add(district)
    programme = programs.create_programme(actor=admin, code="QZP", name="Programme QZ")
    category = Category.objects.filter(children__isnull=True).order_by("code").first()
    service = Service.objects.get(code="knalpot_brong")
    when = timezone.now() - datetime.timedelta(days=3)
    world: dict[str, dict[str, object]] = {"shared": {"programme": programme, "service": service}}
    for side, (village, district) in places.items():
        officer = officers[side]
        got: dict[str, object] = {"village": village, "district": district}
        report, _ = submit_request(
            service=service,
            village=village,
            description="Knalpot brong tiap malam di depan balai desa.",
            channel=Channel.WEB,
            reporter_name=marker("reporter", side),
            phone=PHONES[side],
            email=f"{marker('mail', side).lower()}@example.org",
        )
        got["report"] = report
        got["photo"] = Attachment.objects.create(
            request=report,
            file=ContentFile(b"\xff\xd8\xff\xd9", name="p.jpg"),
            content_type="image/jpeg",
            size=4,
        )
        got["visit"] = fieldwork.record_visit(
            actor=officer,
            village=village,
            visited_on=datetime.date.today() - datetime.timedelta(days=2),  # noqa: DTZ011
            household_head=marker("head", side),
            topic="security",
            concerns=f"{marker('concern', side)} balap liar",
        )
        # Files the views serve (written straight to storage: serving needs no valid picture).
        got["visit"].photo.save("visit.jpg", ContentFile(b"\xff\xd8\xff\xd9"))
        got["detection"] = fieldwork.record_detection(
            actor=officer,
            village=village,
            observed_at=when,
            information=f"{marker('informant', side)} says a fight is planned",
            source_kind="resident",
            urgency="high",
            frequency="once",
            topic="security",
        )
        got["case"] = fieldwork.open_case(
            actor=officer,
            village=village,
            title="Sengketa batas tanah",
            kind="dispute",
            opened_on=datetime.date.today() - datetime.timedelta(days=1),  # noqa: DTZ011
            problem="Two neighbours dispute a boundary.",
            party_one=marker("partyone", side),
            party_two=marker("partytwo", side),
        )
        got["case"].agreement_document.save("perdamaian.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
        got["operation"] = fieldwork.record_operation(
            actor=users["bob"] if side == "A" else officer,
            programme=programme,
            village=village,
            started_at=when,
            place="Alun-alun",
            team_size=4,
            note=marker("opnote", side),
        )
        got["incident"] = record_incident(
            category=category,
            village=village,
            occurred_at=when,
            source="import",
            source_ref=f"qz-{side}",
            description=marker("incident", side),
        )
        person = partners.create_person(
            actor=admin,
            full_name=marker("person", side),
            village=village,
            gender="m",
            phone=PERSON_PHONES[side],
            nik=NIK_A if side == "A" else NIK_C,
        )
        got["person"] = person
        org = partners.create_organisation(
            actor=admin, kind=OrgKind.COMMUNITY, name=f"Paguyuban {side}", territory=village
        )
        got["organisation"] = org
        partners.add_membership(
            actor=admin, person=person, organisation=org, started_on=datetime.date(2024, 1, 1)
        )
        activity = programs.record_activity(
            actor=admin,
            programme=programme,
            kind="meeting",
            title=f"Rapat {side}",
            starts_at=when,
            village=village,
            area=district,
        )
        got["activity"] = activity
        got["activity_file"] = ActivityFile.objects.create(
            activity=activity, file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="notulen.pdf")
        )
        got["agreement"] = partners.record_agreement(
            actor=admin,
            title=f"MoU {side}",
            kind="mou",
            territory=village,
            signed_on=datetime.date(2024, 1, 1),
            parties=[
                {"role": "community", "name": "Tokoh masyarakat"},
                {"role": "government", "name": "Kepala Desa"},
            ],
            organisation=org,
            document=ContentFile(b"%PDF-1.4\n%%EOF\n", name="mou.pdf"),
        )
        got["invitation"] = programs.invite(activity, actor=admin, person=person)
        got["job"] = ReportJob.objects.create(
            code=f"QZJOB{side}",
            territory=district,
            month=datetime.date(2024, 1, 1),
            status="done",
            pages=1,
            html=f"<p>Anev {side}</p>",
            pdf=b"%PDF-1.4\n%%EOF\n",
        )
        got["import_job"] = ImportJob.objects.create(
            code=f"QZIMPORT{side}",
            territory=district,
            file=ContentFile(b"occurred_at\n", name="history.csv"),
            file_name="history.csv",
            status="done",
            lines=1,
        )
        got["raid_plan"] = RaidPlan.objects.create(
            territory=district, week=datetime.date(2024, 1, 1), places=[]
        )
        got["trust_invitation"] = TrustInvitation.objects.create(
            ticket=f"QZT{side}", village=village, token=f"qz-token-{side.lower()}"
        )
        got["token"], _raw = create_api_token(officer, "qz", actor=officer)
        world[side] = got
    # The resident's own report: the resident may read it, the staff of its area too.
    own, _ = submit_request(
        service=service,
        village=places["A"][0],
        description="Suara knalpot setiap malam.",
        channel=Channel.WEB,
        actor=users["warga"],
        reporter_name=marker("own", "A"),
        phone="081255550011",
    )
    world["A"]["own_report"] = own
    return world
