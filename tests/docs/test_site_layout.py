"""Every page of the built site at 1280 px: a screenshot, and no horizontal overflow.

The site is built here with `mkdocs build --strict` (or taken from `DOCS_SITE`, a built
site folder), served from loopback, and opened in headless Chromium with every other host
blocked, which also proves the site needs no network. A page fails when the document scrolls
sideways (`scrollWidth > clientWidth`) or when an element of the text column sticks out of it,
even inside a box that clips or scrolls it (a table whose last columns hide behind the
column's edge is what readers reported): only code blocks, which show a scrollbar, may be
wider than the column. Screenshots go to `DOCS_SCREENSHOTS` when
it is set, else to the test's temporary folder.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from docs_blocks import ROOT

WIDTH = 1280
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

#: Hosts pages may ask (the request is blocked here, and the page works without), and why.
MAY_ASK_OUTSIDE = {
    "api.github.com": "Material's repository link fetches the star count; it shows none offline",
}

#: What a page reports: the document's own overflow, then every element sticking out.
OVERFLOW_JS = """
() => {
  const doc = document.documentElement;
  const problems = [];
  if (doc.scrollWidth > doc.clientWidth) {
    problems.push(`the page scrolls sideways: scrollWidth ${doc.scrollWidth} > ${doc.clientWidth}`);
  }
  // The text column with its padding (Material lets table wrappers use the padding).
  const column = document.querySelector(".md-content");
  if (!column) return problems;
  const limit = column.getBoundingClientRect().right + 1;
  for (const element of column.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= limit) continue;
    // Code blocks scroll inside their own box, with a scrollbar: that is their design.
    // Anything else past the column's edge is cut off or pushes the page sideways.
    const held = element.closest("pre, .highlight, .md-code__nav") !== null;
    if (!held) {
      const name = element.tagName.toLowerCase()
        + (element.className && typeof element.className === "string"
           ? "." + element.className.trim().split(/\\s+/).join(".") : "");
      problems.push(`${name} ends at ${Math.round(box.right)} px, the column at `
        + `${Math.round(limit)} px: "${element.textContent.trim().slice(0, 50)}"`);
    }
  }
  return problems.slice(0, 10);
}
"""


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


@functools.cache
def _built_site(folder: str) -> Path:
    given = os.environ.get("DOCS_SITE")
    if given:
        return Path(given)
    site = Path(folder) / "site"
    finished = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built_site(str(tmp_path_factory.mktemp("docs")))


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def site_pages(site: Path) -> list[str]:
    return sorted(
        f"/{page.parent.relative_to(site)}/" if page.parent != site else "/"
        for page in site.rglob("index.html")
    )


def test_no_page_overflows_at_1280_px(site: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        _unavailable("chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Python Playwright is not installed")
    shots = Path(os.environ.get("DOCS_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    pages = site_pages(site)
    assert len(pages) > 15, pages
    report: dict[str, list[str]] = {}
    outside: list[str] = []
    with _serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": 900})

            def only_loopback(route: object) -> None:
                request = route.request  # type: ignore[attr-defined]
                if request.url.startswith(base):
                    route.continue_()  # type: ignore[attr-defined]
                else:
                    outside.append(request.url)
                    route.abort()  # type: ignore[attr-defined]

            context.route("**/*", only_loopback)
            page = context.new_page()
            for path in pages:
                page.goto(base + path, wait_until="load")
                name = path.strip("/").replace("/", "_") or "index"
                page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                if problems := page.evaluate(OVERFLOW_JS):
                    report[path] = problems
        finally:
            browser.close()
    assert not report, "\n".join(f"{path}: {'; '.join(found)}" for path, found in report.items())
    unexpected = sorted({url for url in outside if url.split("/")[2] not in MAY_ASK_OUTSIDE})
    assert not unexpected, f"the site asked for the network: {unexpected[:5]}"
