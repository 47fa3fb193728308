"""Every notebook's Colab badge and install cell come from book/_config.yml's repository."""

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import yaml

from simbelief_edu.publish import BADGE_SVG, badge_line, install_source, main, repository

ROOT = Path(__file__).resolve().parents[1]


def test_notebooks_are_published_from_the_config(capsys):
    assert main(["--check", "--root", str(ROOT)]) == 0, capsys.readouterr().out


def test_badge_is_a_local_svg():
    svg = ET.parse(ROOT / BADGE_SVG).getroot()
    assert svg.tag.endswith("svg") and "Open in Colab" in ET.tostring(svg, encoding="unicode")
    repo = repository(ROOT)
    assert badge_line(repo, "book/ch01_bamdp.ipynb").startswith(
        "[![Open In Colab](_static/colab-badge.svg)](https://colab.research.google.com/github/"
    )
    assert "(../book/_static/colab-badge.svg)" in badge_line(repo, "exercises/ch01_bamdp.ipynb")


def _copy(tmp_path: Path) -> Path:
    for folder in ("book", "solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("_build"))
    return tmp_path


def test_check_lists_a_stale_notebook_and_rewriting_fixes_it(tmp_path, capsys):
    root = _copy(tmp_path)
    path = root / "solutions" / "ch00_warmup.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("git+https://github.com/", "git+https://x/")
    nbformat.write(nb, path)
    assert main(["--check", "--root", str(root)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"stale: {path} (run `python -m simbelief_edu.publish`)"
    ]
    assert main(["--root", str(root)]) == 0
    assert main(["--check", "--root", str(root)]) == 0


def test_a_new_url_rewrites_every_notebook(tmp_path, capsys):
    root = _copy(tmp_path)
    config_path = root / "book" / "_config.yml"
    config = yaml.safe_load(config_path.read_text())
    config["repository"].update(url="https://github.com/someone/fork", branch="course-2027")
    config_path.write_text(yaml.safe_dump(config))
    assert main(["--check", "--root", str(root)]) == 1
    stale = capsys.readouterr().out.splitlines()
    notebooks = [p for f in ("book", "solutions", "exercises") for p in (root / f).glob("*.ipynb")]
    assert len(stale) == len(notebooks)
    assert main(["--root", str(root)]) == 0
    nb = nbformat.read(root / "exercises" / "ch02_belief.ipynb", as_version=4)
    assert "github/someone/fork/blob/course-2027/exercises/ch02_belief.ipynb" in nb.cells[0].source
    assert nb.cells[1].source == install_source(repository(root))
    assert "git+https://github.com/someone/fork@course-2027" in nb.cells[1].source
    chapter = nbformat.read(root / "book" / "ch00_setup.ipynb", as_version=4)
    text = "\n".join(c.source for c in chapter.cells)
    assert "github/someone/fork/blob/course-2027/exercises/ch00_warmup.ipynb" in text
    assert "simbelief-edu/simbelief-edu" not in text
