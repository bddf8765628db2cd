"""The partnership registry: people, organisations, memberships and agreements (MoU)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jaga.accounts.access import PARTNERSHIP_ROLES, ScopedQuerySet
from jaga.core.protected import protected_storage


class Gender(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")


class Education(models.TextChoices):
    NONE = "none", _("No schooling")
    SD = "sd", _("Primary (SD)")
    SMP = "smp", _("Junior secondary (SMP)")
    SMA = "sma", _("Senior secondary (SMA/SMK)")
    DIPLOMA = "diploma", _("Diploma")
    BACHELOR = "s1", _("Bachelor (S1)")
    POSTGRADUATE = "s2", _("Postgraduate (S2/S3)")


class CommunityRole(models.TextChoices):
    TOKOH_MASYARAKAT = "masyarakat", _("Tokoh masyarakat")
    TOKOH_AGAMA = "agama", _("Tokoh agama")
    TOKOH_ADAT = "adat", _("Tokoh adat")
    TOKOH_PEMUDA = "pemuda", _("Tokoh pemuda")
    TOKOH_PEREMPUAN = "perempuan", _("Tokoh perempuan")


class Person(models.Model):
    """A partner: a resident, a community leader, an official. Contact details and NIK are
    personal data: the NIK is kept only as a keyed hash plus its last four digits."""

    scope_field = "village__code"
    scope_roles = PARTNERSHIP_ROLES

    full_name = models.CharField(_("full name"), max_length=150)
    village = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="partner_people",
    )
    regency_code = models.CharField(max_length=5, db_index=True, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    education = models.CharField(
        _("education"), max_length=8, choices=Education.choices, blank=True
    )
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    community_roles = models.JSONField(
        _("community roles"), default=list, blank=True, help_text=_("tokoh masyarakat, agama, ...")
    )
    # Kept with the roles so that "leaders vs residents" is one indexed filter.
    is_leader = models.BooleanField(_("community leader"), default=False, db_index=True)
    position = models.CharField(
        _("official position"), max_length=100, blank=True, help_text=_("e.g. Kepala Desa, Camat")
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    nik_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    nik_last4 = models.CharField(_("NIK (last 4 digits)"), max_length=4, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "id"]
        indexes = [models.Index(fields=["regency_code", "is_leader"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def nik_masked(self) -> str:
        return f"************{self.nik_last4}" if self.nik_last4 else ""

    def community_role_labels(self) -> list[str]:
        labels = dict(CommunityRole.choices)
        return [str(labels.get(r, r)) for r in self.community_roles]


class OrgKind(models.TextChoices):
    FKPM = "fkpm", _("FKPM (police–community partnership forum)")
    POKDAR = "pokdar_kamtibmas", _("Pokdar Kamtibmas")
    FKPSB = "fkpsb", _("FKPSB (pencak silat and martial-arts forum)")
    PERGURUAN = "perguruan_silat", _("Perguruan silat")
    DAI = "dai_kamtibmas", _("Dai Kamtibmas")
    AGENCY = "agency", _("Government agency")
    SCHOOL = "school", _("School")
    VILLAGE_GOVERNMENT = "village_government", _("Village government")
    COMMUNITY = "community", _("Community group")
    MEDIA = "media", _("Media")


class Organisation(models.Model):
    """A partner organisation; its territory is the area it serves (village, district, regency)."""

    scope_field = "territory__code"
    scope_roles = PARTNERSHIP_ROLES

    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    local_name = models.CharField(
        _("local name"),
        max_length=200,
        blank=True,
        help_text=_("e.g. the FKPM's name in the village"),
    )
    territory = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="partner_organisations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.local_name})" if self.local_name else self.name


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    VICE_CHAIR = "vice_chair", _("Vice chair")
    SECRETARY = "secretary", _("Secretary")
    TREASURER = "treasurer", _("Treasurer")
    ADVISER = "adviser", _("Adviser")
    COORDINATOR = "coordinator", _("Coordinator")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    scope_field = "person__village__code"
    scope_roles = PARTNERSHIP_ROLES

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(
        _("role"), max_length=12, choices=MemberRole.choices, default=MemberRole.MEMBER
    )
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation", "role", "person__full_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="membership_valid_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.organisation} · {self.get_role_display()}"


class AgreementKind(models.TextChoices):
    FOUNDING = "founding", _("Founding agreement")
    MOU = "mou", _("Memorandum of understanding (MoU)")
    PEACE = "peace_declaration", _("Peace declaration")


class PartyRole(models.TextChoices):
    POLICE = "police", _("Police (Kapolsek / Kapolres)")
    GOVERNMENT = "government", _("Government (Camat / Kepala Desa / Lurah)")
    COMMUNITY = "community", _("Community leaders")
    ORGANISATION = "organisation", _("Organisation")


class Agreement(models.Model):
    scope_field = "territory__code"
    scope_roles = PARTNERSHIP_ROLES

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices)
    territory = models.ForeignKey(
        "territory.Territory", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreements",
        help_text=_("The organisation it founds or concerns."),
    )
    signed_on = models.DateField(_("signed on"))
    document = models.FileField(
        _("signed document"), upload_to="agreements/%Y/", blank=True, storage=protected_storage
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-signed_on", "id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.signed_on})"


class AgreementParty(models.Model):
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="parties"
    )
    role = models.CharField(_("party"), max_length=12, choices=PartyRole.choices)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="agreements"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="signed"
    )
    name = models.CharField(_("name as signed"), max_length=200)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["agreement", "role", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"
