"""Screenshot a page as a given user: `python tools/screenshot.py USERNAME PATH OUT.png [WIDTH]`.

Renders the page with Django's test client against the configured database (log in as USERNAME,
or `-` for anonymous), points static links at the files on disk, and lets headless Chromium take the
picture. For looking at what we build; not part of the test suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaga.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.contrib.staticfiles import finders  # noqa: E402
from django.test import Client  # noqa: E402

from jaga.accounts.models import User  # noqa: E402


def main() -> None:
    username, path, out = sys.argv[1:4]
    width = sys.argv[4] if len(sys.argv) > 4 else "1280"
    client = Client(HTTP_HOST="127.0.0.1")
    if os.environ.get("LANG_EN"):
        client.cookies["django_language"] = "en"
    if username != "-":
        client.force_login(User.objects.get(username=username))
    response = client.get(path)
    html = response.content.decode()
    for marker in ["/static/jaga/jaga.css", "/static/jaga/htmx.min.js"]:
        found = finders.find(marker.removeprefix("/static/"))
        html = html.replace(marker, f"file://{found}")
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as f:
        f.write(html)
    subprocess.run(  # noqa: S603 - a developer tool with fixed arguments
        [
            "/usr/bin/chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--hide-scrollbars",
            f"--screenshot={out}",
            f"--window-size={width},1000",
            f"file://{f.name}",
        ],
        check=True,
        capture_output=True,
    )
    print(response.status_code, out)


if __name__ == "__main__":
    main()
