"""Write every notebook's Colab badge and install cell from one place: ``book/_config.yml``.

The repository's address is ``repository.url`` (and ``repository.branch``) in the book's
configuration. From it this module writes, in every notebook of ``book/``, ``solutions/`` and
``exercises/``:

- the badge line of the first (title) cell: a local image, ``book/_static/colab-badge.svg``
  (nothing is fetched from the web), linking to the notebook on Colab;
- every other Colab link in the notebook's text (for example a chapter's link to its exercise
  notebook), pointed at the same repository and branch;
- the second cell, the install cell: it runs ``pip install "simbelief-edu @ git+<url>@<branch>"``
  only where ``google.colab`` is imported, that is on Colab, and does nothing elsewhere.
  Book notebooks tag it ``remove-cell`` so that the book hides it.

Usage::

    python -m simbelief_edu.publish          # rewrite stale notebooks
    python -m simbelief_edu.publish --check  # exit 1 and list the stale notebooks

``python -m simbelief_edu.exercises`` applies the same rewriting to the notebooks it generates.
"""

from __future__ import annotations

import argparse
import copy
import posixpath
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

FOLDERS = ("book", "solutions", "exercises")
BADGE_SVG = "book/_static/colab-badge.svg"
INSTALL_FIRST_LINE = "# Colab only: install simbelief-edu (does nothing elsewhere)"
_COLAB_LINK = re.compile(
    r"https://colab\.research\.google\.com/github/[^/\s]+/[^/\s]+/blob/[^/\s]+/(?P<path>[^)\s]+)"
)


@dataclass(frozen=True)
class Repository:
    url: str  # https://github.com/<owner>/<name>
    branch: str

    @property
    def slug(self) -> str:
        """``owner/name`` of a GitHub repository."""
        prefix = "https://github.com/"
        if not self.url.startswith(prefix):
            raise ValueError(f"repository.url must start with {prefix}: {self.url}")
        return self.url[len(prefix) :].strip("/").removesuffix(".git")

    @property
    def requirement(self) -> str:
        """What the install cell gives pip."""
        return f"simbelief-edu @ git+{self.url.rstrip('/')}@{self.branch}"


def repository(root: Path) -> Repository:
    """The repository named in ``book/_config.yml``."""
    config = yaml.safe_load((root / "book" / "_config.yml").read_text())
    repo = config["repository"]
    return Repository(url=repo["url"], branch=repo.get("branch", "main"))


def colab_url(repo: Repository, relpath: str) -> str:
    return f"https://colab.research.google.com/github/{repo.slug}/blob/{repo.branch}/{relpath}"


def badge_line(repo: Repository, relpath: str) -> str:
    """Markdown of the badge: the local SVG, linking to the notebook on Colab."""
    image = posixpath.relpath(BADGE_SVG, start=posixpath.dirname(relpath) or ".")
    return f"[![Open In Colab]({image})]({colab_url(repo, relpath)})"


def install_source(repo: Repository) -> str:
    """The install cell (formatted as ``ruff format`` leaves it)."""
    return (
        f"{INSTALL_FIRST_LINE}\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n"
        "\n"
        "    subprocess.run(\n"
        "        [\n"
        "            sys.executable,\n"
        '            "-m",\n'
        '            "pip",\n'
        '            "install",\n'
        '            "-q",\n'
        f'            "{repo.requirement}",\n'
        "        ],\n"
        "        check=True,\n"
        "    )"
    )


def _is_badge(line: str) -> bool:
    return "colab-badge.svg" in line or "colab.research.google.com/github/" in line


def publish(nb: nbformat.NotebookNode, relpath: str, repo: Repository) -> nbformat.NotebookNode:
    """Give ``nb`` (at ``relpath`` in the repository) its badge and install cell, in place."""
    cells = nb.cells
    if not cells or cells[0].cell_type != "markdown":
        raise ValueError(f"{relpath}: the first cell must be the markdown title")
    lines = cells[0].source.split("\n")
    badge = badge_line(repo, relpath)
    kept = [line for line in lines if not _is_badge(line)]
    # title, blank line, badge, then the rest of the cell unchanged
    title, rest = kept[0], kept[1:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    cells[0].source = "\n".join([title, "", badge] + (["", *rest] if rest else []))
    for cell in cells[1:]:
        if cell.cell_type == "markdown":
            cell.source = _COLAB_LINK.sub(lambda m: colab_url(repo, m["path"]), cell.source)
    install = nbformat.v4.new_code_cell(install_source(repo))
    if relpath.startswith("book/"):
        install.metadata["tags"] = ["remove-cell"]
    if len(cells) > 1 and cells[1].cell_type == "code" and INSTALL_FIRST_LINE in cells[1].source:
        cells[1].source = install.source
        cells[1].metadata = {**cells[1].metadata, **install.metadata}
    else:
        if nb.nbformat_minor < 5:
            install.pop("id", None)
        cells.insert(1, install)
    return nb


def _notebooks(root: Path) -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (root / folder).glob("*.ipynb"))


def stale(root: Path) -> dict[Path, str]:
    """Each notebook whose badge or install cell is out of date, with the text it should have."""
    repo = repository(root)
    out = {}
    for path in _notebooks(root):
        nb = nbformat.read(path, as_version=4)
        wanted = publish(copy.deepcopy(nb), path.relative_to(root).as_posix(), repo)
        if wanted != nb:  # the content, not its JSON layout
            out[path] = nbformat.writes(wanted) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simbelief_edu.publish", description=__doc__)
    parser.add_argument("--check", action="store_true", help="list stale notebooks, exit 1")
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    args = parser.parse_args(argv)
    if not (args.root / BADGE_SVG).exists():
        print(f"missing: {args.root / BADGE_SVG}")
        return 1
    todo = stale(args.root)
    for path, text in todo.items():
        if args.check:
            print(f"stale: {path} (run `python -m simbelief_edu.publish`)")
        else:
            path.write_text(text)
            print(f"wrote {path}")
    return 1 if args.check and todo else 0


if __name__ == "__main__":
    sys.exit(main())
