"""The GPU benchmark script runs without a GPU: ``DEVICE=cpu benchmarks/gpu.sh`` at smoke scale
writes its tables (the K table and the losses beside the CPU's)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_script_runs_on_cpu_at_smoke_scale(tmp_path):
    out = tmp_path / "gpu.md"
    env = {**os.environ, "DEVICE": "cpu", "PYTHON": sys.executable, "OUT": str(out),
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    args = ["--scale", "smoke", "--ks", "1,2", "--updates", "2", "--tmp", str(tmp_path / "runs")]
    subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh"), *args], env=env, check=True,
                   cwd=tmp_path, capture_output=True)  # fmt: skip
    text = out.read_text()
    k_rows = [line for line in text.splitlines() if line.startswith("| point-robot-sparse | ")]
    assert len([r for r in k_rows if r.count("|") == 9]) == 3  # K = 1, 2 and the plain Run
    assert any(line.startswith("| cheetah-vel-sparse | 2 |") for line in text.splitlines())
    losses = [line for line in text.splitlines() if line.count("|") == 7 and "-sparse |" in line]
    assert len(losses) == 2 * 4  # 2 envs × 2 seeds × 2 iterations
    for line in losses:  # on the same device the two runs agree exactly
        assert line.split("|")[-2].strip() == "0.0e+00"
