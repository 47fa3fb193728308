"""The summary of shipped runs: mean ± std over seeds per agent, from the run folders."""

import json

from simbelief_edu.report import load_runs, summary_table


def _fake_run(root, agent, seed, success_ep2):
    folder = root / "point-robot-sparse" / f"{agent}-seed{seed}"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"agent": agent, "seed": seed}))
    (folder / "metrics.csv").write_text("iteration,wall_time\n10,60.0\n20,120.0\n")
    metrics = {"return": [0.5, 2.0], "success": [0.1, success_ep2], "success_any": success_ep2}
    (folder / "eval.json").write_text(json.dumps({"test": metrics, "ood": metrics}))
    (folder / "commands.txt").write_text(f"simbelief-edu train --seed {seed}\n")


def test_summary_table_aggregates_over_seeds(tmp_path):
    for seed, s in enumerate([0.6, 0.8]):
        _fake_run(tmp_path, "simbelief", seed, s)
    _fake_run(tmp_path, "varibad", 0, 0.3)
    runs = load_runs("point-robot-sparse", tmp_path)
    assert sorted(runs) == ["simbelief", "varibad"] and len(runs["simbelief"]) == 2
    table = summary_table("point-robot-sparse", tmp_path)
    row = next(line for line in table.splitlines() if line.startswith("| simbelief"))
    assert "| 0, 1 |" in row and "| 2.00 ± 0.00 |" in row  # seeds; 120 s = 2 min
    assert "0.70 ± 0.10" in row  # test success ep2: mean and std of 0.6, 0.8
