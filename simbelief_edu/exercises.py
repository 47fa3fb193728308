"""Write student notebooks (``exercises/``) from the instructor notebooks (``solutions/``).

In a solution notebook, each code region between a ``### BEGIN SOLUTION`` line and a
``### END SOLUTION`` line becomes ``raise NotImplementedError("exercise: <hint>")`` at the
same indentation. The hint is the text after ``### BEGIN SOLUTION:`` (if any). Markdown
cells tagged ``solution`` become an answer placeholder. Outputs are cleared and the Colab
badge is pointed at the exercise's own path.

Usage::

    python -m simbelief_edu.exercises          # (re)write exercises/
    python -m simbelief_edu.exercises --check  # exit 1 if exercises/ is stale
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
ANSWER_PLACEHOLDER = "*Write your answer here.*"
_BEGIN_RE = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION:?\s*(?P<hint>.*)$")


def blank_solutions(source: str) -> str:
    """Replace every solution region of a code cell's source by a NotImplementedError."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        match = _BEGIN_RE.match(line)
        if match:
            if inside:
                raise ValueError(f"line {number}: nested {BEGIN!r}")
            inside = True
            hint = (match["hint"] or "fill in this part").replace('"', "'")
            out.append(f'{match["indent"]}raise NotImplementedError("exercise: {hint}")')
        elif line.strip() == END:
            if not inside:
                raise ValueError(f"line {number}: {END!r} without {BEGIN!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without a matching {END!r}")
    return "\n".join(out)


def make_exercise(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Return the student version of one solution notebook (``name`` is its file name)."""
    exercise = nbformat.v4.new_notebook(metadata=solution.metadata)
    for cell in solution.cells:
        source = cell.source
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(blank_solutions(source), metadata=cell.metadata)
        elif "solution" in cell.metadata.get("tags", []):
            new = nbformat.v4.new_markdown_cell(ANSWER_PLACEHOLDER, metadata=cell.metadata)
        else:
            source = source.replace(f"blob/main/solutions/{name}", f"blob/main/exercises/{name}")
            new = nbformat.v4.new_markdown_cell(source, metadata=cell.metadata)
        new.pop("id", None)
        exercise.cells.append(new)
    return exercise


def render(notebook: nbformat.NotebookNode) -> str:
    """Serialise a notebook deterministically (no cell ids, so regeneration is stable)."""
    notebook.nbformat, notebook.nbformat_minor = 4, 4
    return nbformat.writes(notebook) + "\n"


def build(root: Path) -> dict[Path, str]:
    """Map each exercise path to the text it should have."""
    solutions = sorted((root / "solutions").glob("*.ipynb"))
    if not solutions:
        raise FileNotFoundError(f"no solution notebooks under {root / 'solutions'}")
    return {
        root / "exercises" / path.name: render(
            make_exercise(nbformat.read(path, as_version=4), path.name)
        )
        for path in solutions
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simbelief_edu.exercises", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if exercises/ is stale")
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    args = parser.parse_args(argv)
    wanted = build(args.root)
    existing = set((args.root / "exercises").glob("*.ipynb"))
    if args.check:
        stale = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
        orphans = sorted(existing - set(wanted))
        for path in stale:
            print(f"stale: {path} (run `python -m simbelief_edu.exercises`)")
        for path in orphans:
            print(f"orphan: {path} has no notebook in solutions/")
        return 1 if stale or orphans else 0
    (args.root / "exercises").mkdir(exist_ok=True)
    for path in existing - set(wanted):
        path.unlink()
    for path, text in wanted.items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
