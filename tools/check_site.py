"""Check a built book the way a reader sees it: in a headless browser, offline.

For every page of the built HTML (``book/_build/html``):

* no broken internal link: every relative ``href``/``src`` names a file that exists, and its
  ``#fragment`` an ``id`` in that file (checked on the files, no browser needed);
* in Chromium (Debian's ``chromium``, driven by Playwright; requests to other hosts are
  blocked, so the page must work offline): no console error and no uncaught exception, every
  image loaded (``naturalWidth > 0``), MathJax typeset every ``.math`` element with no TeX
  error or undefined macro, no raw TeX (``\\(``, ``\\[``, ``$$``) and no raw Markdown table
  (``|---|``) left in the visible text outside code, the theorem / proof / exercise /
  solution boxes visible, and every folded solution opening on a click;
* a screenshot of every page in the screenshot folder: ``<page>.png``, the first screen a
  reader sees (1280 x 900), and ``full/<page>.png``, the whole page.

Usage:  python tools/check_site.py [book/_build/html] [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# box kinds: CSS selector of the sphinx-proof / sphinx-exercise admonitions
BOXES = {
    "theorem": ".proof.theorem",
    "lemma": ".proof.lemma",
    "definition": ".proof.definition",
    "proof": ".proof:not(.theorem):not(.lemma):not(.definition)",
    "exercise": ".exercise",
    "solution": ".solution",
}
RAW_TEX = ("\\(", "\\)", "\\[", "\\]", "$$")
SKIP_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static", "screenshots"}


def pages(site: Path) -> list[Path]:
    """The HTML pages of the book (not the theme's or the search's support files)."""
    return sorted(
        p
        for p in site.rglob("*.html")
        if not SKIP_DIRS.intersection(p.relative_to(site).parts[:-1])
    )


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        for key in ("href", "src"):
            if a.get(key) is not None and tag in ("a", "img", "link", "script", "source"):
                self.refs.append(a[key])


@functools.cache
def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def broken_links(site: Path) -> list[str]:
    """Every relative link of every page whose file, or whose #id in that file, is missing."""
    _parse.cache_clear()
    problems = []
    for page in pages(site):
        for ref in _parse(page).refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or ref.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            where = f"{page.relative_to(site)}: link {ref!r}"
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{where}: no file {target}")
            elif parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in _parse(target).ids:
                    problems.append(f"{where}: no id {parts.fragment!r} in {target.name}")
    return problems


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` over HTTP on a free local port, in a thread; yield its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# runs in the page after load: wait for MathJax and the images, then report what a reader sees
_INSPECT = """
async (boxes) => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const images = [...document.images];
  await Promise.all(images.map((img) => {
    img.loading = "eager";
    if (img.complete) return null;
    return new Promise((done) => {
      img.addEventListener("load", done); img.addEventListener("error", done);
      setTimeout(done, 15000);
    });
  }));
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  // visible text outside code, scripts and typeset math
  const skip = "pre, code, script, style, mjx-container, .highlight, .MathJax";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement && n.parentElement.closest(skip)
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const texts = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement && visible(n.parentElement)) texts.push(n.textContent);
  }
  const math = [...document.querySelectorAll(".math")];
  const errors = [];
  for (const c of document.querySelectorAll("mjx-container")) {
    const mml = c.querySelector("mjx-assistive-mml math");
    const bad = c.querySelector("mjx-merror") || (mml && (mml.querySelector("merror")
      || [...mml.querySelectorAll("mtext[mathcolor=red]")].some(
        (t) => t.textContent.startsWith("\\\\"))));
    if (bad) errors.push((mml ? mml.textContent : c.textContent).slice(0, 80));
  }
  const counts = {};
  for (const [kind, selector] of Object.entries(boxes)) {
    const els = [...document.querySelectorAll(selector)];
    counts[kind] = [els.length, els.filter(visible).length];
  }
  return {
    mathjax: !!(window.MathJax && MathJax.startup),
    images: images.map((img) => ({src: img.getAttribute("src"),
                                  loaded: img.complete && img.naturalWidth > 0})),
    text: texts.join(" "),
    math: math.length,
    untypeset: math.filter((el) => !el.querySelector("mjx-container")).length,
    typeset: document.querySelectorAll("mjx-container").length,
    mathErrors: errors,
    boxes: counts,
  };
}
"""


@dataclass
class PageReport:
    page: str
    problems: list[str] = field(default_factory=list)
    equations: int = 0
    images: int = 0
    loaded: list[str] = field(default_factory=list)  # the src of every image that loaded
    boxes: dict[str, int] = field(default_factory=dict)
    solutions_opened: int = 0


def _check_solutions(page, report: PageReport) -> None:
    solutions = page.locator(".solution.dropdown")
    for i in range(solutions.count()):
        box = solutions.nth(i)
        content = box.locator(":scope > .admonition-title ~ *").first
        name = box.get_attribute("id") or f"solution {i + 1}"
        if content.count() == 0:
            report.problems.append(f"{name}: empty solution")
            continue
        if content.is_visible():
            report.problems.append(f"{name}: solution is not folded")
            continue
        # the chevron button that sphinx-togglebutton adds to the title (the middle of the title
        # may be the link to the exercise)
        box.locator(":scope > .admonition-title .toggle-button").click()
        try:
            content.wait_for(state="visible", timeout=5000)
            report.solutions_opened += 1
        except Exception:  # playwright's TimeoutError
            report.problems.append(f"{name}: solution does not open on click")


def check_page(context, base: str, site: Path, path: Path, screenshots: Path | None):
    """Load one page in a new tab of ``context`` and report what is wrong with it."""
    rel = path.relative_to(site).as_posix()
    report = PageReport(rel)
    page = context.new_page()
    page.on(
        "console",
        lambda m: m.type == "error" and report.problems.append(f"console error: {m.text}"),
    )
    page.on("pageerror", lambda e: report.problems.append(f"uncaught exception: {e}"))
    page.on(
        "requestfailed",
        lambda r: report.problems.append(f"request failed: {r.url} ({r.failure})"),
    )
    page.goto(base + rel, wait_until="load")
    seen = page.evaluate(_INSPECT, BOXES)
    if seen["math"] and not seen["mathjax"]:
        report.problems.append("MathJax did not load")
    if seen["untypeset"]:
        report.problems.append(f"{seen['untypeset']} of {seen['math']} equations not typeset")
    for tex in seen["mathErrors"]:
        report.problems.append(f"TeX error or undefined macro in: {tex!r}")
    for raw in RAW_TEX:
        at = seen["text"].find(raw)
        if at >= 0:
            context_text = " ".join(seen["text"][max(0, at - 40) : at + 40].split())
            report.problems.append(f"raw TeX {raw!r} in the text: ...{context_text}...")
    table = re.search(r"\|\s*[-\u2013\u2014:]{1,3}\s*\|", seen["text"])
    if table:
        snippet = " ".join(seen["text"][table.start() : table.start() + 60].split())
        report.problems.append(f"raw Markdown table in the text: ...{snippet}...")
    for img in seen["images"]:
        if not img["loaded"]:
            report.problems.append(f"image not loaded: {img['src']}")
    for kind, (count, shown) in seen["boxes"].items():
        if shown < count:
            report.problems.append(f"{count - shown} of {count} {kind} boxes not visible")
    report.equations = seen["typeset"]
    report.images = len(seen["images"])
    report.loaded = [img["src"] for img in seen["images"] if img["loaded"]]
    report.boxes = {kind: count for kind, (count, _) in seen["boxes"].items() if count}
    _check_solutions(page, report)
    if screenshots is not None:  # the first screen a reader sees, and the whole page
        name = rel.replace("/", "__").removesuffix(".html") + ".png"
        page.mouse.move(0, 0)  # no hover effect left over from the clicks
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(screenshots / name))
        page.screenshot(path=str(screenshots / "full" / name), full_page=True)
    page.close()
    return report


def _redirect(page: Path) -> bool:
    """A page that only sends the reader on (index.html to the first chapter)."""
    return re.search(r"<meta[^>]+http-equiv=.refresh", page.read_text(), re.I) is not None


def browser_available() -> str | None:
    """None if the browser checks can run here, else why not."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; it is in the dev extra)"
    if chromium() is None:
        return "no chromium found (Debian: apt-get install -y chromium)"
    return None


def chromium() -> str | None:
    """Debian's chromium, else a Chromium that Playwright has already installed, else None.

    The environment variable CHROMIUM overrides the search: a path, or ``bundled`` for
    Playwright's own browser (``playwright install chromium``, as the deploy workflow does).
    """
    choice = os.environ.get("CHROMIUM", "")
    if choice and choice != "bundled":
        return choice
    for name in () if choice == "bundled" else ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            bundled = p.chromium.executable_path
    except Exception:  # no playwright, or no browser of its own
        return None
    return bundled if Path(bundled).is_file() else None


@contextmanager
def browser_context() -> Iterator[object]:
    """A Playwright browser context on the system chromium that can reach only localhost."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def offline(route) -> None:
            host = urlsplit(route.request.url).hostname
            if host in ("127.0.0.1", "localhost") or route.request.url.startswith("data:"):
                route.continue_()
            else:
                route.abort("internetdisconnected")

        context.route("**/*", offline)
        try:
            yield context
        finally:
            browser.close()


def iter_check_site(
    site: Path, screenshots: Path | None = None, only: list[str] | None = None
) -> Iterator[PageReport]:
    """Check every page of ``site`` (or the pages named in ``only``) in one browser."""
    site = Path(site).resolve()
    if screenshots is not None:
        (screenshots / "full").mkdir(parents=True, exist_ok=True)
    todo = [
        p
        for p in pages(site)
        if (only is None or p.relative_to(site).as_posix() in only) and not _redirect(p)
    ]
    with serve(site) as base, browser_context() as context:
        for path in todo:
            yield check_page(context, base, site, path, screenshots)


def check_site(
    site: Path, screenshots: Path | None = None, only: list[str] | None = None
) -> list[PageReport]:
    """The reports of :func:`iter_check_site`, as a list."""
    return list(iter_check_site(site, screenshots, only))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default="book/_build/html", type=Path)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="pages to check, e.g. intro.html")
    args = parser.parse_args(argv)
    problems = broken_links(args.site)
    for line in problems:
        print("LINK", line)
    if why := browser_available():
        print(f"browser checks skipped: {why}")
    else:
        shots = args.screenshots or args.site.parent / "screenshots"
        for report in iter_check_site(args.site, shots, args.only):
            print(
                f"{report.page}: {report.equations} equations, {report.images} images, "
                f"boxes {report.boxes}, {report.solutions_opened} solutions opened"
            )
            for line in report.problems:
                print("   ", line, flush=True)
            problems += report.problems
    print("OK" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
