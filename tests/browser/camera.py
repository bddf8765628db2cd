"""Chromium with a fake camera that plays a Y4M file (`--use-file-for-fake-video-capture`), for
the QR scanner's browser scenarios (tests/browser/test_organiser_qr.py,
test_desk_offline_scans.py). Chromium opens the file only when a page starts the camera, so a
scenario may write it after the browser starts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import _page, launch_chromium


def camera_browser(camera_file: Path) -> Iterator[Any]:
    """The conftest's browser, with a fake camera that plays `camera_file`."""
    if os.environ.get("JAGA_SKIP_BROWSER") == "1":
        pytest.skip("JAGA_SKIP_BROWSER=1: browser tests skipped")
    yield from launch_chromium(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera_file}",
    )


def camera_phone(browser: Any, base_url: str, viewport: dict[str, int]) -> Iterator[Any]:
    """A phone page of `viewport` allowed to use the camera."""
    yield from _page(
        browser,
        base_url,
        viewport=viewport,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        permissions=["camera"],
    )
