"""What every page of a browser test must get right, whatever the scenario.

`watch(page)` collects console errors, uncaught exceptions and Content-Security-Policy
violations from the moment the page opens; `check_page(page)` fails on any of them, on a page
wider than the window (horizontal scroll) and, on an Indonesian page, on visible English text
that the project's catalogues translate (a string left out of `{% translate %}` or a missing
.mo). The browser fixtures call it at the end of each test; `goto` after each navigation;
scenarios call it after a click that loads a new page.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Msgids that are also fine Indonesian (or names), so seeing them is no proof of a missing
# translation. Strings shorter than MIN_LENGTH or without two letters are never checked.
IGNORED = {"English", "Bahasa Indonesia", "Jaga", "Polmas", "Anev", "Open311", "WhatsApp", "Email"}
MIN_LENGTH = 4

# Collected by the init script: securitypolicyviolation events, which the console may not show.
_INIT_SCRIPT = """
window.__jagaCsp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__jagaCsp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' at ' +
                        (e.sourceFile || document.location.pathname) + ':' + e.lineNumber);
});
"""

# Visible text nodes and user-facing attributes of the document.
_TEXTS_SCRIPT = """
() => {
  const out = [];
  const visible = (el) => {
    if (!el || el.closest('[hidden], template, script, style, noscript')) return false;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.replace(/\\s+/g, ' ').trim();
    if (text && visible(node.parentElement)) out.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], input[type=submit][value], input[type=button][value]')) {
    if (!visible(el) && !el.matches('[aria-label]')) continue;
    for (const name of ['placeholder', 'aria-label', 'title', 'value']) {
      if (name === 'value' && !el.matches('input[type=submit], input[type=button]')) continue;
      const value = (el.getAttribute(name) || '').replace(/\\s+/g, ' ').trim();
      if (value) out.push(value);
    }
  }
  out.push(document.title.trim());
  return out;
}
"""

_WIDTH_SCRIPT = """
() => {
  // On a phone (is_mobile) Chromium zooms out to show a too-wide page, which widens
  // window.innerWidth with it; the layout viewport (clientWidth) stays the phone's width.
  const doc = document.documentElement;
  const width = Math.min(doc.clientWidth, window.innerWidth);
  const wide = [];
  if (doc.scrollWidth > width) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1 && box.width > 0) {
        wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                  (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                  ' right=' + Math.round(box.right));
        if (wide.length >= 5) break;
      }
    }
  }
  return {scrollWidth: doc.scrollWidth, innerWidth: width, wide: wide,
          lang: doc.lang || ''};
}
"""


@cache
def english_msgids() -> frozenset[str]:
    """English strings the project translates into different Indonesian (compiled catalogues of
    jaga/*/locale/id, so fuzzy entries are already out)."""
    found: set[str] = set()
    for mo in sorted(ROOT.glob("jaga/*/locale/id/LC_MESSAGES/django.mo")):
        with mo.open("rb") as handle:
            catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
        for key, translated in catalog.items():
            msgid = key[0] if isinstance(key, tuple) else key
            if not msgid or not translated or translated == msgid:
                continue
            text = re.sub(r"\s+", " ", msgid).strip()
            if "%" in text or "{" in text:  # placeholders never appear verbatim on a page
                continue
            if len(text) < MIN_LENGTH or len(re.findall(r"[A-Za-z]", text)) < 2:
                continue
            found.add(text)
    return frozenset(found - IGNORED)


def watch(page: Any) -> None:
    """Start collecting the page's errors (the fixtures call this before the first navigation)."""
    problems: list[str] = []
    page.jaga_problems = problems

    def on_console(message: Any) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            problems.append(f"console error: {message.text} ({where})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
    page.on("crash", lambda _page: problems.append("the page crashed"))
    page.add_init_script(_INIT_SCRIPT)


def check_page(page: Any, *, translations: bool = True) -> None:
    """Fail on what `watch` collected, on horizontal scroll and on untranslated text."""
    where = page.url
    problems: list[str] = list(getattr(page, "jaga_problems", []))
    if page.url.startswith(("http://", "https://")) and _is_html(page):
        csp = page.evaluate("() => window.__jagaCsp || []")
        problems += [f"CSP violation: {violation}" for violation in csp]
        width = page.evaluate(_WIDTH_SCRIPT)
        if width["scrollWidth"] > width["innerWidth"]:
            problems.append(
                f"horizontal scroll: the page is {width['scrollWidth']} px wide in a "
                f"{width['innerWidth']} px window; too wide: {', '.join(width['wide']) or '?'}"
            )
        if translations and not width["lang"].lower().startswith("en"):
            english = english_msgids()
            left = sorted({text for text in page.evaluate(_TEXTS_SCRIPT) if text in english})
            if left:
                problems.append(f"untranslated on an Indonesian page: {left}")
    if problems:
        raise AssertionError(f"{where}:\n  " + "\n  ".join(problems))


def _is_html(page: Any) -> bool:
    return bool(page.evaluate("() => document.contentType === 'text/html'"))
