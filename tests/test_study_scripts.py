"""The study scripts of ``simbelief_edu/results`` resume killed runs and skip finished ones, a
finished run being one whose ``eval.json`` was copied to the results. So a training step that
fails (a run killed at a session's end) must stop its job before ``eval``: otherwise the
half-trained run is evaluated, copied, and skipped as finished ever after. Each script's shell
functions run here with a fake ``simbelief-edu`` whose ``train`` fails."""

import os
import re
import subprocess
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[1] / "simbelief_edu" / "results"
SCRIPTS = {  # script: the arguments of one job
    "point-robot-sparse/run_all.sh": "simbelief 1",
    "cheap/point-robot-sparse/run_all.sh": "simbelief 1",
    "run_sparse_study.sh": "cheetah-vel-sparse simbelief 1",
    "cpu-scale/run_all.sh": "cheetah-vel-sparse simbelief 1",
    "ch10/run_all.sh": "plain/simbelief 1",
}


def functions(script: Path) -> str:
    """The script's shell functions (``name() {`` to the closing ``}``), without its main part."""
    return "\n".join(re.findall(r"^\w+\(\) \{.*?^\}$", script.read_text(), re.M | re.S))


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_a_failed_training_step_stops_the_job_before_eval(script, tmp_path):
    fake = tmp_path / "bin" / "simbelief-edu"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$1" >> {tmp_path}/calls\n[ "$1" != train ]\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "OUT": "runs"}
    env |= {"DEST": "dest", "BUDGET": "", "SCALE": "full", "BETA": "0.1"}
    body = functions(RESULTS / script)
    assert "job()" in body
    done = subprocess.run(
        ["bash", "-c", f"{body}\njob {SCRIPTS[script]}"], cwd=tmp_path, env=env, check=False
    )
    assert done.returncode != 0  # the job reports the failure
    assert (tmp_path / "calls").read_text().split() == ["train"]  # no eval, no export
    assert not list(tmp_path.rglob("eval.json"))
