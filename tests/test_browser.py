"""The published book as a reader sees it (tools/check_site.py), in headless Chromium, offline.

The book is built once for the session, from a copy of book/ with its notebooks executed at
smoke scale (``execute_notebooks: cache``; the cache, book/_build/.jupyter_cache, makes a rerun
with unchanged notebooks quick), so the pages carry the figures and GIFs the notebooks draw,
exactly as ``make book`` publishes them. MathJax is the local copy (``make assets``). Every page
is checked in one browser: no console error, no raw TeX, every equation typeset, every image
loaded, the theorem / proof / exercise / solution boxes there and the solutions opening on a
click, no broken internal link. A screenshot of every page goes to book/_build/screenshots/.
Then each kind of breakage (an image, a link, an equation) is injected into a copy of a built
page, and the checker must report it.

The browser part is skipped, with the reason, where Playwright or Debian's chromium is missing.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import check_site  # noqa: E402
import fetch_mathjax  # noqa: E402

SCREENSHOTS = ROOT / "book" / "_build" / "screenshots"
CACHE = ROOT / "book" / "_build" / ".jupyter_cache"
CHAPTERS = [p.stem for p in sorted((ROOT / "book").glob("ch*.ipynb"))]


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The book built with its notebooks executed (smoke scale), as ``make book`` builds it."""
    fetch_mathjax.fetch()
    book = tmp_path_factory.mktemp("browser") / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "api"))
    config = yaml.safe_load((book / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "cache"
    config["execute"]["cache"] = str(CACHE)
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", str(book), "-W", "--keep-going"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return book / "_build" / "html"


@pytest.fixture(scope="session")
def browser_ready() -> None:
    why = check_site.browser_available()
    if why:
        pytest.skip(f"browser checks skipped: {why}")


@pytest.fixture(scope="session")
def reports(site, browser_ready) -> dict[str, check_site.PageReport]:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    return {r.page: r for r in check_site.check_site(site, SCREENSHOTS)}


def test_no_broken_internal_link(site):
    assert check_site.broken_links(site) == []


def test_every_page_reads_cleanly(reports):
    problems = [f"{page}: {p}" for page, r in reports.items() for p in r.problems]
    assert problems == [], "\n".join(problems)
    assert len(list(SCREENSHOTS.glob("*.png"))) == len(reports)


def test_every_chapter_and_the_api_reference_are_checked(reports):
    for page in [f"{c}.html" for c in CHAPTERS] + ["intro.html", "notation.html", "api.html"]:
        assert page in reports
    assert any(page.startswith("api/simbelief_edu/") for page in reports)


def test_boxes_equations_and_figures_are_there(reports):
    theory = reports["ch05_theory.html"]
    for kind in ("theorem", "lemma", "definition", "proof"):
        assert theory.boxes.get(kind, 0) >= 1, kind
    assert theory.equations >= 300
    for chapter in CHAPTERS:
        report = reports[f"{chapter}.html"]
        assert report.boxes.get("exercise", 0) >= 1, chapter
        assert report.solutions_opened == report.boxes.get("solution", 0) >= 1, chapter
        assert report.equations > 0, chapter
    # figures drawn by executed cells, loaded
    for chapter in ("ch02_belief", "ch05_theory", "ch07_mujoco"):
        assert any("_images/" in src for src in reports[f"{chapter}.html"].loaded), chapter


def test_ch04_shows_a_static_figure_not_a_widget(site, reports):
    html = (site / "ch04_bisimulation.html").read_text()
    assert "ipywidgets" not in html and "widget-view+json" not in html  # slider cell removed
    assert "embed-amd" not in html  # and no widget JavaScript to fetch from a CDN
    assert '<span class="n">draw_metric</span>' in html  # the figure of three values of c_T
    figures = [src for src in reports["ch04_bisimulation.html"].loaded if "_images/" in src]
    assert len(figures) >= 4, figures


# --- each breakage makes the check fail ---------------------------------------------------

BROKEN = {
    "image": ("ch00_setup.html", '<p><img alt="broken" src="_images/no-such-figure.png"></p>'),
    "link": ("ch01_bamdp.html", '<p><a href="ch05_theory.html#no-such-label">see</a></p>'),
    "equation": (  # a TeX error, an undefined macro, an unbalanced brace, a lone $$
        "ch02_belief.html",
        '<p><span class="math notranslate nohighlight">\\(x^{2}}\\)</span> and '
        '<span class="math notranslate nohighlight">\\(\\notamacro x\\)</span> and '
        '<span class="math notranslate nohighlight">\\(\\frac{1}{2\\)</span> and '
        "$$ b_t(\\theta) left open</p>",
    ),
    "table": ("ch03_latent_dynamics.html", "<p>| setting | value | |---|---| | lr | 3e-4 |</p>"),
}


@pytest.fixture(scope="session")
def broken_site(site, tmp_path_factory) -> Path:
    """A copy of the built book with one breakage injected into each of three pages."""
    copy = tmp_path_factory.mktemp("broken") / "html"
    shutil.copytree(site, copy)
    for page, snippet in BROKEN.values():
        path = copy / page
        html = path.read_text()
        main = re.search(r"<main[^>]*>", html)
        assert main is not None, page
        path.write_text(html[: main.end()] + snippet + html[main.end() :])
    return copy


@pytest.fixture(scope="session")
def broken_reports(broken_site, browser_ready) -> dict[str, check_site.PageReport]:
    pages = [page for page, _ in BROKEN.values()]
    return {r.page: r for r in check_site.check_site(broken_site, only=pages)}


def test_a_broken_image_fails(broken_site, broken_reports):
    page = BROKEN["image"][0]
    assert "image not loaded: _images/no-such-figure.png" in broken_reports[page].problems
    assert any("no-such-figure.png" in p for p in check_site.broken_links(broken_site))


def test_a_broken_link_fails(broken_site):
    assert check_site.broken_links(broken_site) == [
        "ch00_setup.html: link '_images/no-such-figure.png': no file "
        f"{(broken_site / '_images' / 'no-such-figure.png').resolve()}",
        "ch01_bamdp.html: link 'ch05_theory.html#no-such-label': "
        "no id 'no-such-label' in ch05_theory.html",
    ]


def test_a_broken_equation_fails(broken_reports):
    problems = broken_reports[BROKEN["equation"][0]].problems
    tex_errors = [p for p in problems if p.startswith("TeX error or undefined macro")]
    assert len(tex_errors) == 2, problems  # x^{2}} and \notamacro
    assert any(p.startswith("1 of ") and "equations not typeset" in p for p in problems)
    assert any(p.startswith("raw TeX '\\\\('") for p in problems), problems  # \frac{1}{2
    assert any(p.startswith("raw TeX '$$'") for p in problems), problems


def test_a_raw_markdown_table_fails(broken_reports):
    problems = broken_reports[BROKEN["table"][0]].problems
    assert any(p.startswith("raw Markdown table in the text") for p in problems), problems
