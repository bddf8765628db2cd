"""The phone form's draft script, run in a real (headless) browser when one is installed."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

import jaga.fieldwork

pytestmark = pytest.mark.django_db

DRAFT_JS = Path(jaga.fieldwork.__file__).parent / "static" / "fieldwork" / "draft.js"

# Types into the form, reloads the page (as after a failed send), and reports what is there.
HARNESS = """<script>
window.addEventListener("load", function () { setTimeout(function () {
  var head = document.getElementById("id_household_head");
  var key = document.querySelector("[name=client_key]");
  if (!sessionStorage.getItem("phase")) {
    head.value = "Pak Draft"; head.dispatchEvent(new Event("input", {bubbles: true}));
    key.value = "11111111-2222-3333-4444-555555555555";
    key.dispatchEvent(new Event("change", {bubbles: true}));
    sessionStorage.setItem("phase", "1"); location.reload();
  } else {
    document.body.setAttribute("data-result", JSON.stringify({head: head.value, key: key.value,
      notice: !document.getElementById("draft-notice").hidden}));
  }
}, 200); });
</script></body>"""


def test_a_reloaded_form_gets_back_what_was_typed_and_its_key(alice_client, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no headless browser installed")
    page = alice_client.get(reverse("fieldwork:visit_new")).content.decode()
    script = f"<script>{DRAFT_JS.read_text()}</script>"
    page = re.sub(r'<script src="[^"]*draft\.js"[^>]*></script>', lambda _m: script, page)
    page = page.replace("</body>", HARNESS)
    (tmp_path / "form.html").write_text(page)
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=8000",
            "--dump-dom",
            (tmp_path / "form.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r'data-result="([^"]*)"', result.stdout)
    assert found, result.stderr[-500:]
    state = json.loads(html.unescape(found.group(1)))
    assert state == {
        "head": "Pak Draft",
        "key": "11111111-2222-3333-4444-555555555555",
        "notice": True,
    }
