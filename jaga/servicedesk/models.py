"""The service desk: the catalogue of services, residents' reports and their handling."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jaga.accounts.access import STAFF_ROLES, ScopedQuerySet
from jaga.core.protected import protected_storage


def _english() -> bool:
    return (get_language() or "id").startswith("en")


class ServiceGroup(models.TextChoices):
    KAMTIBMAS = "kamtibmas", _("Security and order disturbance")
    CONFLICT = "conflict", _("Conflict and violence")
    PROTECTION = "protection", _("Protection of vulnerable people")
    DISASTER = "disaster", _("Disaster and emergency")
    SERVICE = "service", _("Police service")


class Service(models.Model):
    """A kind of report or request residents can file (an Open311 service).

    Thresholds are data: the SLA and the reopening period are edited by an admin, not in code.
    """

    code = models.SlugField(_("service code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    group = models.CharField(_("group"), max_length=12, choices=ServiceGroup.choices)
    description_id = models.TextField(_("description (Indonesian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    sla_hours = models.PositiveIntegerField(
        _("time limit (hours)"), help_text=_("Hours from receipt to resolution.")
    )
    reopen_days = models.PositiveIntegerField(
        _("reopening period (days)"),
        default=14,
        help_text=_("A resolved report may be reopened within this many days."),
    )
    category = models.ForeignKey(
        "incidents.Category",
        verbose_name=_("incident category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="services",
        help_text=_("The kamtibmas register category a verified report becomes."),
    )
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_(
            "Reports of this service never show their description or map point publicly "
            "(domestic violence, pasung, ...)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if _english() else self.name_id

    def due_from(self, received_at: datetime.datetime) -> datetime.datetime:
        """When a report of this service received at `received_at` is due (the SLA rule)."""
        return received_at + datetime.timedelta(hours=self.sla_hours)

    @property
    def description(self) -> str:
        return (self.description_en if _english() else self.description_id) or ""


class Datatype(models.TextChoices):
    """Open311 attribute datatypes."""

    STRING = "string", _("Short text")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Long text")
    SINGLE = "singlevaluelist", _("One choice")
    MULTI = "multivaluelist", _("Several choices")


class ServiceQuestion(models.Model):
    """A question a service asks (an Open311 attribute). `values` is `[{"key", "name_id", "name_en"}]`."""

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="questions"
    )
    code = models.SlugField(_("code"), max_length=40)
    prompt_id = models.CharField(_("question (Indonesian)"), max_length=200)
    prompt_en = models.CharField(_("question (English)"), max_length=200)
    datatype = models.CharField(_("type"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    values = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["service", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="service_question_code")
        ]

    def __str__(self) -> str:
        return f"{self.service.code}.{self.code}"

    @property
    def prompt(self) -> str:
        return self.prompt_en if _english() else self.prompt_id

    def choices(self) -> list[tuple[str, str]]:
        key = "name_en" if _english() else "name_id"
        return [(v["key"], v.get(key) or v["key"]) for v in self.values]


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    TRIAGED = "triaged", _("Triaged")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    CLOSED = "closed", _("Closed")


# The workflow as data: every allowed move, nothing else. Reopening (resolved → in progress) is
# allowed only within the service's reopening period (checked by the service function).
TRANSITIONS: dict[str, set[str]] = {
    Status.RECEIVED: {Status.TRIAGED, Status.ASSIGNED, Status.REJECTED, Status.DUPLICATE},
    Status.TRIAGED: {Status.ASSIGNED, Status.REJECTED, Status.DUPLICATE},
    Status.ASSIGNED: {Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE},
    Status.IN_PROGRESS: {Status.RESOLVED, Status.REJECTED, Status.DUPLICATE},
    Status.RESOLVED: {Status.CLOSED, Status.IN_PROGRESS},
    Status.REJECTED: {Status.CLOSED},
    Status.DUPLICATE: {Status.CLOSED},
    Status.CLOSED: set(),
}
# Every status set of the desk lives here, beside the table.
OPEN_STATUSES = {Status.RECEIVED, Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS}
# An open report someone works on may be handed to another officer without changing its status.
REASSIGNABLE = {Status.ASSIGNED, Status.IN_PROGRESS}
# Not yet looked at, or found not to be a case of its own: never entered in the register.
UNVERIFIABLE = {Status.RECEIVED, Status.REJECTED, Status.DUPLICATE}
# The statuses under which a resolution stands and is counted (a reopened report lost it).
RESOLUTION_STANDS = {Status.RESOLVED, Status.CLOSED}
# Closing and rejecting end the reporter's case: the officer confirms them (as reopening).
CONFIRMED_MOVES = {Status.CLOSED, Status.REJECTED}


def is_reopening(current: str, to_status: str) -> bool:
    """Back to work from resolved: allowed only within the service's reopening period."""
    return current == Status.RESOLVED and to_status == Status.IN_PROGRESS


def needs_confirmation(current: str, to_status: str) -> bool:
    """Whether a move is confirmed on a second page before it is made."""
    return is_reopening(current, to_status) or to_status in CONFIRMED_MOVES


# The SLA rule, in one place: a report is due `Service.sla_hours` after it was received
# (`Service.due_from`) and late (`past_due`) at any moment after that; resolved exactly at the due time is in
# time. Open and late is overdue.
def past_due(due_at: datetime.datetime, at: datetime.datetime) -> bool:
    return at > due_at


def overdue_q(now: datetime.datetime) -> models.Q:
    """The SLA rule as a filter: open reports whose due time has passed at `now`."""
    return models.Q(status__in=OPEN_STATUSES, due_at__lt=now)


BADGE: dict[str, str] = {
    Status.RECEIVED: "info",
    Status.TRIAGED: "info",
    Status.ASSIGNED: "warn",
    Status.IN_PROGRESS: "warn",
    Status.RESOLVED: "ok",
    Status.REJECTED: "bad",
    Status.DUPLICATE: "",
    Status.CLOSED: "ok",
}


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("JSON API")
    OPEN311 = "open311", _("Open311 application")
    WALK_IN = "walk_in", _("Walk-in at the desk")
    PHONE = "phone", _("Phone call")
    MESSAGING = "messaging", _("SMS / WhatsApp message")
    WHATSAPP = "whatsapp", _("WhatsApp conversation")
    SMS = "sms", _("SMS conversation")


# Reports only desk staff enter, for a resident in front of them or on the line (in form order).
STAFF_CHANNELS = (Channel.WALK_IN, Channel.PHONE, Channel.MESSAGING)


class Moderation(models.TextChoices):
    """Whether a report's free text has a public version a staff member approved."""

    PENDING = "pending", _("Awaiting a public version")
    APPROVED = "approved", _("Public version approved")
    REJECTED = "rejected", _("Not published")


class ServiceRequestQuerySet(ScopedQuerySet["ServiceRequest"]):
    def open(self) -> ServiceRequestQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: datetime.datetime | None = None) -> ServiceRequestQuerySet:
        return self.filter(overdue_q(now or timezone.now()))

    def publishable(self) -> ServiceRequestQuerySet:
        """Reports that may appear in any public output: never those of a sensitive service."""
        return self.filter(service__sensitive=False)

    def awaiting_moderation(self) -> ServiceRequestQuerySet:
        """Publishable reports whose text or a photo still waits for a staff decision."""
        pending_photo = Attachment.objects.filter(
            request=models.OuterRef("pk"), reviewed_at__isnull=True
        )
        return self.publishable().filter(
            models.Q(moderation=Moderation.PENDING) | models.Exists(pending_photo)
        )


class Open311Client(models.Model):
    """A client application allowed to POST through Open311; only the key's hash is stored."""

    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ServiceRequest(models.Model):
    """One report or request from a resident, whatever the channel it came through.

    The ticket code is the only public identifier. The reporter's contact is personal data: it is
    never shown publicly, never sent through Open311, and redacted in the audit log. The ticket is
    not a key: the reporter follows the report with a private tracking code, of which only a hash
    is stored (`secret_hash`). The free text is public only as `public_description`, once a staff
    member approved it (`moderation`).
    """

    scope_field = "village__code"
    scope_roles = STAFF_ROLES
    scope_owner = "reporter_user"  # a resident sees the reports it filed

    ticket = models.CharField(_("ticket code"), max_length=16, unique=True)
    token = models.CharField(max_length=40, unique=True)
    secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="requests"
    )
    description = models.TextField(_("description"))
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    public_description = models.TextField(
        _("public text"),
        blank=True,
        help_text=_("The version of the description a staff member approved for the public."),
    )
    moderation = models.CharField(
        _("moderation"),
        max_length=10,
        choices=Moderation.choices,
        default=Moderation.PENDING,
        db_index=True,
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    village = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    regency_code = models.CharField(max_length=5, db_index=True)
    district_code = models.CharField(max_length=8, db_index=True)
    address = models.CharField(_("place"), max_length=255, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))
    anonymous = models.BooleanField(_("anonymous"), default=False)
    reporter_name = models.CharField(_("reporter's name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter's account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    open311_client = models.ForeignKey(
        Open311Client,
        verbose_name=_("Open311 client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    status_notes = models.TextField(_("public status note"), blank=True)
    version = models.PositiveIntegerField(default=1)
    unit = models.ForeignKey(
        "territory.PoliceUnit",
        verbose_name=_("Polsek"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_requests",
    )
    due_at = models.DateTimeField(_("due"), db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_in_time = models.BooleanField(_("resolved in time"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    reminded_at = models.DateTimeField(_("last overdue reminder"), null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Its "new report" event is still to be told (jaga.servicedesk.services.announce): the public intake
    # sets it on the database queue, where the report row is its own outbox and the worker
    # announces it; every other writer (desk imports, the demo, the immediate queue) leaves it off.
    to_announce = models.BooleanField(default=False, editable=False)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["regency_code", "received_at"]),
            models.Index(fields=["district_code", "status"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["service", "village", "status"]),
            # The worker's look for reports to announce: a few rows at most, whatever the table.
            models.Index(
                fields=["id"], condition=models.Q(to_announce=True), name="request_to_announce"
            ),
        ]

    def __str__(self) -> str:
        return self.ticket

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.is_late(timezone.now())

    def is_late(self, at: datetime.datetime) -> bool:
        """Past its due time at `at` (the SLA rule, `past_due`)."""
        return past_due(self.due_at, at)

    @property
    def badge(self) -> str:
        return BADGE.get(self.status, "")

    @property
    def open311_status(self) -> str:
        return "open" if self.is_open else "closed"

    @property
    def publishable(self) -> bool:
        return not self.service.sensitive

    @property
    def public_text(self) -> str:
        """The approved public version of the description; empty until a staff member approves."""
        if self.service.sensitive or self.moderation != Moderation.APPROVED:
            return ""
        return self.public_description

    def public_point(self) -> tuple[float, float] | None:
        """Where the public may place the report: the village's recorded centre, never the
        reporter's point; None for sensitive services and villages without a recorded centre."""
        village = self.village
        if self.service.sensitive or village.latitude is None or village.longitude is None:
            return None
        return (village.latitude, village.longitude)

    def answer_rows(self) -> list[tuple[str, str]]:
        """The answers as (question, answer) in the reader's language, in the questions' order."""
        rows = []
        for question in self.service.questions.all():
            if question.code not in self.answers:
                continue
            value = self.answers[question.code]
            names = dict(question.choices())
            values = value if isinstance(value, list) else [value]
            rows.append((question.prompt, ", ".join(str(names.get(v, v)) for v in values)))
        return rows

    def reopen_until(self) -> datetime.datetime | None:
        if self.status != Status.RESOLVED or self.resolved_at is None:
            return None
        return self.resolved_at + datetime.timedelta(days=self.service.reopen_days)


class RequestUpdate(models.Model):
    """A note on a report: public (the reporter sees it) or internal (officers only)."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("report"), on_delete=models.CASCADE, related_name="updates"
    )
    at = models.DateTimeField(_("time"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    public = models.BooleanField(_("public"), default=False)
    text = models.TextField(_("text"), blank=True)
    from_reporter = models.BooleanField(_("from the reporter"), default=False)
    status_from = models.CharField(max_length=12, choices=Status.choices, blank=True)
    status_to = models.CharField(max_length=12, choices=Status.choices, blank=True)

    class Meta:
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"servicedesk/{instance.request.received_at:%Y/%m}/{instance.request.ticket}/{filename}"


class Attachment(models.Model):
    """A photo of a report, re-encoded on upload so that no location metadata survives."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("report"), on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, storage=protected_storage)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    public = models.BooleanField(
        _("public"), default=False, help_text=_("Shown on the public page once staff approve it.")
    )
    reviewed_at = models.DateTimeField(
        _("reviewed at"),
        null=True,
        blank=True,
        help_text=_("When a staff member approved or refused the photo for the public."),
    )

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.name or ""


class ChatChannel(models.TextChoices):
    """Where a resident talks to the intake conversation (docs/whatsapp.md)."""

    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")


class Conversation(models.Model):
    """One sender's intake conversation on WhatsApp or SMS: the step reached and the answers so far.

    The phone number is personal data, kept like a report's reporter phone: the column is named
    `phone` (redacted in audit snapshots), shown nowhere public. A conversation expires after
    `CHAT_CONVERSATION_TIMEOUT` seconds without a message (the next message starts afresh), and
    `jaga servicedesk purge-conversations` deletes rows idle for longer than that and than
    WhatsApp's 24-hour service window, with the photo they held.
    """

    channel = models.CharField(_("channel"), max_length=10, choices=ChatChannel.choices)
    phone = models.CharField(_("phone"), max_length=30)
    step = models.CharField(_("step"), max_length=20, blank=True)
    data = models.JSONField(_("answers so far"), default=dict, blank=True)
    photo = models.BinaryField(_("photo"), null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started"))
    last_inbound_at = models.DateTimeField(_("last message"), db_index=True)
    last_report = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("last report filed"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["channel", "phone"], name="conversation_sender")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.pk}"


class InboundMessage(models.Model):
    """The id of every message the conversation handled: WhatsApp (and SMS gateways) retry a
    delivery, and a retry must change nothing. No content and no phone number is kept."""

    channel = models.CharField(_("channel"), max_length=10, choices=ChatChannel.choices)
    message_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(_("received at"), db_index=True)

    class Meta:
        verbose_name = _("incoming message")
        verbose_name_plural = _("incoming messages")
        constraints = [
            models.UniqueConstraint(fields=["channel", "message_id"], name="inbound_message_once")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.message_id}"


class BulkAction(models.Model):
    """One bulk move of the queue (assign or change status of many reports at once).

    Each report still goes through the workflow service on its own and leaves its own audit row;
    this record says who asked for what, which reports moved and which were refused and why.
    """

    class Kind(models.TextChoices):
        ASSIGN = "assign", _("Assign")
        STATUS = "status", _("Change status")

    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("action"), max_length=10, choices=Kind.choices)
    to_status = models.CharField(_("new status"), max_length=12, choices=Status.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done = models.JSONField(_("moved"), default=list)  # tickets
    refused = models.JSONField(_("refused"), default=list)  # [{"ticket", "code", "reason"}]

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M} ({len(self.done)})"


class SavedFilter(models.Model):
    """A named filter of the desk queue, private to its owner or shared with a unit's team.

    A shared filter belongs to the territory of the owner's team (`services.bulk.team_codes`:
    the Polsek's district for the Polsek and its Bhabinkamtibmas): that team sees it.
    """

    name = models.CharField(_("name"), max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    params = models.JSONField(_("filter"), default=dict)
    territory_code = models.CharField(_("shared with"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="savedfilter_owner_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shared(self) -> bool:
        return bool(self.territory_code)


class PhotoHost(models.Model):
    """A host Open311 clients may name in `media_url`: Jaga fetches photos from these only."""

    host = models.CharField(
        _("host"),
        max_length=253,
        unique=True,
        help_text=_("The host name alone, e.g. media.example.org (no https://, no path)."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo host")
        verbose_name_plural = _("photo hosts")
        ordering = ["host"]

    def __str__(self) -> str:
        return self.host

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.host = self.host.strip().lower().rstrip(".")
        super().save(*args, **kwargs)
