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


# -- chapters 6-9: one assignment each, released and graded in one course ------------------------

LATER = {  # chapter: (assignment, points of each auto-check, in notebook order)
    "ch06_agent": ("ps6", {"my_anchor_loss": 2, "my_combine_beliefs": 2}),
    "ch07_mujoco": ("ps7", {"my_hold": 2, "my_episode_scores": 1}),
    "ch08_panda": ("ps8", {"my_sparse_reward": 1, "my_hidden_goal_step": 2}),
    "ch09_generalisation": ("ps9", {"my_iqm": 1, "my_stratified_bootstrap_ci": 3}),
}


@pytest.fixture(scope="module")
def graded_later(tmp_path_factory) -> dict[tuple[str, str], tuple[float, float]]:
    """Per chapter 6-9: release it, then autograde the solution, the blank release and a
    notebook from exercises/ with only its first function written:
    {(chapter, student): (score, max score)}."""
    course = tmp_path_factory.mktemp("course-later")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'simbelief'\n"
        "c.ExecutePreprocessor.timeout = 300\n"
    )
    for chapter, (assignment, _) in LATER.items():
        (course / "source" / assignment).mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / f"{chapter}.ipynb", course / "source" / assignment)
        _nbgrader(course, "generate_assignment", assignment, "--force")
    for chapter, (assignment, points) in LATER.items():
        release = nbformat.read(course / "release" / assignment / f"{chapter}.ipynb", as_version=4)
        assert "### BEGIN SOLUTION" not in "\n".join(c.source for c in release.cells)
        solution = nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)
        exercise = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
        submissions = {
            "solved": solution,
            "blank": release,
            "exercise-first": _fill(exercise, solution, {next(iter(points))}),
        }
        for student, nb in submissions.items():
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{chapter}.ipynb")
        _nbgrader(course, "autograde", assignment, "--create", "--force")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {
            (chapter, student): (sub.code_score, sub.max_code_score)
            for chapter, (assignment, _) in LATER.items()
            for student in ("solved", "blank", "exercise-first")
            for sub in [gb.find_submission(assignment, student)]
        }


@pytest.mark.parametrize("chapter", list(LATER))
def test_later_source_notebook_has_points(chapter):
    points = _points(nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4))
    assert points == LATER[chapter][1]


@pytest.mark.parametrize("chapter", list(LATER))
def test_later_chapter_round_trip(graded_later, chapter):
    """Solution: full marks; blank release: 0; the generated exercise with its first function
    written: that function's points."""
    points = LATER[chapter][1]
    total = sum(points.values())
    assert graded_later[(chapter, "solved")] == (total, total)
    assert graded_later[(chapter, "blank")] == (0, total)
    assert graded_later[(chapter, "exercise-first")] == (next(iter(points.values())), total)
