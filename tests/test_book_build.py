"""The book builds with no Sphinx warnings (notebook execution is covered by nbmake)."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import fetch_mathjax  # noqa: E402  (the book needs its local MathJax: make assets)


def test_book_builds_without_warnings(tmp_path):
    fetch_mathjax.fetch()
    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "api"))
    config = yaml.safe_load((book / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", str(book), "-W", "--keep-going"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert (book / "_build" / "html" / "index.html").exists()
