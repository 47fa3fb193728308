"""Write student notebooks (``exercises/``) from the instructor notebooks (``solutions/``).

The notebooks in ``solutions/`` are nbgrader source notebooks (answer cells hold
``### BEGIN SOLUTION`` / ``### END SOLUTION`` regions; check cells are autograder tests with
points), so ``nbgrader generate_assignment`` makes a course's release from them (see the
instructor guide). This module adds what nbgrader does not do, without needing nbgrader:

- **skeletons**: a solution region may end with a ``### SKELETON`` block of commented lines;
  the student sees them uncommented, with ``...`` for the missing pieces, after a
  ``raise NotImplementedError("exercise: <hint>")`` that names the equation to use
  (nbgrader leaves only ``raise NotImplementedError()``);
- a **"Check your work" cell** at the end that reruns every auto-check of the notebook and
  prints which pass (:func:`simbelief_edu.checks.check_your_work`);
- **Colab-ready notebooks committed to the repository**: the badge and install cell point at
  the exercise's own path (:mod:`simbelief_edu.publish`), outputs are cleared and the text is
  deterministic, so a change to a solution shows as a readable diff of ``exercises/``.

Markers in a solution code cell::

    ### BEGIN SOLUTION: hint naming the equation, e.g. eq. (ex0-kl)
    ratio = (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp()
    return 0.5 * (logvar_p - logvar_q + ratio - 1.0).sum(-1)
    ### SKELETON
    # ratio = (... + ...) / ...
    # return 0.5 * (...).sum(-1)
    ### END SOLUTION

Without ``### SKELETON`` the region becomes the ``raise`` alone. Markdown cells tagged
``solution`` (nbgrader: manually graded answers) become an answer placeholder.

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

from simbelief_edu import publish

BEGIN, END, SKELETON = "### BEGIN SOLUTION", "### END SOLUTION", "### SKELETON"
ANSWER_PLACEHOLDER = "*Write your answer here.*"
_BEGIN_RE = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION:?\s*(?P<hint>.*)$")
_CHECK_NAME_RE = re.compile(r"check_function\((?:[^()]|\([^()]*\))*?name=\"([^\"]+)\"", re.DOTALL)
CHECK_TITLE = "## Check your work"


def blank_solutions(source: str) -> str:
    """Replace every solution region of a code cell's source by its student version.

    The student version is ``raise NotImplementedError("exercise: <hint>")`` at the
    region's indentation, followed by the region's skeleton (if it has one), uncommented.
    """
    out: list[str] = []
    state, indent, hint = "outside", "", ""
    for number, line in enumerate(source.splitlines(), start=1):
        match = _BEGIN_RE.match(line)
        if match:
            if state != "outside":
                raise ValueError(f"line {number}: nested {BEGIN!r}")
            state, indent = "solution", match["indent"]
            hint = (match["hint"] or "fill in this part").replace('"', "'")
        elif line.strip() == SKELETON:
            if state != "solution":
                raise ValueError(f"line {number}: {SKELETON!r} outside a solution region")
            state = "skeleton"
            out.append(f"{indent}# Exercise: replace each ... below, then delete this raise.")
            out.append(f'{indent}raise NotImplementedError("exercise: {hint}")')
        elif line.strip() == END:
            if state == "outside":
                raise ValueError(f"line {number}: {END!r} without {BEGIN!r}")
            if state == "solution":
                out.append(f'{indent}raise NotImplementedError("exercise: {hint}")')
            state = "outside"
        elif state == "skeleton":
            out.append(_uncomment(line, indent, number))
        elif state == "outside":
            out.append(line)
    if state != "outside":
        raise ValueError(f"{BEGIN!r} without a matching {END!r}")
    return "\n".join(out)


def _uncomment(line: str, indent: str, number: int) -> str:
    """A skeleton line: ``<indent># code`` becomes ``<indent>code``."""
    if not line.strip():
        return ""
    if not line.startswith(indent + "#"):
        raise ValueError(f"line {number}: skeleton lines must start with {indent + '#'!r}")
    body = line[len(indent) + 1 :]
    return indent + body.removeprefix(" ") if body.strip() else ""


def check_names(notebook: nbformat.NotebookNode) -> list[str]:
    """The ``name=`` of every ``check_function`` call, in notebook order."""
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    return _CHECK_NAME_RE.findall(code)


def check_your_work_cells(names: list[str]) -> list[nbformat.NotebookNode]:
    """The closing cells: rerun every auto-check and list which pass."""
    text = (
        f"{CHECK_TITLE}\n\nRun this cell at any time: it reruns the auto-checks of this "
        "notebook on the functions as you last defined them and lists which pass."
    )
    listed = "".join(f'\n        "{name}",' for name in names)
    code = (
        "from simbelief_edu.checks import check_your_work\n\n"
        f"check_your_work(\n    [{listed}\n    ]\n)"
    )
    return [nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell(code)]


def make_exercise(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Return the student version of one solution notebook (``name`` is its file name)."""
    exercise = nbformat.v4.new_notebook(metadata=solution.metadata)
    for cell in solution.cells:
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(blank_solutions(cell.source), metadata=cell.metadata)
        elif "solution" in cell.metadata.get("tags", []):
            new = nbformat.v4.new_markdown_cell(ANSWER_PLACEHOLDER, metadata=cell.metadata)
        else:
            new = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
        exercise.cells.append(new)
    names = check_names(solution)
    if names:
        exercise.cells.extend(check_your_work_cells(names))
    for cell in exercise.cells:
        cell.pop("id", None)
    return exercise


def render(notebook: nbformat.NotebookNode) -> str:
    """Serialise a notebook deterministically (no cell ids, so regeneration is stable)."""
    notebook.nbformat, notebook.nbformat_minor = 4, 4
    return nbformat.writes(notebook) + "\n"


def build(root: Path) -> dict[Path, str]:
    """Map each exercise path to the text it should have."""
    repo = publish.repository(root)
    solutions = sorted((root / "solutions").glob("*.ipynb"))
    if not solutions:
        raise FileNotFoundError(f"no solution notebooks under {root / 'solutions'}")
    return {
        root / "exercises" / path.name: render(
            publish.publish(
                make_exercise(nbformat.read(path, as_version=4), path.name),
                f"exercises/{path.name}",
                repo,
            )
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
