"""The map component: vendored Leaflet, the basemap setting and the CSP's img-src from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.test import Client

from jaga.settings import tile_source

VENDOR = Path(settings.BASE_DIR) / "jaga/core/static/jaga/vendor/leaflet"


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tiles.example.org/{z}/{x}/{y}{r}.png", "https://*.tiles.example.org"),
        ("http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png", "http://10.0.0.5:8080"),
        ("", None),
        ("   ", None),
    ],
)
def test_the_tile_source_is_the_scheme_and_host_of_the_setting(url: str, source: str) -> None:
    assert tile_source(url) == source


@pytest.mark.parametrize("url", ["javascript:alert(1)", "tiles/{z}/{x}/{y}.png", "ftp://x/{z}"])
def test_a_tile_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        tile_source(url)


def test_the_csp_allows_images_from_the_configured_tile_host_only(db: None) -> None:
    header = Client().get("/layanan/lapor/")["Content-Security-Policy"]
    img = next(d for d in header.split(";") if d.strip().startswith("img-src"))
    from jaga import settings as started  # the setting at start-up (tests blank it later)

    expected = tile_source(started.MAP_TILE_URL)
    sources = img.split()[1:]
    assert sources == ["'self'", "data:", "blob:", *([expected] if expected else [])]


def test_the_csp_follows_the_setting_at_start_up(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='jaga.settings';django.setup();"
        "from django.conf import settings as s;"
        "print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    )
    for value, expected in (
        ("https://{s}.tile.example.net/{z}/{x}/{y}.png", "https://*.tile.example.net"),
        ("", None),
    ):
        env = {**os.environ, "MAP_TILE_URL": value, "DEBUG": "1"}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        assert ("tile.example.net" in out) is bool(expected)
        assert "openstreetmap" not in out


def test_leaflet_is_vendored_with_its_licence() -> None:
    assert "BSD 2-Clause" in (VENDOR / "LICENSE").read_text()
    assert 't.version="1.9.4"' in (VENDOR / "leaflet.js").read_text()
    assert (VENDOR / "leaflet.css").exists()


def render(source: str, **context: Any) -> str:
    return Template("{% load maps %}" + source).render(Context(context))


def test_the_map_tag_carries_the_tiles_and_the_picker(settings: Any) -> None:
    settings.MAP_TILE_URL = "https://tile.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "&copy; Example"
    html = render(
        '{% jaga_map label="Peta" geojson=url picker_lat="la" picker_lon="lo" centre=c %}',
        c=(-8.05, 111.71),
        url="/peta/laporan/?a=1&b=2",
    )
    assert 'data-tiles="https://tile.example.org/{z}/{x}/{y}.png"' in html
    assert 'data-geojson="/peta/laporan/?a=1&amp;b=2"' in html
    assert 'data-picker-lat="la"' in html and 'data-search-url="/peta/desa/"' in html
    assert 'data-centre="-8.05,111.71"' in html and "data-map-locate" in html
    assert 'data-attribution="&amp;copy; Example"' in html


def test_without_tiles_the_map_has_no_basemap(settings: Any) -> None:
    settings.MAP_TILE_URL = ""
    html = render('{% jaga_map label="Peta" geojson="/x/" %}')
    assert 'data-tiles=""' in html and "data-picker-lat" not in html
    assets = render("{% map_assets %}")
    assert "jaga/vendor/leaflet/leaflet.js" in assets and "jaga/map.js" in assets
