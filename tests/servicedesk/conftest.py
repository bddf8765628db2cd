"""Service desk fixtures: the Polsek units of the persona districts and a helper to file reports."""

from __future__ import annotations

from typing import Any

import pytest

from jaga.core import events
from jaga.servicedesk import services
from jaga.servicedesk.models import Channel, Service, ServiceRequest
from jaga.territory.models import PoliceUnit, PoliceUnitKind, Territory


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def units(db: Any, district_ab: Territory, district_c: Territory, regency: Territory) -> dict:
    polres = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLRES, name="Polres Trenggalek", code="polres-t"
    )
    polres.territories.add(regency)
    ab = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLSEK,
        name="Polsek Trenggalek",
        code="polsek-trenggalek",
        parent=polres,
    )
    ab.territories.add(district_ab)
    c = PoliceUnit.objects.create(
        kind=PoliceUnitKind.POLSEK, name="Polsek Munjungan", code="polsek-munjungan", parent=polres
    )
    c.territories.add(district_c)
    return {"polres": polres, "ab": ab, "c": c}


@pytest.fixture
def service(db: Any) -> Service:
    return Service.objects.get(code="knalpot_brong")


@pytest.fixture
def file_report(db: Any, units: dict, service: Service) -> Any:
    def make(village: Territory, **kwargs: Any) -> ServiceRequest:
        values: dict[str, Any] = {
            "service": service,
            "village": village,
            "description": "Knalpot brong tiap malam di depan balai desa.",
            "channel": Channel.WEB,
            "anonymous": True,
        }
        values.update(kwargs)
        request, _created = services.submit_request(**values)
        return request

    return make


@pytest.fixture
def heard() -> Any:
    """The `report.created` events the listeners were told of (after the drain's commit)."""
    told: list[events.Event] = []

    def listen(event: events.Event) -> None:
        told.append(event)

    events.subscribe(events.REPORT_CREATED)(listen)
    yield told
    events.unsubscribe(events.REPORT_CREATED, listen)
