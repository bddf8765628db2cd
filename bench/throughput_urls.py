"""Jaga's URLs plus the benchmark's floor: a bare endpoint that validates the same body as the
public intake (`RequestIn`, the same pydantic schema) and inserts one row, in the same server and
behind the same middleware. It exists only in the benchmark's settings, never in production URLs."""

from __future__ import annotations

import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError

from jaga.core.codes import random_code, random_secret
from jaga.servicedesk.models import Service, ServiceRequest
from jaga.servicedesk.schemas import RequestIn
from jaga.territory.models import Territory
from jaga.urls import urlpatterns as jaga_urlpatterns

_ids: dict[tuple[str, str], tuple[int, int, str, str]] = {}


def _refs(service_code: str, village_code: str) -> tuple[int, int, str, str]:
    # Looked up once per process: the floor does no lookups per request.
    key = (service_code, village_code)
    if key not in _ids:
        service = Service.objects.get(code=service_code)
        village = Territory.objects.get(code=village_code)
        _ids[key] = (service.pk, village.pk, village.regency_code, village.district_code)
    return _ids[key]


@csrf_exempt
def bare_intake(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    try:
        data = RequestIn.model_validate_json(request.body)
    except ValidationError as exc:
        return JsonResponse(
            {"errors": exc.errors(include_url=False, include_input=False, include_context=False)},
            status=422,
        )
    service_id, village_id, regency, district = _refs(data.service_code, data.village_code)
    now = timezone.now()
    row = ServiceRequest.objects.create(
        ticket=random_code(10),
        token=random_secret(18),
        service_id=service_id,
        village_id=village_id,
        regency_code=regency,
        district_code=district,
        description=data.description,
        answers=data.answers,
        received_at=now,
        updated_at=now,
        due_at=now + datetime.timedelta(hours=72),
        reporter_name=data.name,
        phone=data.phone,
        email=data.email,
        channel="api",
    )
    return JsonResponse({"ticket": row.ticket}, status=201)


urlpatterns = [*jaga_urlpatterns, path("bench/bare-intake", bare_intake)]
