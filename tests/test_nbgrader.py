"""solutions/ are nbgrader source notebooks: `nbgrader generate_assignment` releases one chapter
and `nbgrader autograde` gives a solved notebook full marks, a blank one zero and a half-done
one the points of the checks it passes; a notebook from exercises/ (our generator) is graded
the same way."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is in the dev extra")
from nbgrader.api import Gradebook  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "ch03_latent_dynamics"  # three short checks, no training: seconds per notebook
ASSIGNMENT = "ps3"


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SIMBELIEF_SCALE="smoke")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *sys.path[1:]])
    # nbgrader runs the `alembic` command installed next to this Python
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result


def _points(nb: nbformat.NotebookNode) -> dict[str, int]:
    """Points of each autograder test, by the name of the check in it."""
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            out[meta["grade_id"].removeprefix("check-")] = meta["points"]
    return out


def _fill(nb: nbformat.NotebookNode, solution: nbformat.NotebookNode, names: set[str]):
    """Copy the solution's answer cells for the functions in ``names`` into ``nb``."""
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in solution.cells
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    }
    filled = 0
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.removeprefix("answer-") in names:
            cell.source = answers[grade_id]
            filled += 1
    assert filled == len(names)
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, tuple[float, float]]:
    """Release the chapter, submit four notebooks, autograde: {student: (score, max score)}."""
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'simbelief'\n"
        "c.ExecutePreprocessor.timeout = 300\n"
    )
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / f"{CHAPTER}.ipynb", source)
    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    released = course / "release" / ASSIGNMENT / f"{CHAPTER}.ipynb"
    release = nbformat.read(released, as_version=4)
    solution = nbformat.read(ROOT / "solutions" / f"{CHAPTER}.ipynb", as_version=4)
    assert "### BEGIN SOLUTION" not in "\n".join(c.source for c in release.cells)
    exercise = nbformat.read(ROOT / "exercises" / f"{CHAPTER}.ipynb", as_version=4)
    submissions = {
        "solved": solution,
        "blank": release,
        "half": _fill(nbformat.from_dict(release), solution, {"my_sigma", "my_transition_nll"}),
        "exercise-half": _fill(exercise, solution, {"my_inverse_dynamics_loss"}),
    }
    for student, nb in submissions.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{CHAPTER}.ipynb")
    _nbgrader(course, "autograde", ASSIGNMENT, "--create", "--force")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {
            student: (sub.code_score, sub.max_code_score)
            for student in submissions
            for sub in [gb.find_submission(ASSIGNMENT, student)]
        }


def test_source_notebook_has_points():
    points = _points(nbformat.read(ROOT / "solutions" / f"{CHAPTER}.ipynb", as_version=4))
    assert points == {"my_sigma": 1, "my_transition_nll": 2, "my_inverse_dynamics_loss": 1}


def test_solved_notebook_scores_full_marks(graded):
    score, max_score = graded["solved"]
    assert max_score == 4 and score == max_score


def test_blank_notebook_scores_zero(graded):
    assert graded["blank"] == (0, 4)


def test_half_done_notebook_scores_in_between(graded):
    assert graded["half"] == (1 + 2, 4)  # my_sigma and my_transition_nll


def test_generated_exercise_is_graded_too(graded):
    assert graded["exercise-half"] == (1, 4)  # my_inverse_dynamics_loss
