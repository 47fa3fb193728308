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


def test_plot_curves_draws_one_line_per_seed_and_a_mean(tmp_path):
    for seed in range(2):
        _fake_run(tmp_path, "simbelief", seed, 0.5)
    for r in (tmp_path / "point-robot-sparse").iterdir():
        (r / "metrics.csv").write_text(
            "iteration,wall_time,test_success_ep2\n10,60,0.2\n20,120,0.4\n"
        )
    from simbelief_edu.report import plot_curves

    fig = plot_curves("point-robot-sparse", tmp_path)
    lines = fig.axes[0].lines
    assert len(lines) == 3 and list(lines[-1].get_ydata()) == [0.2, 0.4]
