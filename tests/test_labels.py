"""Every equation a docstring, notebook or page cites exists in the book, and nothing cites
files readers do not have."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CITE = re.compile(r"\{eq\}`([^`]+)`")
# MyST labels: "$$ ... $$ (label)" in markdown cells and pages, or "(label)=" targets
DEFINE = re.compile(r"^\$\$\s*\(([\w-]+)\)\s*$|^\(([\w-]+)\)=\s*$", re.MULTILINE)


def _texts() -> dict[str, str]:
    """Source text per file: package modules, book pages and notebooks, exercise notebooks."""
    texts = {}
    for path in [*ROOT.glob("simbelief_edu/**/*.py"), *ROOT.glob("book/*.md")]:
        texts[str(path.relative_to(ROOT))] = path.read_text()
    for path in [*ROOT.glob("book/*.ipynb"), *ROOT.glob("solutions/*.ipynb")]:
        cells = json.loads(path.read_text())["cells"]
        texts[str(path.relative_to(ROOT))] = "\n".join("".join(c["source"]) for c in cells)
    return texts


def defined_labels(texts: dict[str, str]) -> set[str]:
    return {a or b for text in texts.values() for a, b in DEFINE.findall(text)}


def dangling_citations(texts: dict[str, str]) -> list[str]:
    labels = defined_labels(texts)
    return [
        f"{name}: {{eq}}`{label}`"
        for name, text in texts.items()
        for label in CITE.findall(text)
        if label not in labels
    ]


def test_every_cited_equation_label_exists():
    texts = _texts()
    assert len(defined_labels(texts)) >= 12  # the method's equations, labelled in chapter 6
    assert dangling_citations(texts) == []


def test_a_bad_label_is_caught():
    texts = _texts()
    texts["simbelief_edu/fake.py"] = '"""See {eq}`eq-does-not-exist`."""'
    assert dangling_citations(texts) == ["simbelief_edu/fake.py: {eq}`eq-does-not-exist`"]


@pytest.mark.parametrize("pattern", [r"method\.md", r"\.\./shared"])
def test_nothing_cites_files_readers_do_not_have(pattern):
    hits = [name for name, text in _texts().items() if re.search(pattern, text)]
    assert hits == []


def test_labels_are_defined_once():
    texts = _texts()
    found = [a or b for text in texts.values() for a, b in DEFINE.findall(text)]
    assert len(found) == len(set(found)), sorted(x for x in found if found.count(x) > 1)
