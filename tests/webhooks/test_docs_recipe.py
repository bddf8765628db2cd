"""A receiver following docs/webhooks.md (its Python function and its openssl line, taken from
the page itself) accepts what Jaga really sent, and refuses it changed or replayed late."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from jaga.webhooks.models import Endpoint
from tests.localserver import LocalServer

pytestmark = pytest.mark.django_db

DOC = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
SECRET = "the-secret-handed-to-the-receiver-0123456789"


def recipe() -> Any:
    (code,) = re.findall(r"```python\n(.*?)```", DOC, re.S)
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


def sent(server: LocalServer, file_report: Any, village: Any, capture: Any) -> Any:
    Endpoint.objects.create(
        name="Receiver", url=server.url("/in"), secret=SECRET, events=["report.created"]
    )
    with capture(execute=True):
        file_report(village)
    (got,) = server.received
    return got


def test_the_documented_python_check_accepts_jagas_request_and_refuses_tampering(
    server: LocalServer, file_report: Any, village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    verify = recipe()
    got = sent(server, file_report, village_a, django_capture_on_commit_callbacks)
    header = got.headers["X-Jaga-Signature"]
    assert verify(SECRET, got.body, header)
    changed = json.loads(got.body)
    changed["data"]["status"] = "closed"
    assert not verify(SECRET, json.dumps(changed).encode(), header)
    assert not verify("another-secret", got.body, header)
    old = int(header.split(",")[0].split("=")[1]) - 301
    mac = header.split("v1=")[1]
    assert not verify(SECRET, got.body, f"t={old},v1={mac}")  # replayed late


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_documented_openssl_line_gives_the_same_mac(
    server: LocalServer, file_report: Any, village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    (line,) = re.findall(r"^ +(printf .*openssl dgst.*)$", DOC, re.M)
    got = sent(server, file_report, village_a, django_capture_on_commit_callbacks)
    t, mac = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", got.headers["X-Jaga-Signature"]).groups()
    assert abs(time.time() - int(t)) < 60
    out = subprocess.run(  # noqa: S603
        ["bash", "-c", line.strip()],  # noqa: S607
        env={"T": t, "BODY": got.body.decode(), "SECRET": SECRET, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip().split()[-1] == mac
