"""The exercises pipeline: generation from solutions/, skeletons, staleness check, blank-stop,
and the closing "Check your work" cell."""

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from simbelief_edu.exercises import (
    CHECK_TITLE,
    blank_solutions,
    check_names,
    check_your_work_cells,
    main,
)

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
HINT = re.compile(r'NotImplementedError\("exercise: ([^"]*)"\)')
# MyST equation labels, as tests/test_labels.py reads them
LABEL = re.compile(r"^\$\$\s*\(([\w-]+)\)\s*$|^\(([\w-]+)\)=\s*$", re.MULTILINE)


def test_blank_solutions_keeps_indent_and_hint():
    source = (
        "def f(x):\n    ### BEGIN SOLUTION: square it\n    return x * x\n    ### END SOLUTION\n"
    )
    assert blank_solutions(source) == (
        'def f(x):\n    raise NotImplementedError("exercise: square it")'
    )


def test_blank_solutions_leaves_the_skeleton_after_the_raise():
    source = (
        "def f(x, y):\n"
        "    ### BEGIN SOLUTION: eq. (sq)\n"
        "    s = x + y\n"
        "    return s * s\n"
        "    ### SKELETON\n"
        "    # s = ...  # the sum\n"
        "    #\n"
        "    # return ...\n"
        "    ### END SOLUTION\n"
        "print(f)"
    )
    assert blank_solutions(source) == (
        "def f(x, y):\n"
        "    # Exercise: replace each ... below, then delete this raise.\n"
        '    raise NotImplementedError("exercise: eq. (sq)")\n'
        "    s = ...  # the sum\n"
        "\n"
        "    return ...\n"
        "print(f)"
    )


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "without a matching"),
        ("x = 1\n### END SOLUTION\n", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
        ("### SKELETON\n", "outside a solution region"),
        ("### BEGIN SOLUTION\nx = 1\n### SKELETON\nx = ...\n### END SOLUTION\n", "start with"),
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
    (tmp_path / "book").mkdir()
    shutil.copy(ROOT / "book" / "_config.yml", tmp_path / "book")  # the repository's URL
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


def test_every_blank_names_an_equation_that_exists():
    """Each hint cites "eq. (label)", defined in the notebook itself or in the book."""
    book = [nbformat.read(p, as_version=4) for p in (ROOT / "book").glob("*.ipynb")]
    book_labels = {a or b for nb in book for c in nb.cells for a, b in LABEL.findall(c.source)}
    for path in EXERCISES:
        nb = nbformat.read(path, as_version=4)
        labels = book_labels | {
            a or b
            for c in nb.cells
            if c.cell_type == "markdown"
            for a, b in LABEL.findall(c.source)
        }
        hints = HINT.findall(_all_code(nb))
        assert hints, path
        for hint in hints:
            cited = re.findall(r"eq\. \(([\w-]+)\)", hint)
            assert cited, f"{path.name}: the hint {hint!r} names no equation"
            assert set(cited) <= labels, f"{path.name}: {hint!r} cites an undefined label"


def test_structured_exercises_keep_their_skeleton():
    """Functions with several steps show them, with ... for the missing pieces."""
    with_skeleton = 0
    for path in EXERCISES:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and "delete this raise" in cell.source:
                after = cell.source.split('raise NotImplementedError("exercise:', 1)[1]
                assert "..." in after, f"{path.name}: a skeleton without ... to fill in"
                with_skeleton += 1
    assert with_skeleton >= 10


def test_every_exercise_ends_with_check_your_work():
    for path in EXERCISES:
        nb = nbformat.read(path, as_version=4)
        solution = nbformat.read(ROOT / "solutions" / path.name, as_version=4)
        names = check_names(solution)
        assert names, f"{path.name}: no auto-check"
        assert nb.cells[-2].source.startswith(CHECK_TITLE)
        assert nb.cells[-1].source == check_your_work_cells(names)[1].source


def _execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True)
    client.resources = {"metadata": {"path": str(ROOT)}}
    return client.execute()


def _last_output(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in nb.cells[-1].outputs)


def test_check_your_work_lists_blank_and_solved_checks():
    """Run past the errors: the blank notebook passes no check, the solved one every check."""
    name = "ch03_latent_dynamics.ipynb"
    blank = _execute(nbformat.read(ROOT / "exercises" / name, as_version=4))
    out = _last_output(blank)
    assert out.startswith("0 of 3 checks pass"), out
    assert "✗ my_sigma: not written yet (it still raises NotImplementedError)" in out
    solved = nbformat.read(ROOT / "solutions" / name, as_version=4)
    solved.cells += check_your_work_cells(check_names(solved))
    # one function made wrong after its check ran: the closing cell reruns it and sees it
    solved.cells.insert(-2, nbformat.v4.new_code_cell("def my_sigma(u):\n    return u"))
    out = _last_output(_execute(solved))
    assert out.startswith("2 of 3 checks pass"), out
    assert "✓ my_transition_nll" in out and "✗ my_sigma: ✗ my_sigma is not right yet" in out


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
