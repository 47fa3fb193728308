"""Claims about the shipped results that the prose states (README section "Cheetah-Vel-Sparse and
Panda-Reach-Sparse", book chapters 7 and 8) are recomputed here from the shipped run folders
(``simbelief_edu/results/<env>/<agent>-seed<N>/``), the configs and the benchmark tables. A test
fails when the files and the prose disagree."""

import json
import re
import subprocess
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from simbelief_edu import pilots, report
from simbelief_edu.configs import make_config

ROOT = Path(__file__).resolve().parents[1]
ENVS = ("cheetah-vel-sparse", "panda-reach-sparse")
SLOW = 0.5  # a cheetah standing still is within 0.5 of targets up to this speed


@cache
def runs(env: str) -> dict[str, list[dict]]:
    return report.load_runs(env)


@cache
def readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("### Cheetah-Vel-Sparse and Panda-Reach-Sparse")
    return text[start : text.index("\n### ", start + 1)]


def flat(text: str) -> str:
    """Line breaks as spaces, so a phrase may be wrapped anywhere."""
    return " ".join(text.split())


def notebook(name: str) -> str:
    cells = json.loads((ROOT / "book" / name).read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells)


def test_runs_are_two_agents_times_seeds_1_to_3_with_20_goals_and_5_meta_episodes():
    """ch07/ch08 objectives and summaries, README: "SimBelief and VariBAD × seeds 1–3", "20 test
    and 20 OOD tasks, 5 meta-episodes each", "3 seeds × 20 targets", "The 12 runs"."""
    for env in ENVS:
        assert sorted(runs(env)) == ["simbelief", "varibad"]
        for rs in runs(env).values():
            assert [r["config"]["seed"] for r in rs] == [1, 2, 3]
            for r in rs:
                for split in ("test", "ood"):
                    assert len(r["eval"][split]["per_task_success"]) == 20
                    assert r["eval"][split]["meta_episodes"] == 5
    assert "SimBelief and VariBAD × seeds 1–3" in readme_section()
    assert "Final meta-test on 20 test and 20 OOD tasks, 5 meta-episodes each" in flat(
        readme_section()
    )
    assert "The 12 runs" in flat(readme_section())


def test_one_budget_for_both_envs_and_agents():
    """ch08 §8.3: "the same `--set` overrides as Cheetah-Vel"; README: "60 iterations of 500 SAC
    updates on 16 tasks × 32 transitions, and on Panda-Reach a SAC learning rate of 3e-4 where
    the authors use 7e-5"."""
    overrides = {
        " ".join(re.findall(r"--set \S+", r["commands"][0]))
        for env in ENVS
        for rs in runs(env).values()
        for r in rs
    }
    assert len(overrides) == 1
    for env in ENVS:
        for rs in runs(env).values():
            for r in rs:
                c = r["config"]
                assert (c["num_iters"], c["rl_updates_per_iter"]) == (60, 500)
                assert (c["rl_batch_tasks"], c["rl_batch_per_task"]) == (16, 32)
    # ch08 §8.3: the overrides set the authors' Cheetah-Vel learning rate, not Panda's
    panda_lr = {r["config"]["lr_policy"] for rs in runs("panda-reach-sparse").values() for r in rs}
    assert panda_lr == {make_config("cheetah-vel-sparse").lr_policy} == {3e-4}
    assert make_config("panda-reach-sparse").lr_policy == 7e-5
    assert (
        "60 iterations of 500 SAC updates on 16 tasks × 32 transitions, and on Panda-Reach a SAC "
        "learning rate of 3e-4 where the authors use 7e-5" in flat(readme_section())
    )


def test_readme_budget_shares():
    """README: "1.5% of the authors' SAC updates on Cheetah-Vel and 0.8% of their environment
    steps on Panda-Reach"."""
    full = make_config("cheetah-vel-sparse")
    shipped = runs("cheetah-vel-sparse")["simbelief"][0]["config"]
    updates = shipped["num_iters"] * shipped["rl_updates_per_iter"]
    share_updates = updates / (full.num_iters * full.rl_updates_per_iter)
    full = make_config("panda-reach-sparse")
    steps_per_meta_episode = full.episodes_per_task * 50  # Panda's horizon
    authors_steps = (
        full.num_train_tasks * full.init_rollouts_per_task
        + full.num_iters * full.tasks_per_iter * full.rollouts_per_task
    ) * steps_per_meta_episode
    shipped_steps = runs("panda-reach-sparse")["simbelief"][0]["curve"][-1]["env_steps"]
    text = flat(readme_section())
    assert f"That is {share_updates:.1%} of the authors' SAC updates on Cheetah-Vel" in text
    assert f"{shipped_steps / authors_steps:.1%} of their environment steps on Panda-Reach" in text


def test_readme_table_is_the_summary_table():
    """The README table holds the rows of ``report.summary_table`` (less the ep-1 column)."""
    for env in ENVS:
        for line in report.summary_table(env).splitlines()[2:]:
            cells = [c.strip() for c in line.strip("|").split("|")]
            del cells[3]  # test success ep1
            assert f"| {env} | " + " | ".join(cells) + " |" in readme_section()


def test_which_shipped_runs_have_an_agent_file():
    """README: the runs of the studies have their exported agent beside their results; "of the
    cheap-budget Point-Robot runs only the `stored-beliefs` ones", "none of chapter 10's"."""
    res = report.RESULTS
    studies = [res / "point-robot-sparse", *(res / env for env in ENVS), res / "cpu-scale"]
    folders = [f for s in studies for f in s.rglob("*-seed*") if (f / "eval.json").exists()]
    assert folders and all((f / "agent.pt").exists() for f in folders)
    cheap = [f for f in (res / "cheap").rglob("*-seed*") if (f / "eval.json").exists()]
    with_agent = {f.name.rsplit("-seed", 1)[0] for f in cheap if (f / "agent.pt").exists()}
    assert with_agent == {"stored-beliefs", "stored-beliefs-no-anchor"}
    assert not list((res / "ch10").rglob("agent.pt"))
    text = flat((ROOT / "README.md").read_text())
    assert "of the cheap-budget Point-Robot runs only the `stored-beliefs` ones" in text
    assert "none of chapter 10's" in text


def test_training_minutes_and_agent_file_sizes():
    """README: "The 12 runs took 173 CPU-minutes", "`agent.pt`, 0.4–0.65 MB"."""
    all_runs = [r for env in ENVS for rs in runs(env).values() for r in rs]
    minutes = sum(r["curve"][-1]["wall_time"] for r in all_runs) / 60
    assert f"The {len(all_runs)} runs took {minutes:.0f} CPU-minutes" in flat(readme_section())
    sizes = [
        (report.RESULTS / env / r["folder"] / "agent.pt").stat().st_size / 1e6
        for env in ENVS
        for rs in runs(env).values()
        for r in rs
    ]
    assert "0.4–0.65 MB" in readme_section()
    assert round(min(sizes), 1) == 0.4 and round(max(sizes), 2) == 0.65


def test_cost_table_row_of_the_sparse_study():
    """README §What a run costs, the `sweeps/sparse_study.toml` row: the range of training
    minutes over all its runs and per agent, and their sum, from the shipped curves."""
    per_agent = {
        agent: [r["curve"][-1]["wall_time"] / 60 for env in ENVS for r in runs(env)[agent]]
        for agent in ("simbelief", "varibad")
    }
    every = per_agent["simbelief"] + per_agent["varibad"]
    text = flat((ROOT / "README.md").read_text())
    row = text[text.index("| `sweeps/sparse_study.toml` |") :].split(" | `sweeps/paper.toml`")[0]
    lo, hi = (f"{m:.0f}" for m in (min(every), max(every)))
    sb, vb = (f"{min(m):.0f}–{max(m):.0f}" for m in per_agent.values())
    assert f"measured: {lo} to {hi} min of training (SimBelief {sb}, VariBAD {vb}," in row
    assert f"{len(every)} runs: {sum(every):.0f} CPU-minutes" in row


@cache
def cheetah_split() -> list[tuple[np.ndarray, np.ndarray]]:
    """Per Cheetah-Vel run: (its test targets, its ep-2 hold success per target)."""
    out = []
    for rs in runs("cheetah-vel-sparse").values():
        for r in rs:
            out.append((report.tasks(r)[:, 0], report.scores([r], "test", "success", 1)[0]))
    return out


def test_cheetah_stands_still():
    """ch07 §7.9 and README: each run's hold success comes mostly from the targets ≤ 0.5 (3 of
    the 20 test targets); on a faster target a run scores at most partly (< 0.5); mean ep-2
    hold success 0.16."""
    for targets, success in cheetah_split():
        slow = targets <= SLOW
        assert slow.sum() == 3
        assert success[slow].sum() > success[~slow].sum()
        assert success[~slow].max() < 0.5
    text = flat(readme_section())
    assert "earns reward only on the targets at most 0.5 (3 of the 20 test targets)" in text
    every = np.concatenate(
        [report.scores(rs, "test", "success", 1) for rs in runs("cheetah-vel-sparse").values()]
    )
    assert f"mean ep-2 hold success {every.mean():.2f} over all runs and test targets" in text


def test_cheetah_no_adaptation_no_ood_no_difference():
    """ch07 §7.9: ep-2 hold success close to ep-1 (within 0.02 per agent); no OOD target held by
    any run; P(SimBelief > VariBAD) is no claim with three seeds each (README: its value)."""
    rs = runs("cheetah-vel-sparse")
    for variant in rs.values():
        ep1, ep2 = (report.scores(variant, "test", "success", e).mean() for e in (0, 1))
        assert abs(ep2 - ep1) < 0.02
        assert report.scores(variant, "ood", "success", 1).max() == 0
    p, lo, hi = report.poi_ci(report.scores(rs["simbelief"]), report.scores(rs["varibad"]))
    assert lo <= 0.5 <= hi
    said = report.judge(rs["simbelief"], rs["varibad"], "simbelief", "varibad")[3]
    assert said.startswith("no claim (3 seeds")
    readme = flat(readme_section())
    assert f"is {p:.2f} [{lo:.2f}, {hi:.2f}]: with three seeds each, no claim" in readme
    assert "is no claim with three seeds each" in flat(notebook("ch07_mujoco.ipynb"))


def test_cheetah_cpu_scale_learned_from_less_experience_and_more_updates():
    """ch07 §7.9: the CPU-scale study (§7.6) collected fewer environment steps than the 1%
    budget but made more SAC updates, on larger batches, on shorter episodes of a narrower
    target range (every run of each study)."""
    from simbelief_edu.configs import make_env
    from simbelief_edu.files import config_from_dict

    cpu_root = report.RESULTS / "cpu-scale"
    one = [r for rs in runs("cheetah-vel-sparse").values() for r in rs]
    cpu = [r for rs in report.load_runs("cheetah-vel-sparse", cpu_root).values() for r in rs]

    def budget(r):  # env steps, SAC updates, batch, episode length, fastest training target
        c = r["config"]
        env = make_env(config_from_dict(c, r["folder"], "damaged"))
        return (r["curve"][-1]["env_steps"], c["num_iters"] * c["rl_updates_per_iter"],
                c["rl_batch_tasks"] * c["rl_batch_per_task"], env.spec.max_episode_steps,
                env.unwrapped.max_velocity)  # fmt: skip

    for a in map(budget, one):
        for b in map(budget, cpu):
            assert b[0] < a[0] and b[1] > a[1] and b[2] > a[2] and b[3] < a[3] and b[4] < a[4]
    text = flat(notebook("ch07_mujoco.ipynb"))
    assert "collected fewer environment steps but made more SAC updates on larger batches" in text


def test_cheetah_cpu_scale_study_readings():
    """ch07 §7.6 "Reading it" and README: every run of both agents at the learns line; episode
    2 about as episode 1 (mean hold success within 0.05, below it) while the mean return rises
    in episode 2 (test and OOD); no difference on the test targets
    (hold success and return); SimBelief ahead on OOD ep-2 hold success, its interval only
    just excluding ½ (lower end below 0.55). Five seeds of each."""
    study = report.load_runs("cheetah-vel-sparse", report.RESULTS / "cpu-scale")
    sb, vb = study["simbelief"], study["varibad"]
    assert min(len(sb), len(vb)) >= report.MIN_SEEDS
    for rs in (sb, vb):
        assert all(pilots.learns("cheetah-vel-sparse", *pilots.learns_line(r)[:2]) for r in rs)
        ep1, ep2 = (report.scores(rs, "test", "success", e).mean() for e in (0, 1))
        assert ep2 < ep1 and abs(ep2 - ep1) < 0.05  # "about as episode 1 (slightly below it)"
        for split in ("test", "ood"):  # "the return ... rises in episode 2"
            ret1, ret2 = (report.scores(rs, split, "return", e).mean() for e in (0, 1))
            assert ret2 > ret1
    for metric in ("success", "return"):
        assert report.judge(sb, vb, "simbelief", "varibad", metric)[3] == "no difference shown"
    _, lo, _, said = report.judge(sb, vb, "simbelief", "varibad", split="ood")
    assert said == "simbelief ahead" and lo < 0.55
    chapter = flat(notebook("ch07_mujoco.ipynb"))
    assert 'the runs of both are all at the "learns" line' in chapter
    assert "episode 2 scores about as episode 1 for both (slightly below it)" in chapter
    assert "rises in episode 2 for both agents, on the test and on the OOD targets" in chapter
    assert "On the test targets SimBelief and VariBAD cannot be told apart" in chapter
    assert "SimBelief is ahead in episode 2 by an interval that only just excludes" in chapter
    readme = flat(readme_section())
    assert "the two agents cannot be told apart on the test targets" in readme
    assert "on the faster OOD targets SimBelief is narrowly ahead in episode 2" in readme
    assert "Every run of both agents meets the learns line." in readme


def test_panda_cpu_scale_study_readings():
    """ch08 §8.5 "Reading it" and README: five seeds of each agent; no run of either at the
    learns line; fewer test goals held in episode 2 than in episode 1 (mean hold success) for
    both (and a lower return); OOD mean hold success 0.00; no difference shown on test hold
    success, test return or OOD hold success."""
    study = report.load_runs("panda-reach-sparse", report.RESULTS / "cpu-scale")
    sb, vb = study["simbelief"], study["varibad"]
    assert [r["config"]["seed"] for r in sb] == [r["config"]["seed"] for r in vb] == [1, 2, 3, 4, 5]
    for rs in (sb, vb):
        assert not any(pilots.learns("panda-reach-sparse", *pilots.learns_line(r)[:2]) for r in rs)
        ep1, ep2 = (report.scores(rs, "test", "success", e).mean() for e in (0, 1))
        assert ep2 < ep1
        ret1, ret2 = (report.scores(rs, "test", "return", e).mean() for e in (0, 1))
        assert ret2 < ret1
        assert all(round(report.scores(rs, "ood", "success", e).mean(), 2) == 0 for e in (0, 1))
    for split, metric in (("test", "success"), ("test", "return"), ("ood", "success")):
        said = report.judge(sb, vb, "simbelief", "varibad", metric, split=split)[3]
        assert said == "no difference shown"
    chapter = flat(notebook("ch08_panda.ipynb"))
    assert 'no run of either meets the "learns" line' in chapter
    assert "fewer in episode 2 than in episode 1, with a lower return too" in chapter
    assert "OOD goals are almost never held (the OOD means above)." in chapter
    assert "nor the CPU-scale setting (section 8.5) has taught" in chapter
    assert "SimBelief and VariBAD cannot be told apart (every interval of $P$" in chapter
    readme = flat(readme_section())
    assert "With five seeds of each, no run of either agent meets the learns line;" in readme
    assert "both hold fewer test goals in episode 2 than in episode 1" in readme
    held = [(report.scores(rs, "ood", "success", 1) > 0) for rs in (sb, vb)]
    assert (
        f"an OOD goal is held in episode 2 in {held[0].sum()} of SimBelief's and {held[1].sum()} "
        f"of VariBAD's {held[0].size} (run, OOD goal) pairs" in readme
    )
    assert "the two agents cannot be told apart (book section 8.5)" in readme


def test_panda_reaches_the_goal_rarely():
    """ch08 §8.8: the IQMs are those of an arm that never reaches the goal (success 0, return
    −50, both episodes, test and OOD); the (run, goal) pairs with success are rare, as are the
    training meta-episodes with a rewarded step. README: the counts of (run, goal) pairs with
    ep-2 success above 0."""
    rs = runs("panda-reach-sparse")
    for variant in rs.values():
        for split in ("test", "ood"):
            for e in (0, 1):
                assert report.iqm(report.scores(variant, split, "success", e)) == 0
                assert report.iqm(report.scores(variant, split, "return", e)) == -50
            assert (report.scores(variant, split, "success", 1) > 0).mean() < 0.1
        assert max(row["train_success_any"] for r in variant for row in r["curve"]) < 0.2
    both = [r for variant in rs.values() for r in variant]
    test = report.scores(both, "test", "success", 1)
    ood = report.scores(both, "ood", "success", 1)
    phrase = (
        f"in {(test > 0).sum()} of the {test.size} (run, test goal) pairs and in "
        f"{'none' if not (ood > 0).any() else (ood > 0).sum()} of the {ood.size} (run, OOD goal)"
    )
    assert phrase in flat(readme_section())


def test_panda_full_preset_is_printed_not_stated():
    """ch08 §8.3 prints γ, α and the iterations from ``make_config``; no stale values in prose."""
    text = notebook("ch08_panda.ipynb")
    assert "0.99" not in text and "entropy tuning" not in text
    assert "full.gamma" in text and "full.alpha" in text and "full.autotune_alpha" in text


def seconds_per_iteration(table: str, agent: str) -> float:
    """The bold "one iteration" total of ``agent`` in ``benchmarks/results/<table>``."""
    text = (ROOT / "benchmarks/results" / table).read_text()
    return float(re.search(rf"\| {agent} \| \*\*one iteration\*\* .*\*\*([\d.]+)\*\*", text)[1])


def test_chapter7_benchmark_numbers():
    """ch07 §7.4: 209 s per SimBelief iteration; §7.10: the ant simulates 5.6 times slower
    (5,770 against 32,381 steps per second) and trains as many iterations as the cheetah."""
    text = notebook("ch07_mujoco.ipynb")
    seconds = seconds_per_iteration("train_throughput_cheetah.md", "simbelief")
    assert f"SECONDS_PER_FULL_ITER = {seconds:.0f}" in text
    assert f"({seconds:.0f} s per SimBelief iteration" in flat(text)
    speeds = {
        m[1]: float(m[2].replace(",", ""))
        for m in re.finditer(
            r"^\| ([\w-]+) \| ([\d,]+) \|",
            (ROOT / "benchmarks/results/env_throughput.md").read_text(),
            re.M,
        )
    }
    cheetah, ant = speeds["cheetah-vel-sparse"], speeds["ant-semicircle-sparse"]
    assert f"simulates {cheetah / ant:.1f} times slower" in flat(text)
    assert f"({ant:,.0f} against {cheetah:,.0f} steps per second" in flat(text)
    assert (
        make_config("ant-semicircle-sparse").num_iters
        == make_config("cheetah-vel-sparse").num_iters
    )


def test_cost_of_a_run_at_the_authors_settings_in_chapters_0_and_9():
    """ch00's table of s / iteration and CPU-hours per run, and ch09 §9.4's "about 58 CPU-hours
    (209 s per SimBelief iteration on one core), a Point-Robot run about 116", from the
    benchmark tables and the `full` preset's iterations."""
    seconds = {}
    for env, name in (("point-robot-sparse", ""), ("cheetah-vel-sparse", "_cheetah")):
        for agent in ("simbelief", "varibad"):
            seconds[env, agent] = seconds_per_iteration(f"train_throughput{name}.md", agent)
    hours = {k: s * make_config(k[0]).num_iters / 3600 for k, s in seconds.items()}
    ch00 = flat(notebook("ch00_setup.ipynb"))
    for (env, agent), s in seconds.items():
        title = {
            "point-robot-sparse": "Point-Robot-Sparse",
            "cheetah-vel-sparse": "Cheetah-Vel-Sparse",
        }
        shown = {"simbelief": "SimBelief", "varibad": "VariBAD"}[agent]
        row = f"| {title[env]} | {shown} | {s:.0f} | {make_config(env).num_iters} | "
        assert row + f"{hours[env, agent]:.0f} |" in ch00
    ch09 = flat(notebook("ch09_generalisation.ipynb"))
    cheetah, point = (
        hours["cheetah-vel-sparse", "simbelief"],
        hours["point-robot-sparse", "simbelief"],
    )
    sentence = f"about {cheetah:.0f} CPU-hours ({seconds['cheetah-vel-sparse', 'simbelief']:.0f} s"
    assert sentence in ch09 and f"a Point-Robot run about {point:.0f}," in ch09


@pytest.mark.parametrize("name", ["ch07_mujoco.ipynb", "ch08_panda.ipynb"])
def test_no_absolute_claims_left(name):
    """The phrases the shipped files contradicted are gone from the chapters."""
    text = flat(notebook(name))
    for phrase in (
        "every run",
        "never finds",
        "no meta-tested episode ever reaches",
        "the same 2000 iterations",
        "γ = 0.99",
    ):
        assert phrase not in text, phrase


def test_panda_search_estimates():
    """ch08 ex-ch8-search solution: the lower bound is "most of an episode", the lane sweep
    "about three episodes, more than the whole meta-episode" (from the env's goal box)."""
    import math

    from simbelief_edu.envs import make

    panda = make("panda-reach-sparse")
    u = panda.unwrapped
    z = u.goal_task.goal_range_high[2] - u.goal_task.goal_range_low[2]
    r, H, step = u.distance_threshold, panda.spec.max_episode_steps, 0.05
    volume = u.goal_range**2 * z
    bound = (volume - 4 / 3 * math.pi * r**3) / (math.pi * r**2 * step * math.sqrt(3))
    lanes = math.ceil(u.goal_range / (r * math.sqrt(2))) * math.ceil(z / (r * math.sqrt(2)))
    sweep = lanes * u.goal_range / step
    assert 0.5 < bound / H < 1
    assert round(sweep / H) == 3 and sweep > 2 * H
    panda.close()


# -- README, Point-Robot-Sparse ---------------------------------------------------------------


def test_readme_results_tables_are_written_from_the_shipped_runs():
    """The README's marked results blocks equal what tools/readme_results.py writes now."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "readme_results.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_readme_headline_point_robot_no_difference_and_the_authors_code_beside_ours():
    """README: at the authors' settings SimBelief and VariBAD "cannot be told apart" (five seeds
    each, the interval includes ½); the mean success-anytime of the runs of the authors' code
    lies inside SimBelief's 95% interval at the number of their meta-tests the README says,
    iteration 16 among them, above it at iterations 4 to 8 and below at 14 (chapter 6 words
    the comparison from the data)."""
    study = report.load_runs("point-robot-sparse")
    *_, said = report.judge(study["simbelief"], study["varibad"], "simbelief", "varibad")
    assert said == "no difference shown"
    theirs = report.authors_runs("point-robot-sparse")
    assert len({len(r["curve"]) for r in theirs}) == 1  # every run of theirs finished
    where = {}
    for it in [row["iteration"] for row in theirs[0]["curve"]]:
        n, _, lo, hi = report.curve_at(study["simbelief"], it, "test_success_any")
        mean = report.curve_at(theirs, it, "test_success_any")[1]
        assert n >= report.MIN_SEEDS
        where[it] = "inside" if lo <= mean <= hi else "above" if mean > hi else "below"
    inside = [it for it, w in where.items() if w == "inside"]
    assert 16 in inside
    assert [it for it, w in where.items() if w == "above"] == [4, 6, 8]
    assert [it for it, w in where.items() if w == "below"] == [14]
    text = flat((ROOT / "README.md").read_text())
    assert "SimBelief and VariBAD cannot be told apart on episode-2 test success" in text
    assert f"Runs of the authors' own code at the same settings ({len(theirs)} seeds" in text
    counted = f"inside SimBelief's 95% interval at {len(inside)} of their {len(where)} meta-tests"
    assert counted in text and "at iterations 4 to 8 theirs is above ours, at 14 below" in text
    assert "{where} our interval" in notebook("ch06_agent.ipynb")  # the chapter words it


def test_point_robot_simbelief_adapts_within_the_meta_episode_and_varibad_is_not_shown_to():
    """README and ch06 §6.8: at the authors' settings SimBelief's test success is higher in
    episode 2 than in episode 1 (`report.episode_gain`'s interval above 0, five seeds);
    VariBAD's change "is not told apart from 0" (its interval includes 0)."""
    study = report.load_runs("point-robot-sparse")
    assert len(study["simbelief"]) >= report.MIN_SEEDS and len(study["varibad"]) >= report.MIN_SEEDS
    assert report.episode_gain(study["simbelief"])[1] > 0
    _, lo, hi = report.episode_gain(study["varibad"])
    assert lo <= 0 <= hi
    text = flat((ROOT / "README.md").read_text())
    assert "SimBelief's test success is higher in episode 2 than in episode 1" in text
    assert "VariBAD's change is not told apart from 0" in text
    # the anchor at the authors' settings: no difference in ep-2 success; no-anchor falls in ep 2
    assert len(study["no-anchor"]) >= report.MIN_SEEDS
    *_, said = report.judge(study["simbelief"], study["no-anchor"], "simbelief", "no-anchor")
    assert said == "no difference shown"
    assert report.episode_gain(study["no-anchor"])[2] < 0
    assert "SimBelief and `no-anchor` (five seeds each) cannot be told apart" in text
    assert "without it, test success is lower in episode 2 than in episode 1" in text


def test_readme_cheap_budget_claim_simbelief_below_varibad_and_no_anchor():
    """README: "At this budget SimBelief scores below VariBAD and below `no-anchor` (the
    intervals above exclude ½)"."""
    cheap = report.load_runs("point-robot-sparse", report.RESULTS / "cheap")
    sb = report.scores(cheap["simbelief"], "test", "success", 1)
    for other in ("varibad", "no-anchor"):
        p, lo, hi = report.poi_ci(sb, report.scores(cheap[other], "test", "success", 1))
        assert hi < 0.5, (other, p, lo, hi)


# -- Chapter 6, section 6.7: the anchor experiment at the cheap budget -------------------------


@pytest.mark.parametrize(
    "x, y, reading",
    [
        ("stored-beliefs", "simbelief", "no difference shown"),
        ("stored-beliefs", "stored-beliefs-no-anchor", "stored-beliefs ahead"),
        ("no-anchor", "simbelief", "no-anchor ahead"),
        ("no-anchor", "stored-beliefs", "no-anchor ahead"),
        ("no-anchor", "stored-beliefs-no-anchor", "no-anchor ahead"),
    ],
)
def test_ch06_anchor_experiment_readings(x, y, reading):
    """ch06 §6.7 "What the experiment says": each reading is `report.judge`'s, which makes a
    claim only from five seeds of each variant (this book's rule)."""
    cheap = report.load_runs("point-robot-sparse", report.RESULTS / "cheap")
    *_, said = report.judge(cheap[x], cheap[y], x, y)
    assert said == reading, (x, y, said)
    assert f'("{x}", "{y}")' in notebook("ch06_agent.ipynb")  # printed where it is read


def test_ch06_without_the_anchor_the_latent_belief_collapses_to_the_clamp():
    cheap = report.load_runs("point-robot-sparse", report.RESULTS / "cheap")
    for variant in ("no-anchor", "stored-beliefs-no-anchor"):
        assert all(r["curve"][-1]["latent_logvar"] == pytest.approx(-10.0) for r in cheap[variant])
    for variant in ("simbelief", "stored-beliefs"):
        assert all(r["curve"][-1]["latent_logvar"] > -8.0 for r in cheap[variant])


def test_ch06_study_diagnostics_reading():
    """ch06 §6.7, the study at the authors' settings: in every SimBelief run the anchor keeps
    log σ̃² well off its clamp (above −8), where every no-anchor run sits (−10); log σ̃² below
    the specific belief's log σ²; the spread of μ̃ across tasks under a quarter of μ's."""
    study = report.load_runs("point-robot-sparse")
    for r in study["simbelief"]:
        final = r["curve"][-1]
        assert -8.0 < final["latent_logvar"] < final["belief_logvar"]
        assert final["latent_mu_spread"] < final["belief_mu_spread"] / 4
    assert all(r["curve"][-1]["latent_logvar"] == pytest.approx(-10.0) for r in study["no-anchor"])
    text = flat(notebook("ch06_agent.ipynb"))
    assert (
        "In every SimBelief run of the study the anchor keeps $\\log\\tilde\\sigma^2$ well off"
        in text
    )
    assert "less than a quarter as much as $\\mu$ does" in text


@pytest.mark.parametrize("env", ["cheetah-vel-sparse", "panda-reach-sparse"])
def test_pilot_tables_are_written_from_the_shipped_pilots(env):
    """results/ENV/pilots.md's table equals what tools/pilot_report.py writes now."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "pilot_report.py"), env, "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_shipped_run_records_its_tasks_and_runs_of_one_family_share_the_test_pool():
    """report.scores lines up runs task by task (the stratified bootstrap, P(X > Y)): that
    needs each eval.json's tasks, and one test pool per env and task family."""
    pools: dict[tuple, set] = {}
    for path in sorted(report.RESULTS.rglob("eval.json")):
        ev = json.loads(path.read_text())
        cfg = json.loads((path.parent / "config.json").read_text())
        for split in ("test", "ood"):
            assert len(ev[split]["tasks"]) == len(ev[split]["per_task_success"]), path
        family = (cfg["env"], json.dumps(cfg.get("env_kwargs", {}), sort_keys=True))
        pool = frozenset(map(tuple, ev["test"]["tasks"]))
        assert pools.setdefault(family, pool) == pool, f"{path}: another test pool"


FROZEN = {  # the pilot whose setting results/cpu-scale/ uses, and whether it met the line
    "cheetah-vel-sparse": ("c3", True),
    "panda-reach-sparse": ("p4", False),
}


@pytest.mark.parametrize("env", sorted(FROZEN))
def test_the_cpu_scale_study_runs_the_frozen_pilot_unchanged(env):
    """pilots.md and chapter 7.6 / 8.5: the frozen pilot is the one `pilots.frozen_pilot`
    picks (the first at the learns line, else the one furthest above doing nothing); every
    CPU-scale run has exactly its config but for agent and seed ("frozen, unchanged"; as
    `preset_diff` compares: device, scale and the eval / checkpoint intervals aside)."""
    from simbelief_edu.configs import preset_diff

    found = report.load_runs("pilots", report.RESULTS / env)
    runs = {r["folder"].split("-seed")[0]: r for rs in found.values() for r in rs}
    lines = {name: pilots.learns_line(run) for name, run in runs.items()}
    assert pilots.frozen_pilot(env, lines) == FROZEN[env]
    frozen = preset_diff(runs[FROZEN[env][0]]["config"])  # all but agent and seed
    study = report.load_runs(env, report.RESULTS / "cpu-scale")
    for r in (r for rs in study.values() for r in rs):
        assert preset_diff(r["config"]) == frozen, r["folder"]


def set_pairs(command: str) -> dict[str, str]:
    """The ``--set field=value`` pairs of a command line (the last of a field wins)."""
    words = command.split()
    return dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "--set")


@pytest.mark.parametrize("env", sorted(FROZEN))
def test_run_all_trains_exactly_the_frozen_pilots_overrides(env):
    """cpu-scale/run_all.sh: its ``knobs ENV`` are the ``--set`` overrides of the frozen pilot's
    recorded command (so a drifted case fails here, not after a 40-70 minute run)."""
    script = ROOT / "simbelief_edu/results/cpu-scale/run_all.sh"
    text = script.read_text()
    knobs = text[text.index("knobs() {") : text.index("\n}\n", text.index("knobs() {")) + 3]
    out = subprocess.run(["bash", "-c", f"{knobs}\nknobs {env}"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    pilot = FROZEN[env][0]
    recorded = (report.RESULTS / env / "pilots" / f"{pilot}-seed1" / "commands.txt").read_text()
    assert set_pairs(out) == set_pairs(recorded.splitlines()[0])


def test_panda_pilots_margins_are_one_goal_and_p4_leads_doing_nothing_by_one():
    """Chapter 8.4, pilots.md, README: the margins over doing nothing are "one goal of 20 each";
    p4 is above it "by one test goal of 20" and doing nothing reaches none of p4's goals
    (ex-ch8-idle: "none in p4"), more in p1 and p3. That no pilot met the line ("No pilot
    met the line", chapter 8's summary) is FROZEN's False, checked above."""
    found = report.load_runs("pilots", report.RESULTS / "panda-reach-sparse")
    lines = {r["folder"].split("-seed")[0]: pilots.learns_line(r) for rs in found.values()
             for r in rs}  # fmt: skip
    for score, idle, n in lines.values():
        assert n == 20 and round(abs(score - idle) * n) == 1
    assert "Read the margins as what they are: one goal of 20 each" in flat(
        notebook("ch08_panda.ipynb")
    )
    score, idle, n = lines["p4"]
    assert idle == 0 and round((score - idle) * n) == 1
    assert min(lines["p1"][1], lines["p3"][1]) > idle


def test_p4_box_is_swept_within_one_episode_and_the_papers_is_not():
    """ch08 §8.4: p4's box has half the paper's side and the lane sweep of ex-ch8-search covers
    it within one 50-step episode; the paper's box takes several episodes."""
    from simbelief_edu.envs import make

    def box_and_sweep(**kwargs):
        env = make("panda-reach-sparse", **kwargs)
        u = env.unwrapped
        sides = np.array([u.goal_range, u.goal_range, u.goal_task.goal_range_high[2]
                          - u.goal_task.goal_range_low[2]])  # fmt: skip
        lane = u.distance_threshold * np.sqrt(2)
        lanes = np.ceil(sides[1] / lane) * np.ceil(sides[2] / lane)
        return sides, lanes * sides[0] / 0.05, env.spec.max_episode_steps

    paper, paper_steps, horizon = box_and_sweep()
    p4_config = report.RESULTS / "panda-reach-sparse" / "pilots" / "p4-seed1" / "config.json"
    p4, p4_steps, _ = box_and_sweep(**json.loads(p4_config.read_text())["env_kwargs"])
    assert np.allclose(p4 * 2, paper)
    assert p4_steps < horizon < 2 * horizon < paper_steps
    assert (
        "in a box of half the side, which the exercise's lane sweep covers within one 50-step"
        in flat(notebook("ch08_panda.ipynb"))
    )


def test_readme_says_no_panda_pilot_met_the_line_only_while_none_has():
    """README: "On Panda-Reach no pilot met the line"."""
    said = "On Panda-Reach no pilot met the line" in flat(readme_section())
    found = report.load_runs("pilots", report.RESULTS / "panda-reach-sparse")
    met = [r["folder"] for rs in found.values() for r in rs
           if pilots.learns("panda-reach-sparse", *pilots.learns_line(r)[:2])]  # fmt: skip
    assert said == (not met), met


def test_readme_ch10_plain_reruns_are_another_commit_and_differ_from_the_first_meta_test():
    """README §Chapter 10: the plain family's simbelief/varibad rows are the cheap study's
    configs and seeds at chapter 10's (one) commit, a commit other than the cheap study's,
    and each seed's run differs from its cheap twin at the first meta-test."""
    plain = report.load_runs("plain", report.RESULTS / "ch10")
    cheap = report.load_runs("point-robot-sparse", report.RESULTS / "cheap")
    commit = lambda r: r["commands"][0].split("git=")[1].split()[0]  # noqa: E731
    ch10_commits = {commit(r) for rs in plain.values() for r in rs}
    assert len(ch10_commits) == 1
    for agent in ("simbelief", "varibad"):
        twins = {r["config"]["seed"]: r for r in cheap[agent]}
        for r in plain[agent]:
            twin = twins[r["config"]["seed"]]
            differ = {k: r["config"][k] for k in r["config"]
                      if r["config"][k] != twin["config"].get(k)}  # fmt: skip
            # only fields added since, at values that change nothing
            assert differ == {"device": "auto", "env_kwargs": {}, "exploration_bonus": 0.0}
            assert commit(twin) not in ch10_commits
            first, first_twin = r["curve"][0], twin["curve"][0]
            assert first["iteration"] == first_twin["iteration"]
            meta_test = [k for k in first if k.startswith("test_")]
            assert meta_test and any(first[k] != first_twin[k] for k in meta_test)
    text = flat((ROOT / "README.md").read_text())
    assert "so these rows differ from the cheap study's from the first meta-test on" in text
