"""The summary of shipped runs: IQM with stratified bootstrap intervals, probability of
improvement, per variant, from the run folders."""

import json

import numpy as np
import pytest

from simbelief_edu.report import (
    iqm,
    load_runs,
    poi_ci,
    probability_of_improvement,
    scores,
    stratified_bootstrap_ci,
    summary_table,
)


def _fake_run(root, variant, seed, per_task_ep2, agent="simbelief", tasks=None):
    folder = root / "point-robot-sparse" / f"{variant}-seed{seed}"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"agent": agent, "seed": seed}))
    (folder / "metrics.csv").write_text(
        "iteration,wall_time,test_success_ep2\n10,60.0,0.2\n20,120.0,0.4\n"
    )
    per_task = [[0.0, s] for s in per_task_ep2]
    tasks = [[float(i), 0.0] for i in range(len(per_task))] if tasks is None else tasks
    split = {"per_task_success": per_task, "per_task_return": per_task, "tasks": tasks}
    (folder / "eval.json").write_text(json.dumps({"test": split, "ood": split}))
    (folder / "commands.txt").write_text(f"simbelief-edu train --seed {seed}\n")


def test_iqm_is_the_mean_of_the_middle_half():
    assert iqm(np.arange(1, 9)) == pytest.approx(4.5)  # mean of 3, 4, 5, 6
    assert iqm(np.array([0, 0, 0, 0, 1, 1, 1, 100.0])) == pytest.approx(0.5)  # outlier ignored


def test_stratified_bootstrap_interval_brackets_the_estimate_and_shrinks_with_agreement():
    rng = np.random.default_rng(0)
    spread = rng.uniform(size=(5, 20))
    point, lo, hi = stratified_bootstrap_ci(spread)
    assert lo <= point <= hi and hi - lo > 0.05
    assert stratified_bootstrap_ci(np.full((5, 20), 0.3)) == pytest.approx((0.3, 0.3, 0.3))


def test_probability_of_improvement():
    x, y = np.ones((5, 4)), np.zeros((5, 4))
    assert probability_of_improvement(x, y) == 1.0 and probability_of_improvement(y, x) == 0.0
    assert probability_of_improvement(x, x) == 0.5  # ties count one half
    rng = np.random.default_rng(1)
    a, b = rng.uniform(size=(5, 6)), rng.uniform(size=(4, 6))
    assert probability_of_improvement(a, b) + probability_of_improvement(b, a) == pytest.approx(1)
    point, lo, hi = poi_ci(a, b, reps=200)
    assert lo <= point <= hi


def test_summary_table_groups_by_variant_and_aggregates_over_runs_and_tasks(tmp_path):
    for seed, s in enumerate([0.6, 0.8, 0.7]):
        _fake_run(tmp_path, "simbelief", seed, [s, s, s, s])
    for seed, s in enumerate([0.3, 0.5]):
        _fake_run(tmp_path, "no-metric", seed, [s, s, s, s])
    _fake_run(tmp_path, "varibad", 0, [0.1, 0.1, 0.1, 0.1], agent="varibad")
    runs = load_runs("point-robot-sparse", tmp_path)
    assert sorted(runs) == ["no-metric", "simbelief", "varibad"] and len(runs["simbelief"]) == 3
    table = summary_table("point-robot-sparse", tmp_path)
    row = next(line for line in table.splitlines() if line.startswith("| simbelief"))
    assert "| 0, 1, 2 | 2.0 |" in row  # seeds; 120 s = 2 min
    assert "0.70 [0.63, 0.77]" in row  # test success ep2: IQM of 0.6, 0.7, 0.8 (×4 tasks)
    assert "| 0.00 [0.00, 0.00] |" in row  # ep1 is 0 everywhere
    row = next(line for line in table.splitlines() if line.startswith("| no-metric"))
    assert "| 0, 1 | 2.0 | 0.00 | 0.40 |" in row  # two runs: no interval either
    row = next(line for line in table.splitlines() if line.startswith("| varibad"))
    assert "| 0 | 2.0 | 0.00 | 0.10 |" in row  # one run: no interval to show


def test_unfinished_runs_and_logs_are_left_out_and_main_takes_another_root(tmp_path, capsys):
    from simbelief_edu.report import main

    _fake_run(tmp_path, "simbelief", 0, [0.5])
    _fake_run(tmp_path, "simbelief", 1, [0.5])
    (tmp_path / "point-robot-sparse" / "simbelief-seed1" / "eval.json").unlink()  # killed
    (tmp_path / "point-robot-sparse" / "varibad-seed0.log").write_text("training...")
    assert [r["folder"] for r in load_runs("point-robot-sparse", tmp_path)["simbelief"]] == [
        "simbelief-seed0"
    ]
    assert main(["point-robot-sparse", "--root", str(tmp_path)]) == 0
    assert "| simbelief | 0 |" in (tmp_path / "point-robot-sparse" / "summary.md").read_text()
    assert (tmp_path / "point-robot-sparse" / "curves.png").exists()
    assert main(["cheetah-vel-sparse", "--root", str(tmp_path)]) == 2
    assert "no finished runs of 'cheetah-vel-sparse'" in capsys.readouterr().err


def test_plot_curves_draws_one_line_per_seed_and_a_mean(tmp_path):
    for seed in range(2):
        _fake_run(tmp_path, "simbelief", seed, [0.5])
    from simbelief_edu.report import plot_curves

    fig = plot_curves("point-robot-sparse", tmp_path)
    lines = fig.axes[0].lines
    assert len(lines) == 3 and list(lines[-1].get_ydata()) == [0.2, 0.4]


def test_plot_episodes_draws_one_bar_per_variant_and_episode(tmp_path):
    _fake_run(tmp_path, "simbelief", 0, [0.5, 0.5])
    _fake_run(tmp_path, "varibad", 0, [0.25, 0.25], agent="varibad")
    from simbelief_edu.report import plot_episodes

    fig = plot_episodes("point-robot-sparse", "success", root=tmp_path)
    heights = sorted(round(p.get_height(), 2) for p in fig.axes[0].patches)
    assert heights == [0.0, 0.0, 0.25, 0.5]  # episode 1 is 0 in the fake runs
    assert not fig.axes[0].lines  # one run of each: no interval bars
    for seed in (1, 2):  # SimBelief at three seeds: a bar per episode; VariBAD at one: none
        _fake_run(tmp_path, "simbelief", seed, [0.5, 0.5])
    fig = plot_episodes("point-robot-sparse", "success", root=tmp_path)
    assert len(fig.axes[0].lines) == 2


def test_curve_at_takes_each_runs_value_at_that_iteration(tmp_path):
    from simbelief_edu.report import curve_at

    for seed in range(3):
        _fake_run(tmp_path, "simbelief", seed, [0.5])
    runs = load_runs("point-robot-sparse", tmp_path)["simbelief"]
    n, mean, lo, hi = curve_at(runs, 20, "test_success_ep2")
    assert n == 3 and mean == pytest.approx(0.4) and lo <= mean <= hi
    assert curve_at(runs, 10, "test_success_ep2")[1] == pytest.approx(0.2)
    assert curve_at(runs, 15, "test_success_ep2")[0] == 0  # not evaluated there


def test_authors_runs_read_like_ours_and_are_drawn_only_when_asked(tmp_path):
    """Runs of the authors' code (``authors/<env>/seed<N>/curve.csv``) come back in seed order
    with integer iterations, ``curve_at`` reads them as it reads ours, and ``plot_curves``
    draws them (a thin line per seed and the mean) only with ``authors=True``."""
    from simbelief_edu.report import authors_runs, curve_at, plot_curves

    _fake_run(tmp_path, "simbelief", 0, [0.5])
    assert authors_runs("point-robot-sparse", tmp_path) == []
    assert len(plot_curves("point-robot-sparse", tmp_path, authors=True).axes[0].lines) == 2
    for seed, values in ((10, "0.35\n4,0.65"), (2, "0.25\n4,0.45")):
        folder = tmp_path / "authors" / "point-robot-sparse" / f"seed{seed}"
        folder.mkdir(parents=True)
        (folder / "curve.csv").write_text(f"iteration,test_success_ep2\n2,{values}\n")
    theirs = authors_runs("point-robot-sparse", tmp_path)
    assert [r["seed"] for r in theirs] == [2, 10]
    assert theirs[0]["curve"] == [
        {"iteration": 2, "test_success_ep2": 0.25},
        {"iteration": 4, "test_success_ep2": 0.45},
    ]
    n, mean, lo, hi = curve_at(theirs, 4, "test_success_ep2")
    assert n == 2 and mean == pytest.approx(0.55) and lo <= mean <= hi
    lines = plot_curves("point-robot-sparse", tmp_path, authors=True).axes[0].lines
    assert len(lines) == 2 + 3  # ours: a seed and the mean; theirs: two seeds and the mean
    assert list(lines[-1].get_ydata()) == pytest.approx([0.30, 0.55])
    assert len(plot_curves("point-robot-sparse", tmp_path).axes[0].lines) == 2
    assert not plot_curves("point-robot-sparse", tmp_path, authors=True).axes[0].collections
    for seed in (1, 2):  # ours: 3 seeds, a band; theirs: 2, none
        _fake_run(tmp_path, "simbelief", seed, [0.5])
    bands = plot_curves("point-robot-sparse", tmp_path, authors=True).axes[0].collections
    assert len(bands) == 1


def test_plot_improvement_compares_only_the_variants_asked_for(tmp_path):
    from simbelief_edu.report import plot_improvement

    for variant in ("simbelief", "varibad", "no-anchor"):
        _fake_run(tmp_path, variant, 0, [0.5, 0.25])
    _, every = plot_improvement("point-robot-sparse", "simbelief", tmp_path)
    _, some = plot_improvement("point-robot-sparse", "simbelief", tmp_path, variants=["varibad"])
    assert sorted(every) == ["no-anchor", "varibad"] and list(some) == ["varibad"]


def test_scores_line_up_the_same_task_across_runs_that_met_the_tasks_in_other_orders(tmp_path):
    """Each seed meets the test pool in its own order; column j must be one task for all runs,
    or the stratified bootstrap and P(X > Y) compare different tasks."""
    pool = [[0.5, 0.1], [-0.3, 0.9], [0.2, -0.4], [-0.3, 0.2]]
    score = {tuple(t): k / 10 for k, t in enumerate(pool)}  # each task its own score
    for seed, order in enumerate([[0, 1, 2, 3], [2, 0, 3, 1], [3, 2, 1, 0]]):
        tasks = [pool[i] for i in order]
        _fake_run(tmp_path, "simbelief", seed, [score[tuple(t)] for t in tasks], tasks=tasks)
    s = scores(load_runs("point-robot-sparse", tmp_path)["simbelief"], "test", "success", 1)
    assert (s == s[0]).all()  # every run's column j is the same task, so the same score
    assert sorted(s[0]) == sorted(score.values())
    # tasks sharing a first coordinate are ordered by the next: (-0.3, 0.2) before (-0.3, 0.9)
    assert list(s[0][:2]) == [0.3, 0.1]


def test_scores_without_recorded_tasks_name_the_tool_that_adds_them(tmp_path):
    _fake_run(tmp_path, "simbelief", 0, [0.5, 0.5])
    path = tmp_path / "point-robot-sparse" / "simbelief-seed0" / "eval.json"
    ev = json.loads(path.read_text())
    del ev["test"]["tasks"]
    path.write_text(json.dumps(ev))
    with pytest.raises(ValueError, match="simbelief-seed0.*tools/eval_tasks.py"):
        scores(load_runs("point-robot-sparse", tmp_path)["simbelief"])


def test_reading_says_ahead_only_when_the_interval_excludes_one_half():
    from simbelief_edu.report import reading

    assert reading("a", "b", 0.51, 0.7) == "a ahead"
    assert reading("a", "b", 0.3, 0.49) == "b ahead"
    assert reading("a", "b", 0.5, 0.6) == "no difference shown"


def test_learns_line_scores_fast_cheetah_targets_against_a_cheetah_that_stands_still():
    """Cheetah-Vel: the line counts only targets >= 1.0 m/s, in the scores' task order, and a
    standing cheetah holds none of them (the band is +-0.5), but holds a slow one."""
    from simbelief_edu.pilots import learns, learns_line, line_verdicts

    targets = [[1.5], [0.2], [1.8], [0.9], [1.0]]  # in the order the run met them
    per_task = {1.5: 0.6, 0.2: 1.0, 1.8: 0.3, 0.9: 0.7, 1.0: 0.0}
    run = {
        "folder": "varibad-seed1",
        "config": {"env": "cheetah-vel-sparse", "agent": "varibad", "seed": 1,
                   "env_kwargs": {"horizon": 20, "max_velocity": 2.0, "ood_max_velocity": 2.5}},
        "eval": {"test": {"tasks": targets,
                          "per_task_success": [[0.0, per_task[t[0]]] for t in targets]}},
    }  # fmt: skip
    score, idle, n = learns_line(run)
    assert n == 3 and score == pytest.approx((0.6 + 0.3 + 0.0) / 3) and idle == 0.0
    assert learns("cheetah-vel-sparse", score, idle)  # 0.3 >= 0.0 + 0.2
    assert not learns("cheetah-vel-sparse", 0.19, 0.0)
    at_line, text = line_verdicts({"varibad": [run]})  # the chapters' per-run printout
    assert at_line == {"varibad-seed1": True}
    assert text == "varibad-seed1    0.30 against 0.00 (3 tasks): learns"
    run["eval"]["test"]["per_task_success"][0] = [0.0, 0.0]  # 1.5 m/s no longer held: 0.1
    assert line_verdicts({"varibad": [run]})[0] == {"varibad-seed1": False}
    run["config"] = {"env": "point-robot-sparse", "agent": "varibad", "seed": 1}
    run["eval"]["test"]["tasks"] = [[0.5, 0.5]]
    with pytest.raises(ValueError, match="no 'learns' line for env 'point-robot-sparse'"):
        learns_line(run)


def test_frozen_pilot_is_the_first_at_the_line_else_the_furthest_above_doing_nothing():
    """pilots.md: the study freezes the first pilot (by name) at or above the learns line; when
    none is, the one whose score is furthest above doing nothing's; no pilots is an error."""
    from simbelief_edu.pilots import frozen_pilot, learns_line

    def pilot(success_on_fast: float) -> dict:  # a standing cheetah holds no target >= 1.0
        targets = [[1.2], [1.6], [0.3]]
        return {
            "folder": "varibad-seed1",
            "config": {"env": "cheetah-vel-sparse", "agent": "varibad", "seed": 1,
                       "env_kwargs": {"horizon": 20, "max_velocity": 2.0}},
            "eval": {"test": {"tasks": targets, "per_task_success": [
                [0.0, success_on_fast], [0.0, success_on_fast], [0.0, 1.0]]}},
        }  # fmt: skip

    lines = {name: learns_line(pilot(s)) for name, s in [("c1", 0.05), ("c2", 0.15), ("c3", 0.1)]}
    assert frozen_pilot("cheetah-vel-sparse", lines) == ("c2", False)
    lines |= {name: learns_line(pilot(s)) for name, s in [("c5", 0.5), ("c4", 0.25)]}
    assert frozen_pilot("cheetah-vel-sparse", lines) == ("c4", True)
    with pytest.raises(ValueError, match="no pilots of 'panda-reach-sparse'"):
        frozen_pilot("panda-reach-sparse", {})


def test_compare_claims_only_from_five_seeds_each_and_reads_the_interval(tmp_path):
    """``compare``: P(x > y) on ep-2 test success with its interval; "no claim" below 5 seeds
    of either agent, else the interval's reading, on runs aligned task by task."""
    from simbelief_edu.report import MIN_SEEDS, compare

    for seed in range(1, MIN_SEEDS + 1):
        _fake_run(tmp_path, "simbelief", seed, [0.9, 0.8, 0.7, 0.6])
        _fake_run(tmp_path, "varibad", seed, [0.1, 0.2, 0.3, 0.4], agent="varibad")
    runs = load_runs("point-robot-sparse", tmp_path)
    x, y = runs["simbelief"], runs["varibad"]
    assert compare(x, y, "simbelief", "varibad") == (
        "P(simbelief > varibad) = 1.00 [1.00, 1.00]: simbelief ahead"
    )
    assert compare(y, x, "varibad", "simbelief").endswith(": simbelief ahead")
    assert compare(x[:4], y, "simbelief", "varibad").endswith(
        ": no claim (4 seeds; a claim needs 5 of each)"
    )
    assert compare(x[:1], y, "simbelief", "varibad").endswith(
        ": no claim (1 seed; a claim needs 5 of each)"
    )
    assert compare(x, x, "a", "b").endswith(": no difference shown")
    with pytest.raises(ValueError, match="no runs of 'varibad' to compare"):
        compare(x, [], "simbelief", "varibad")


def test_study_shows_counts_runs_at_the_line_means_per_episode_and_compares(tmp_path):
    """``study_shows``: per agent the runs at the line and mean success per episode (test,
    OOD); the three comparisons only when both agents have runs."""
    from simbelief_edu.pilots import study_shows

    for seed in range(1, 6):
        _fake_run(tmp_path, "simbelief", seed, [1.0, 1.0, 0.5, 0.5])
        _fake_run(tmp_path, "varibad", seed, [0.0, 0.0, 0.0, 0.5], agent="varibad")
    for seed in range(1, 6):  # returns other than the successes: SimBelief's ×10 on test tasks
        path = tmp_path / "point-robot-sparse" / f"simbelief-seed{seed}" / "eval.json"
        ev = json.loads(path.read_text())
        returns = [[0.0, 10 * s] for _, s in ev["test"]["per_task_success"]]
        ev["test"] = {**ev["test"], "per_task_return": returns}
        path.write_text(json.dumps(ev))
    study = load_runs("point-robot-sparse", tmp_path)
    at_line = {r["folder"]: r["config"]["agent"] == "simbelief" or r["config"]["seed"] < 3
               for rs in study.values() for r in rs}  # fmt: skip
    lines = study_shows(study, at_line).splitlines()
    assert lines[0] == ("simbelief: 5 of 5 runs at the learns line; mean hold success "
                        "test ep1 0.00, ep2 0.75; OOD ep1 0.00, ep2 0.75")  # fmt: skip
    assert lines[1] == "           mean return test ep1 0.0, ep2 7.5; OOD ep1 0.0, ep2 0.8"
    assert lines[2].startswith("varibad  : 2 of 5 runs at the learns line;")
    assert lines[2].endswith("ep2 0.12")  # 0.5 on one goal of four
    assert lines[3] == "           mean return test ep1 0.0, ep2 0.1; OOD ep1 0.0, ep2 0.1"
    assert lines[4:] == [f"{split} ep-2 {metric}: P(simbelief > varibad) = {p} [{p}, {p}]: "
                         "simbelief ahead" for split, metric, p in
                         (("test", "success", "0.88"), ("test", "return", "1.00"),
                          ("ood", "success", "0.88"))]  # fmt: skip
    only = study_shows({"varibad": study["varibad"]}, at_line).splitlines()
    assert only == lines[2:4]


def test_same_setting_finds_the_study_seed_that_repeats_its_pilot():
    """The CPU-scale Cheetah study's VariBAD seed 1 is pilot c3's run (same setting and seed);
    its other seeds, and SimBelief's seed 1, are not."""
    from simbelief_edu.pilots import same_setting
    from simbelief_edu.report import RESULTS

    pilots = load_runs("pilots", RESULTS / "cheetah-vel-sparse")  # grouped by pilot name
    c1, c3 = pilots["c1"][0], pilots["c3"][0]
    study = load_runs("cheetah-vel-sparse", RESULTS / "cpu-scale")
    repeats = [r for rs in study.values() for r in rs if same_setting(r, c3)]
    assert [r["folder"] for r in repeats] == ["varibad-seed1"]
    assert not same_setting(c1, c3)  # same agent and seed, other knobs
    # README: the repeat has identical scores (training is deterministic at a fixed seed)
    for split in ("test", "ood"):
        for metric in ("per_task_success", "per_task_return"):
            assert repeats[0]["eval"][split][metric] == c3["eval"][split][metric]


def test_panda_study_varibad_seed1_is_pilot_p4():
    """README and chapter 8: the Panda-Reach study's VariBAD seed 1 is pilot p4's run (its
    folder is a copy, so same_setting must find it and the scores must be the pilot's)."""
    from simbelief_edu.pilots import same_setting
    from simbelief_edu.report import RESULTS

    p4 = load_runs("pilots", RESULTS / "panda-reach-sparse")["p4"][0]
    study = load_runs("panda-reach-sparse", RESULTS / "cpu-scale")
    repeats = [r for rs in study.values() for r in rs if same_setting(r, p4)]
    assert [r["folder"] for r in repeats] == ["varibad-seed1"]
    assert repeats[0]["eval"]["test"] == p4["eval"]["test"]
    assert "copy of results/panda-reach-sparse/pilots/p4-seed1" in repeats[0]["commands"][-1]


def test_episode_gain_pairs_episodes_per_run_and_task(tmp_path):
    """episode 2 minus episode 1, per (run, task): a run that finds every goal in episode 1
    and loses half of them in episode 2 has gain -0.5, whatever another task scores; the
    interval covers runs that differ and shrinks to a point where every run is the same."""
    from simbelief_edu.report import episode_gain

    for seed, ep2 in enumerate([0.9, 0.7, 0.8]):
        _fake_run(tmp_path, "simbelief", seed, [ep2, ep2, ep2, ep2])  # ep1 is 0 everywhere
    gain, lo, hi = episode_gain(load_runs("point-robot-sparse", tmp_path)["simbelief"])
    assert gain == pytest.approx(0.8) and 0.7 <= lo < 0.8 < hi <= 0.9
    test = {"tasks": [[0.0, 1.0], [1.0, 0.0]], "per_task_success": [[1.0, 0.5], [0.2, 0.2]]}
    run = {"folder": "x", "eval": {"test": test}}
    assert episode_gain([run, run]) == pytest.approx((-0.25, -0.25, -0.25))


def test_gain_text_reads_the_interval_and_makes_no_claim_below_five_seeds(tmp_path):
    """Five runs that all gain in episode 2 read "higher", all losing read "lower", mixed
    gains whose interval straddles 0 read "no change shown"; four runs make no claim, whatever
    their interval."""
    from simbelief_edu.report import gain_text

    def runs(ep1_ep2_per_run):
        made = []
        for pair in ep1_ep2_per_run:
            test = {"tasks": [[0.0, 1.0], [1.0, 0.0]], "per_task_success": [pair, pair]}
            made.append({"folder": "x", "eval": {"test": test}})
        return made

    assert gain_text(runs([[0.2, 0.6]] * 5)).endswith("+0.40 [+0.40, +0.40]: higher in episode 2")
    assert gain_text(runs([[0.6, 0.2]] * 5)).endswith(": lower in episode 2")
    mixed = [[0.2, 0.6], [0.6, 0.2], [0.4, 0.4], [0.3, 0.5], [0.5, 0.3]]
    assert gain_text(runs(mixed)).endswith(": no change shown")
    assert gain_text(runs([[0.2, 0.6]] * 4)).endswith(": no claim (4 seeds)")
    assert gain_text(runs([[0.2, 0.6]])) == "episode 2 minus episode 1 +0.40: no claim (1 seed)"
    two = "episode 2 minus episode 1 +0.40: no claim (2 seeds)"  # no interval from two runs
    assert gain_text(runs([[0.2, 0.6]] * 2)) == two


def test_iqm_text_gives_an_interval_from_three_runs_up(tmp_path):
    from simbelief_edu.report import iqm_text

    for seed, ep2 in enumerate([0.2, 0.4, 0.6]):
        _fake_run(tmp_path, "simbelief", seed, [ep2] * 4)
    _fake_run(tmp_path, "varibad", 0, [0.5] * 4)
    study = load_runs("point-robot-sparse", tmp_path)
    point, lo, hi = stratified_bootstrap_ci(scores(study["simbelief"], episode=1))
    assert iqm_text(study["simbelief"]) == f"{point:.2f} [{lo:.2f}, {hi:.2f}]" and lo < hi
    assert iqm_text(study["varibad"]) == "0.50"
    assert (
        iqm_text(study["simbelief"][:2]) == f"{iqm(scores(study['simbelief'][:2], episode=1)):.2f}"
    )
    assert "0.50 |" in summary_table("point-robot-sparse", tmp_path)  # the table's one-run cell
