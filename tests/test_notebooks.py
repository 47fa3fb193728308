"""Conventions every notebook follows: Colab badge to its own path, Colab-only install cell,
no committed outputs, every book page in the table of contents."""

from pathlib import Path

import nbformat
import pytest
import yaml

from simbelief_edu.publish import repository

ROOT = Path(__file__).resolve().parents[1]
REPO = repository(ROOT)  # book/_config.yml's repository.url and branch
NOTEBOOKS = sorted(
    p for d in ("book", "solutions", "exercises") for p in (ROOT / d).glob("*.ipynb")
)


def convention_problems(nb: nbformat.NotebookNode, relpath: str) -> list[str]:
    """What breaks the notebook conventions of design.md (empty list when none)."""
    problems = []
    cells = nb.cells
    badge = f"https://colab.research.google.com/github/{REPO.slug}/blob/{REPO.branch}/{relpath}"
    if not cells or cells[0].cell_type != "markdown":
        problems.append("first cell is not a markdown title with the Colab badge")
    elif "colab-badge.svg" not in cells[0].source or f"({badge})" not in cells[0].source:
        problems.append(f"first cell lacks an Open-in-Colab badge linking to {badge}")
    if len(cells) < 2 or cells[1].cell_type != "code":
        problems.append("second cell is not the install cell")
    else:
        install = cells[1].source
        if '"google.colab" in sys.modules' not in install or "pip" not in install:
            problems.append("second cell is not a Colab-only pip install cell")
        if relpath.startswith("book/") and "remove-cell" not in cells[1].metadata.get("tags", []):
            problems.append("the install cell lacks the remove-cell tag (hidden in the book)")
    if any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")) for c in cells):
        problems.append("notebook has committed outputs (clear them)")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_notebook_follows_conventions(path):
    relpath = path.relative_to(ROOT).as_posix()
    assert convention_problems(nbformat.read(path, as_version=4), relpath) == []


def test_convention_check_catches_broken_notebooks():
    good = nbformat.read(ROOT / "book" / "ch00_setup.ipynb", as_version=4)
    assert convention_problems(good, "book/ch00_setup.ipynb") == []
    assert any("badge" in p for p in convention_problems(good, "book/other.ipynb"))
    untagged = nbformat.from_dict(good)
    untagged.cells[1].metadata["tags"] = []
    assert any("remove-cell" in p for p in convention_problems(untagged, "book/ch00_setup.ipynb"))
    no_install = nbformat.v4.new_notebook(cells=[good.cells[0], good.cells[2]])
    assert convention_problems(no_install, "book/ch00_setup.ipynb")
    with_output = nbformat.from_dict(good)
    with_output.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi")]
    assert "notebook has committed outputs (clear them)" in convention_problems(
        with_output, "book/ch00_setup.ipynb"
    )


def _toc_files(entries) -> set[str]:
    files = set()
    for entry in entries:
        if "file" in entry:
            files.add(entry["file"])
        for key in ("parts", "chapters", "sections"):
            files |= _toc_files(entry.get(key, []))
    return files


def test_every_book_page_is_in_the_toc_and_exists():
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    listed = _toc_files([toc]) | {toc["root"]}
    pages = {p.stem for p in (ROOT / "book").glob("*.ipynb")}
    pages |= {p.stem for p in (ROOT / "book").glob("*.md")}
    assert pages - listed == set(), "pages missing from _toc.yml"
    assert listed - pages == set(), "_toc.yml lists pages that do not exist"
