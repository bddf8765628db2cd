"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), in XML and JSON.

Only what is meant to be public leaves here. Reports of sensitive services (domestic violence,
pasung) do not exist for Open311 (not listed, 404 by id). Of the others: the approved public
version of the text (empty until a staff member approves one), approved photos only, the place
as the village (its recorded centre, never the reporter's point), the status without the
officers' notes to the reporter; never a name, phone, email or typed address.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jaga.accounts.access import allow_public
from jaga.core import ratelimit
from jaga.core.errors import DomainError
from jaga.core.links import absolute_url
from jaga.servicedesk import media, queries, services
from jaga.servicedesk.models import (
    OPEN_STATUSES,
    Channel,
    Service,
    ServiceRequest,
)
from jaga.servicedesk.photos import MAX_PHOTOS
from jaga.territory.models import Level, PoliceUnit, PoliceUnitKind, Territory

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00+07:00"
DEFAULT_DAYS = 90
DEFAULT_LIMIT = 1000
KEY_RATE_FACTOR = 50  # a client application speaks for many residents
ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_\-]+)\](\[\])?$")


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        self.status = status
        self.description = description
        super().__init__(description)


# ---------------------------------------------------------------- rendering


def _iso(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def _xml_value(parent: ET.Element, key: str, value: Any, item: str) -> None:
    node = ET.SubElement(parent, key)
    if isinstance(value, list):
        for entry in value:
            _xml_value(node, item, entry, item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(node, k, v, _ITEM.get(k) or k)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is None:
        node.text = ""
    else:
        node.text = str(value)


# The element name of one entry in each XML list.
_ITEM = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}


def render(fmt: str, root: str, data: Any, status: int = 200) -> HttpResponse:
    if fmt == "json":
        return JsonResponse(
            data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
        )
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _xml_value(element, _ITEM[root], entry, _ITEM[root])
    else:
        for key, value in data.items():
            _xml_value(element, key, value, _ITEM.get(key, key))
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)


def endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn Open311Error and DomainError into the spec's `errors` answer in the right format."""

    def wrapped(request: HttpRequest, *args: Any, fmt: str = "xml", **kwargs: Any) -> HttpResponse:
        try:
            _check_jurisdiction(request)
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            return error(fmt, exc.status, exc.description)
        except ratelimit.RateLimited as exc:
            return error(fmt, 429, str(exc.message))
        except DomainError as exc:
            return error(fmt, 400, str(exc.message))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _check_jurisdiction(request: HttpRequest) -> None:
    params = request.POST if request.method == "POST" else request.GET
    jurisdiction = params.get("jurisdiction_id", "").strip()
    if not jurisdiction:
        return  # one jurisdiction per endpoint: the id is optional
    known = {request.get_host().split(":")[0].lower()}
    known.update(
        PoliceUnit.objects.filter(kind=PoliceUnitKind.POLRES).values_list(
            "territories__code", flat=True
        )
    )
    if jurisdiction.lower() not in {k for k in known if k}:
        raise Open311Error(404, _("Unknown jurisdiction_id %(j)s.") % {"j": jurisdiction})


# ---------------------------------------------------------------- documents


def service_doc(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": len(service.questions.all()) > 0,
        "type": "realtime",
        "keywords": service.keywords,
        "group": service.get_group_display(),
    }


def definition_doc(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": True,
                "code": q.code,
                "datatype": q.datatype,
                "required": q.required,
                "datatype_description": q.get_datatype_display(),
                "order": q.order,
                "description": q.prompt,
                "values": [{"key": k, "name": n} for k, n in q.choices()],
            }
            for q in service.questions.all()
        ],
    }


def request_doc(r: ServiceRequest, base_url: str) -> dict[str, Any]:
    """One request as the public sees it. Callers pass publishable requests only."""
    district = r.village.parent.name if r.village.parent_id and r.village.parent else ""
    photo = next((p for p in r.photos.all() if p.public and p.reviewed_at is not None), None)
    point = r.public_point()
    return {
        "service_request_id": r.ticket,
        "status": r.open311_status,
        # The status in words; the officers' notes are for the reporter, not for the public.
        "status_notes": r.get_status_display(),
        "service_name": r.service.name,
        "service_code": r.service.code,
        "description": r.public_text,
        "agency_responsible": r.unit.name if r.unit_id and r.unit else "",
        "service_notice": "",
        "requested_datetime": _iso(r.received_at),
        "updated_datetime": _iso(r.updated_at),
        "expected_datetime": _iso(r.due_at) if r.is_open else "",
        "address": ", ".join(x for x in (r.village.display_name, f"Kec. {district}") if x),
        "address_id": r.village.code,
        "zipcode": "",
        "lat": point[0] if point else "",
        "long": point[1] if point else "",
        "media_url": base_url.rstrip("/")
        + reverse("servicedesk:public_photo", args=[r.ticket, photo.pk])
        if photo
        else "",
    }


def _requests_qs() -> QuerySet[ServiceRequest]:
    return (
        queries.publishable_requests()
        .select_related("service", "village", "village__parent", "unit")
        .prefetch_related("photos")
    )


# ---------------------------------------------------------------- views


@allow_public
@endpoint
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri("/open311/v2/")
    return render(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": _("Satbinmas of the Polres, through the Jaga service desk."),
            "key_service": _("API keys are issued by the Jaga administrators of the Polres."),
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@allow_public
@endpoint
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    services_ = list(Service.objects.filter(is_active=True).prefetch_related("questions"))
    return render(fmt, "services", [service_doc(s) for s in services_])


@allow_public
@endpoint
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    service = Service.objects.filter(code=code, is_active=True).first()
    if service is None:
        raise Open311Error(404, _("Unknown service_code %(code)s.") % {"code": code})
    return render(fmt, "service_definition", definition_doc(service))


# Open311 search windows outside these years are typing errors, and dates near the ends of
# Python's range overflow when moved to UTC.
EARLIEST_YEAR = 1970
LATEST_YEAR = 2100


def _parse_date(value: str, name: str) -> datetime.datetime:
    text = value.strip().replace(" ", "+")
    moment: datetime.datetime | None
    try:
        # parse_datetime raises on an impossible offset (+99:00) instead of answering None.
        moment = parse_datetime(text) or datetime.datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise Open311Error(400, _("%(name)s must be an ISO 8601 date and time.") % {"name": name})
    if timezone.is_naive(moment):
        try:
            moment = timezone.make_aware(moment)
        except (ValueError, OverflowError):
            moment = moment.replace(year=1)  # out of range below
    try:
        in_range = EARLIEST_YEAR <= moment.astimezone(datetime.UTC).year <= LATEST_YEAR
    except (ValueError, OverflowError):
        in_range = False
    if not in_range:
        raise Open311Error(
            400,
            _("%(name)s must lie between the years %(first)s and %(last)s.")
            % {"name": name, "first": EARLIEST_YEAR, "last": LATEST_YEAR},
        )
    return moment


@allow_public
@endpoint
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method != "GET":
        raise Open311Error(400, _("Use GET or POST."))
    params = request.GET
    base = request.build_absolute_uri("/")
    qs = _requests_qs()
    ids = [i.strip().upper() for i in params.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        # The id filter overrides every other parameter (spec).
        rows = list(qs.filter(ticket__in=ids).order_by("-received_at"))
        return render(fmt, "service_requests", [request_doc(r, base) for r in rows])
    codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
    if codes:
        qs = qs.filter(service__code__in=codes)
    statuses = {s.strip().lower() for s in params.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status must be open or closed."))
    if statuses == {"open"}:
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif statuses == {"closed"}:
        qs = qs.exclude(status__in=OPEN_STATUSES)
    start = _parse_date(params["start_date"], "start_date") if params.get("start_date") else None
    end = _parse_date(params["end_date"], "end_date") if params.get("end_date") else None
    span = datetime.timedelta(days=DEFAULT_DAYS)
    if start is None and end is None:
        end = timezone.now()
        start = end - span
    elif start is None:
        assert end is not None
        start = end - span
    elif end is None:
        end = start + span
    if end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if end - start > span:
        raise Open311Error(400, _("The date range is limited to 90 days."))
    rows = list(
        qs.filter(received_at__gte=start, received_at__lte=end).order_by("-received_at")[
            :DEFAULT_LIMIT
        ]
    )
    return render(fmt, "service_requests", [request_doc(r, base) for r in rows])


@allow_public
@endpoint
def request_detail(request: HttpRequest, ticket: str, *, fmt: str) -> HttpResponse:
    found = _requests_qs().filter(ticket=ticket.upper()).first()
    if found is None:
        raise Open311Error(404, _("Unknown service_request_id %(id)s.") % {"id": ticket})
    return render(fmt, "service_requests", [request_doc(found, request.build_absolute_uri("/"))])


@allow_public
@endpoint
def token(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    found = queries.publishable_requests().filter(token=token).only("ticket", "token").first()
    if found is None:
        raise Open311Error(404, _("Unknown token."))
    return render(
        fmt, "service_requests", [{"service_request_id": found.ticket, "token": found.token}]
    )


def _float(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a number.") % {"name": name}) from None


def _village_for(params: Any, lat: float | None, lon: float | None) -> Territory:
    served = list(
        PoliceUnit.objects.filter(kind=PoliceUnitKind.POLRES).values_list(
            "territories__code", flat=True
        )
    )
    address_id = params.get("address_id", "").strip()
    if address_id:
        village = Territory.objects.filter(code=address_id, level=Level.VILLAGE).first()
        if village is None:
            raise Open311Error(
                400, _("address_id %(id)s is not a village code.") % {"id": address_id}
            )
        return village
    address = params.get("address_string", "").strip()
    if address:
        found = services.village_from_address(address, [c for c in served if c] or None)
        if found is not None:
            return found
    if lat is not None and lon is not None:
        nearest = _nearest_village(lat, lon, served)
        if nearest is not None:
            return nearest
    raise Open311Error(
        400,
        _(
            "The village could not be determined: send address_id (the Kemendagri village code) "
            "or an address_string that names the village."
        ),
    )


def _nearest_village(lat: float, lon: float, served: list[str]) -> Territory | None:
    """The village whose recorded centre lies nearest (within about 5 km), when centres are known."""
    box = 0.05
    candidates = Territory.objects.filter(
        level=Level.VILLAGE,
        latitude__range=(lat - box, lat + box),
        longitude__range=(lon - box, lon + box),
    )
    if served:
        candidates = candidates.filter(regency_code__in=served)
    best = min(
        candidates,
        key=lambda t: (t.latitude - lat) ** 2 + (t.longitude - lon) ** 2,  # type: ignore[operator]
        default=None,
    )
    return best


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.POST
    ratelimit.check_credential_failures(request)
    client = services.open311_client_for_key(params.get("api_key", "").strip())
    if client is None:
        ratelimit.count_credential_failure(request)
        raise Open311Error(403, _("A valid api_key is required to submit requests."))
    ratelimit.hit(
        request,
        "open311",
        key=f"key:{client.pk}",
        limit=int(settings.PUBLIC_RATE_LIMIT) * KEY_RATE_FACTOR,
    )
    code = params.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required."))
    service = Service.objects.filter(code=code, is_active=True).first()
    if service is None:
        raise Open311Error(400, _("Unknown service_code %(code)s.") % {"code": code})
    lat = _float(params["lat"], "lat") if params.get("lat") else None
    lon = _float(params["long"], "long") if params.get("long") else None
    if (lat is None) != (lon is None):
        raise Open311Error(400, _("Send both lat and long."))
    if lat is None and not params.get("address_string") and not params.get("address_id"):
        raise Open311Error(
            400, _("A location is required: lat and long, address_string or address_id.")
        )
    village = _village_for(params, lat, lon)
    answers: dict[str, Any] = {}
    for key in params:
        match = ATTRIBUTE.match(key)
        if match:
            values = params.getlist(key)
            answers[match.group(1)] = values if match.group(2) else values[-1]
    first = params.get("first_name", "").strip()
    last = params.get("last_name", "").strip()
    email = params.get("email", "").strip()
    phone = params.get("phone", "").strip()
    anonymous = not (email or phone)
    # Photos: uploaded as multipart `media` (one or more), and/or `media_url` on a host an
    # admin allowed; all are checked and re-encoded as the web form's (submit_request).
    photos: list[Any] = list(request.FILES.getlist("media"))
    if len(photos) > MAX_PHOTOS:
        raise Open311Error(400, _("At most %(n)s photos per report.") % {"n": MAX_PHOTOS})
    media_url = params.get("media_url", "").strip()
    if media_url:
        photos.append(media.fetch_media_url(media_url))
    created, _new = services.submit_request(
        service=service,
        village=village,
        description=params.get("description", ""),
        channel=Channel.OPEN311,
        latitude=lat,
        longitude=lon,
        address=params.get("address_string", ""),
        anonymous=anonymous,
        reporter_name=f"{first} {last}".strip(),
        phone=phone,
        email=email if "@" in email else "",
        answers=answers,
        photos=photos,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
        idempotency_scope=f"open311:{client.pk}",
        open311_client=client,
    )
    notice = _("Handled by %(unit)s; expected by %(due)s.") % {
        "unit": created.unit.name if created.unit else _("the Polres"),
        "due": f"{timezone.localtime(created.due_at):%Y-%m-%d %H:%M}",
    }
    answer = {"service_request_id": created.ticket, "service_notice": notice, "account_id": ""}
    code = getattr(created, "tracking_code", "")
    if code:
        # Jaga's extension: the submitter's private key to the report (see docs/open311.md).
        answer["tracking_code"] = code
        answer["tracking_url"] = absolute_url(services.tracking_path(created, code))
    return render(fmt, "service_requests", [answer], status=201)
