"""Each role's everyday pages, opened the way the user guides (docs/guide/) describe them: every
page passes the browser checks on the device that role mostly uses, shows its heading, and with
JAGA_GUIDE_SHOTS=1 becomes a picture of the guide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import goto, login, shot
from tests.conftest import VILLAGE_A, _person
from tests.factories import build_world


@pytest.fixture
def world(live_db: None, alice: Any, bob: Any, charlie: Any, satbinmas: Any) -> dict[str, Any]:
    from jaga.accounts.models import Role

    warga = _person("warga", Role.PUBLIC, VILLAGE_A)
    users = {"alice": alice, "bob": bob, "charlie": charlie, "satbinmas": satbinmas, "warga": warga}
    built = build_world(users)
    built["users"] = users
    return built


def _tour(page: Any, stops: list[tuple[str, str | None]]) -> None:
    for path, name in stops:
        goto(page, path)
        assert page.locator("h1").first.inner_text().strip(), f"{path}: no heading"
        if name:
            shot(page, name)


def _resident(page: Any, world: dict[str, Any]) -> list[tuple[str, str | None]]:
    login(page, world["users"]["warga"])
    own = world["A"]["own_report"]
    return [
        ("/", "warga-beranda"),
        ("/layanan/lapor/knalpot_brong/", "warga-lapor-formulir"),
        ("/layanan/laporan-saya/", "warga-laporan-saya"),
        (f"/layanan/lacak/{own.ticket}/", "warga-lacak"),
    ]


def _bhabin(page: Any, world: dict[str, Any]) -> list[tuple[str, str | None]]:
    login(page, world["users"]["alice"])
    return [
        ("/", "bhabin-beranda"),
        ("/lapangan/", "bhabin-lapangan"),
        ("/lapangan/kunjungan/baru/", "bhabin-kunjungan"),
        ("/lapangan/deteksi/baru/", "bhabin-deteksi"),
        ("/lapangan/razia/", "bhabin-razia"),
        (f"/lapangan/kasus/{world['A']['case'].pk}/", "bhabin-kasus"),
    ]


def _desk(page: Any, world: dict[str, Any]) -> list[tuple[str, str | None]]:
    login(page, world["users"]["bob"])
    report = world["A"]["report"]
    return [
        ("/layanan/", "layanan-antrean"),
        (f"/layanan/tiket/{report.ticket}/", "layanan-tiket"),
        ("/layanan/baru/", "layanan-entri"),
    ]


def _polsek(page: Any, world: dict[str, Any]) -> list[tuple[str, str | None]]:
    login(page, world["users"]["bob"])
    return [
        ("/", "polsek-beranda"),
        ("/analitik/?territory=35.03.11", "polsek-dasbor"),
        ("/lapangan/deteksi/", "polsek-deteksi"),
        ("/lapangan/kasus/", None),
    ]


def _satbinmas(page: Any, world: dict[str, Any]) -> list[tuple[str, str | None]]:
    login(page, world["users"]["satbinmas"])
    activity = world["A"]["activity"]
    return [
        ("/", "satbinmas-beranda"),
        ("/mitra/", "satbinmas-mitra"),
        ("/program/", "satbinmas-program"),
        (f"/program/kegiatan/{activity.pk}/", "satbinmas-kegiatan"),
        (f"/program/kegiatan/{activity.pk}/meja-hadir/", "satbinmas-meja-hadir"),
    ]


def _leader(page: Any, world: dict[str, Any]) -> list[tuple[str, str | None]]:
    from jaga.accounts.models import Role
    from tests.conftest import _person as person

    login(page, person("leader", Role.LEADER, "35.03"))
    return [
        ("/", "pimpinan-beranda"),
        ("/analitik/peringatan/", "pimpinan-peringatan"),
        ("/analitik/evaluasi/", "pimpinan-evaluasi"),
        ("/analitik/hotspot/", "pimpinan-hotspot"),
    ]


def _partner(page: Any, world: dict[str, Any]) -> list[tuple[str, str | None]]:
    from jaga.accounts.models import Role

    login(page, _person("partner", Role.PARTNER, "35.03.11"))
    return [("/", "mitra-beranda"), ("/mitra/", "mitra-daftar"), ("/program/kegiatan/", None)]


def _admin(page: Any, world: dict[str, Any]) -> list[tuple[str, str | None]]:
    from tests.factories import UserFactory

    login(page, UserFactory(username="root", is_staff=True, is_superuser=True))
    return [("/", None), ("/akun/profil/", "admin-profil"), ("/admin/", "admin-situs")]


TOURS: dict[str, tuple[str, Callable[[Any, dict[str, Any]], list[tuple[str, str | None]]]]] = {
    "warga": ("phone", _resident),
    "bhabinkamtibmas": ("phone", _bhabin),
    "petugas-layanan": ("desktop", _desk),
    "polsek": ("phone", _polsek),
    "satbinmas": ("desktop", _satbinmas),
    "pimpinan": ("desktop", _leader),
    "koordinator-mitra": ("phone", _partner),
    "admin": ("desktop", _admin),
}


@pytest.mark.parametrize("role", list(TOURS))
def test_every_role_opens_its_everyday_pages(
    role: str, world: dict[str, Any], request: Any
) -> None:
    device, tour = TOURS[role]
    page = request.getfixturevalue(f"{device}_page")
    _tour(page, tour(page, world))
