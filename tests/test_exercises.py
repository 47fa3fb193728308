"""The exercises pipeline: generation from solutions/, staleness check, blank-stop."""

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from simbelief_edu.exercises import blank_solutions, main

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))


def test_blank_solutions_keeps_indent_and_hint():
    source = (
        "def f(x):\n    ### BEGIN SOLUTION: square it\n    return x * x\n    ### END SOLUTION\n"
    )
    assert blank_solutions(source) == (
        'def f(x):\n    raise NotImplementedError("exercise: square it")'
    )


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "without a matching"),
        ("x = 1\n### END SOLUTION\n", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
    ],
)
def test_blank_solutions_rejects_unbalanced_markers(source, problem):
    with pytest.raises(ValueError, match=problem):
        blank_solutions(source)


def test_exercises_are_up_to_date(capsys):
    assert main(["--check", "--root", str(ROOT)]) == 0, capsys.readouterr().out


def test_check_fails_on_edited_solution_and_orphan(tmp_path, capsys):
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    solution = next((tmp_path / "solutions").glob("*.ipynb"))
    nb = nbformat.read(solution, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('new cell')"))
    nbformat.write(nb, solution)
    (tmp_path / "exercises" / "orphan.ipynb").write_text("{}")
    assert main(["--check", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"stale: {tmp_path / 'exercises' / solution.name}" in out
    assert "orphan:" in out
    assert main(["--root", str(tmp_path)]) == 0  # regenerating fixes both
    assert main(["--check", "--root", str(tmp_path)]) == 0


def test_generated_exercises_have_no_solutions_and_no_outputs():
    for path in EXERCISES:
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(cell.source for cell in nb.cells)
        assert "### BEGIN SOLUTION" not in text, path
        assert 'raise NotImplementedError("exercise:' in text, f"{path} has no blank"
        assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")


@pytest.mark.parametrize("path", EXERCISES, ids=[p.name for p in EXERCISES])
def test_exercise_stops_at_its_first_blank(path):
    """Run the student notebook: the first error must be the first blank's NotImplementedError."""
    nb = nbformat.read(path, as_version=4)
    first_blank = re.search(r'NotImplementedError\("(exercise: [^"]*)"\)', _all_code(nb))[1]
    client = NotebookClient(nb, timeout=120, kernel_name="python3")
    client.resources = {"metadata": {"path": str(ROOT)}}
    with pytest.raises(CellExecutionError) as info:
        client.execute()
    assert info.value.ename == "NotImplementedError", info.value
    assert info.value.evalue == first_blank
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert len(errors) == 1


def _all_code(nb: nbformat.NotebookNode) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")
