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


def table_rows(text: str, first: str) -> list[list[str]]:
    """The cells of the markdown table rows of ``text`` whose first cell is ``first``."""
    rows = [[c.strip(" *") for c in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("|")]  # fmt: skip
    return [r for r in rows if r[0] == first]


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(title)
    return text[start : text.index("\n## ", start + 1)]


def test_readme_speed_memory_and_cost_numbers_are_the_benchmarks():
    """README §Speed, §GPU and §What a run costs print what ``benchmarks/results/`` measured:
    s / iteration and floor (speed.md), CPU-hours of a ``full`` run (s / iteration × the
    preset's iterations), the K-seed CPU row (seeds_cpu.md) and peak memory (memory.md)."""
    from simbelief_edu.configs import make_config

    results = ROOT / "benchmarks" / "results"
    speed = (results / "speed.md").read_text()
    readme = (ROOT / "README.md").read_text()
    flat = " ".join(readme.split())
    hours = {}
    for env in ("point-robot-sparse", "cheetah-vel-sparse"):
        measured = {r[1]: r for r in table_rows(speed, env)}
        shown = {r[1]: r for r in table_rows(readme_section("### Speed"), env)}
        assert measured.keys() == shown.keys() == {"simbelief", "varibad"}
        iters = make_config(env).num_iters
        for agent, row in measured.items():
            seconds, floor = float(row[2]), float(row[3])
            hours[env, agent] = seconds * iters / 3600
            assert shown[agent][2] == f"{seconds:.0f}" and shown[agent][3] == f"{floor:.0f}"
            assert shown[agent][4].split(" (")[0] == f"{hours[env, agent]:.0f}"
    cost = flat[flat.index("### What a run costs") :]
    assert ("from the measured s / iteration above: {:.0f} CPU-hours (Point-Robot SimBelief), "
            "{:.0f} (VariBAD), {:.0f} (Cheetah-Vel SimBelief), {:.0f} (VariBAD)").format(
        *hours.values()) in cost  # fmt: skip
    assert round(hours["point-robot-sparse", "simbelief"] / 24) == 5
    assert "about five days for Point-Robot SimBelief" in cost

    per_seed = {r[1]: r[5] for r in table_rows((results / "seeds_cpu.md").read_text(),
                                              "point-robot-sparse")}  # fmt: skip
    gpu = readme_section("## GPU, and many seeds")
    single = f"{float(per_seed['1, single-seed `Run`']):.0f}"
    assert table_rows(gpu, "CPU, single-seed run")[0][2].startswith(single + " ")
    batched = " / ".join(f"{float(per_seed[k]):.0f}" for k in ("1", "2", "5", "10"))
    assert table_rows(gpu, "CPU, batched")[0][1:] == ["1 / 2 / 5 / 10", batched]

    memory = {r[0]: float(r[2]) for r in
              (row for env in ("point-robot-sparse", "cheetah-vel-sparse", "panda-reach-sparse")
               for row in table_rows((results / "memory.md").read_text(), env))}  # fmt: skip
    assert ("Peak memory of a `full` run: {:.1f} (Point-Robot), {:.1f} (Cheetah-Vel), {:.1f} GiB"
            .format(*memory.values())) in flat  # fmt: skip
    assert f"about {min(memory.values()):.1f} to {max(memory.values()):.1f} GiB" in flat
