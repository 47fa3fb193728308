"""Sweeps: a smoke grid on the local pool and on Ray, resumed after a kill, finished runs
skipped, the shipped grids, and one-line errors for bad input."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simbelief_edu import sweep
from simbelief_edu.cli import _override
from simbelief_edu.cli import main as cli
from simbelief_edu.sweep import load_grid, trials

ROOT = Path(__file__).resolve().parents[1]
AGENTS = ("simbelief", "varibad")
# two runs of a few seconds each; a checkpoint every iteration, so a kill lands between two
SMOKE = ["--env", "point-robot-sparse", "--agent", *AGENTS, "--seeds", "1", "--scale", "smoke",
         "--set", "num_iters=4", "--set", "checkpoint_every=1"]  # fmt: skip


def _folder(out: Path, agent: str) -> Path:
    return out / "point-robot-sparse" / f"{agent}-seed1"


def _results(out: Path, agent: str) -> tuple[list[dict], dict]:
    """A run's metrics (without wall time) and its final meta-test, to compare two sweeps."""
    with open(_folder(out, agent) / "metrics.csv") as f:
        rows = [{k: v for k, v in row.items() if k != "wall_time"} for row in csv.DictReader(f)]
    ev = json.loads((_folder(out, agent) / "eval.json").read_text())
    return rows, {k: ev[k] for k in ("iteration", "config", "test", "ood")}


@pytest.fixture
def no_report(monkeypatch):
    """Skip the summary and figures (seconds of bootstrap and matplotlib) where not checked."""
    monkeypatch.setattr(sweep, "report", lambda grid: None)


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """The smoke grid swept on the local pool, uninterrupted: the reference for the others."""
    out = tmp_path_factory.mktemp("local")
    assert cli(["sweep", *SMOKE, "--out", str(out), "--jobs", "2"]) == 0
    return out


def test_local_sweep_trains_evaluates_and_reports_every_run(finished):
    for agent in AGENTS:
        rows, ev = _results(finished, agent)
        assert [r["iteration"] for r in rows] == ["2", "4"] and ev["iteration"] == 4
        assert ev["config"]["agent"] == agent and ev["config"]["num_iters"] == 4
        assert len(ev["test"]["per_task_success"]) == 4  # the smoke preset's 4 test tasks
        command = (_folder(finished, agent) / "commands.txt").read_text()
        assert f"train --env point-robot-sparse --agent {agent} --scale smoke --seed 1" in command
        assert "--set=num_iters=4" in command
        assert "wrote" in (_folder(finished, agent) / "sweep.log").read_text()
    summary = (finished / "point-robot-sparse" / "summary.md").read_text()
    assert "| simbelief | 1 |" in summary and "| varibad | 1 |" in summary
    for figure in ("curves.png", "episodes.png"):
        assert (finished / "point-robot-sparse" / figure).stat().st_size > 1000


def test_finished_runs_are_skipped_not_retrained(finished, capsys, no_report):
    files = ("checkpoint.pt", "eval.json", "metrics.csv", "commands.txt")
    before = {(a, n): (_folder(finished, a) / n).stat().st_mtime_ns for a in AGENTS for n in files}
    assert cli(["sweep", *SMOKE, "--out", str(finished)]) == 0
    assert "2 finished runs skipped, 0 to run" in capsys.readouterr().out
    after = {(a, n): (_folder(finished, a) / n).stat().st_mtime_ns for a in AGENTS for n in files}
    assert after == before


def test_finished_runs_with_other_settings_are_an_error(finished, capsys):
    assert cli(["sweep", *SMOKE, "--set", "num_iters=5", "--out", str(finished)]) == 2
    err = capsys.readouterr().err
    assert "holds a run with other settings: num_iters=4 (sweep: 5)" in err


def test_killed_sweep_restarted_ends_like_an_uninterrupted_one(
    finished, tmp_path, capsys, no_report
):
    cmd = [sys.executable, "-m", "simbelief_edu.cli", "sweep", *SMOKE, "--out", str(tmp_path),
           "--jobs", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL)
    second = _folder(tmp_path, "varibad")  # trials run in grid order: simbelief, then varibad
    deadline = time.monotonic() + 120
    while not (second / "checkpoint.pt").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the second run never started"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its training process, mid-run
    proc.wait()
    assert (_folder(tmp_path, "simbelief") / "eval.json").exists()
    assert not (second / "eval.json").exists()

    assert cli(["sweep", *SMOKE, "--out", str(tmp_path), "--jobs", "2"]) == 0
    assert "1 finished runs skipped, 1 to run" in capsys.readouterr().out
    assert "train --resume" in (second / "commands.txt").read_text()
    for agent in AGENTS:
        assert _results(tmp_path, agent) == _results(finished, agent)


def test_ray_sweep_gives_the_same_runs(finished, tmp_path, no_report):
    ray = pytest.importorskip("ray", reason='ray not installed: pip install "simbelief-edu[sweep]"')
    for attempt in range(3):  # Ray's raylet gives its agents 15 s to start: few on a busy machine
        try:
            ray.init(address="local", num_cpus=2, include_dashboard=False)
            break
        except Exception as err:
            ray.shutdown()
            if attempt == 2 or "timed out during startup" not in str(err):
                raise
    try:
        assert cli(["sweep", *SMOKE, "--out", str(tmp_path), "--backend", "ray"]) == 0
    finally:
        ray.shutdown()
    for agent in AGENTS:
        assert _results(tmp_path, agent) == _results(finished, agent)


def test_missing_ray_names_the_pip_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    assert cli(["sweep", *SMOKE, "--out", str(tmp_path), "--backend", "ray"]) == 2
    assert 'pip install "simbelief-edu[sweep]"' in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing ran


@pytest.mark.parametrize(
    "toml, flags, message",
    [
        ('seed = 1\nenvs = ["point-robot-sparse"]', [], "unknown key(s) seed"),
        ("[set]\nnum_iter = 3", [], "unknown config field(s): num_iter"),
        ('envs = ["point-robot"]', [], "unknown env 'point-robot'"),
        ('agents = ["pearl"]', [], "unknown agent 'pearl'"),
        ("seeds = [-1]", [], "seeds must be a list of distinct non-negative ints"),
        ("seeds = [1, 1]", [], "seeds must be a list of distinct non-negative ints"),
        ('agents = "varibad"', [], "agents must be a list without repeats, got 'varibad'"),
        ("[set]\nseed = 3", [], "seed cannot be set per run"),
        ('[set]\nnum_iters = "many"', [], "num_iters must be an int, got 'many'"),
        (None, ["--env", "cheetah-vel"], "unknown env 'cheetah-vel'"),
        (None, ["--set", "num_iter=3"], "unknown config field 'num_iter'"),
    ],
)
def test_bad_grids_give_one_line_errors(tmp_path, capsys, toml, flags, message):
    argv = ["sweep", "--out", str(tmp_path / "runs"), *flags]
    if toml is not None:
        (tmp_path / "grid.toml").write_text(toml)
        argv.insert(1, str(tmp_path / "grid.toml"))
    try:
        code = cli(argv)
    except SystemExit as exit:  # argparse rejects a bad --set itself
        code = exit.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_toml_falls_back_to_tomli_and_else_names_its_pip_command(tmp_path, monkeypatch):
    import tomllib

    (tmp_path / "grid.toml").write_text("seeds = [2]")
    monkeypatch.setitem(sys.modules, "tomllib", None)  # as on Python 3.10
    monkeypatch.setitem(sys.modules, "tomli", tomllib)  # the backport has the same API
    assert load_grid(tmp_path / "grid.toml").seeds == [2]
    monkeypatch.setitem(sys.modules, "tomli", None)
    with pytest.raises(ImportError, match="pip install tomli"):
        load_grid(tmp_path / "grid.toml")


def test_missing_grid_file_is_named(tmp_path, capsys):
    assert cli(["sweep", str(tmp_path / "nope.toml")]) == 2
    assert "no sweep file at" in capsys.readouterr().err


def test_paper_grid_is_five_envs_two_agents_five_seeds_at_full_scale():
    grid = load_grid(ROOT / "sweeps" / "paper.toml")
    assert grid.scale == "full" and grid.overrides == {} and grid.seeds == [1, 2, 3, 4, 5]
    envs = ["cheetah-vel-sparse", "ant-semicircle-sparse", "panda-reach-sparse",
            "panda-push-sparse", "point-robot-sparse"]  # fmt: skip
    assert sorted(grid.envs) == sorted(envs)
    assert len(trials(grid)) == 50


def test_paper_slice_is_one_env_of_the_paper_grid_at_its_settings():
    paper, piece = (load_grid(ROOT / "sweeps" / f) for f in ("paper.toml", "paper_slice.toml"))
    assert piece.overrides == {} and piece.scale == paper.scale == "full"
    assert len(piece.envs) == 1 and piece.envs[0] in paper.envs
    assert piece.agents == paper.agents and piece.seeds == paper.seeds
    assert len(trials(piece)) == 10


def test_sparse_study_grid_matches_its_script():
    script = (ROOT / "simbelief_edu" / "results" / "run_sparse_study.sh").read_text()
    budget = re.search(r'BUDGET="([^"]*)"', script).group(1)
    overrides = dict(_override(s) for s in re.findall(r"--set (\S+)", budget))
    grid = load_grid(ROOT / "sweeps" / "sparse_study.toml")
    assert grid.overrides == overrides and grid.scale == "full" and grid.out == "runs"
    loops = dict(re.findall(r"for (\w+) in ([^;]+);", script))
    assert grid.seeds == [int(s) for s in loops["seed"].split()]
    assert grid.envs == loops["env"].split() and grid.agents == loops["agent"].split()
    assert len(trials(grid)) == 12
