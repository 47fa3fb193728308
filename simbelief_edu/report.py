"""Summaries of shipped training runs (``simbelief_edu/results/<env>/<variant>-seed<N>/``).

Each run folder holds what the CLI wrote: ``config.json``, ``metrics.csv`` (the meta-test
curve and training diagnostics), ``eval.json`` (the final meta-test on test and OOD tasks,
per task, over several meta-episodes), ``commands.txt`` (the exact commands, with the git
hash) and ``versions.json``. Runs are grouped by *variant*, the folder name before
``-seed``.

Aggregates follow Agarwal et al. (2021): the interquartile mean (IQM) over all (run, task)
scores, with 95% intervals from a **stratified bootstrap** (runs resampled with replacement
within each task), and the probability of improvement P(X > Y). We compute them with NumPy
(``rliable``, the reference implementation, does not import with pandas 3 here).
``python -m simbelief_edu.report <env>`` writes ``summary.md`` and the figures beside the runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.stats import trim_mean

RESULTS = Path(__file__).parent / "results"


def load_runs(env: str, root: Path = RESULTS) -> dict[str, list[dict]]:
    """Finished runs (those with an ``eval.json``) of ``env`` under ``root``, per variant: each
    a dict with its config, curve rows and final eval."""
    runs: dict[str, list[dict]] = {}
    for folder in sorted((root / env).glob("*-seed*")):
        if not (folder / "eval.json").is_file():
            continue  # not a finished run: still training, killed, or a log file
        with open(folder / "metrics.csv") as f:
            curve = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
        run = {
            "folder": folder.name,
            "config": json.loads((folder / "config.json").read_text()),
            "curve": curve,
            "eval": json.loads((folder / "eval.json").read_text()),
            "commands": (folder / "commands.txt").read_text().strip().splitlines(),
        }
        runs.setdefault(folder.name.rsplit("-seed", 1)[0], []).append(run)
    return runs


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean: the mean of the middle 50% of all scores (25% trimmed each side)."""
    return float(trim_mean(np.asarray(scores).ravel(), 0.25))


def stratified_bootstrap_ci(
    scores: np.ndarray,
    statistic: Callable[[np.ndarray], float] = iqm,
    reps: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``statistic`` of ``scores`` [runs, tasks] and its percentile bootstrap interval, runs
    resampled with replacement independently within each task (column)."""
    rng = np.random.default_rng(seed)
    n_runs, n_tasks = scores.shape
    idx = rng.integers(n_runs, size=(reps, n_runs, n_tasks))
    stats = [statistic(np.take_along_axis(scores, i, 0)) for i in idx]
    lo, hi = np.quantile(stats, [(1 - confidence) / 2, (1 + confidence) / 2])
    return statistic(scores), float(lo), float(hi)


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y) of Agarwal et al. (2021): for each task, the Mann-Whitney probability that a
    run of X scores above a run of Y (ties count ½), averaged over tasks. ``x`` [n, tasks],
    ``y`` [m, tasks]."""
    greater = (x[:, None, :] > y[None, :, :]).mean((0, 1))
    ties = (x[:, None, :] == y[None, :, :]).mean((0, 1))
    return float((greater + 0.5 * ties).mean())


def poi_ci(
    x: np.ndarray, y: np.ndarray, reps: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """P(X > Y) and its stratified bootstrap interval (both agents' runs resampled)."""
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(reps):
        ix = rng.integers(len(x), size=x.shape)
        iy = rng.integers(len(y), size=y.shape)
        stats.append(
            probability_of_improvement(np.take_along_axis(x, ix, 0), np.take_along_axis(y, iy, 0))
        )
    lo, hi = np.quantile(stats, [(1 - confidence) / 2, (1 + confidence) / 2])
    return probability_of_improvement(x, y), float(lo), float(hi)


def episode_gain(
    runs: list[dict], split: str = "test", metric: str = "success"
) -> tuple[float, float, float]:
    """Adaptation within the meta-episode: the mean over (run, task) of episode 2's final
    meta-test ``metric`` minus episode 1's (``scores``, paired per run and task) and its
    stratified bootstrap 95% interval. Above 0, interval and all, the agent does better in a
    task once it has spent an episode in it, the mark of a Bayes-adaptive agent."""
    gain = scores(runs, split, metric, 1) - scores(runs, split, metric, 0)  # [runs, tasks]
    return stratified_bootstrap_ci(gain, np.mean)


def gain_text(runs: list[dict], split: str = "test", metric: str = "success") -> str:
    """``episode_gain`` in words, "episode 2 minus episode 1 +0.06 [+0.01, +0.11]: higher in
    episode 2"; as with ``judge``, no claim from fewer than ``MIN_SEEDS`` runs, and no interval
    from fewer than ``MIN_INTERVAL_SEEDS``."""
    gain, lo, hi = episode_gain(runs, split, metric)
    n = len(runs)
    said = "higher" if lo > 0 else "lower" if hi < 0 else None
    said = f"{said} in episode 2" if said else "no change shown"
    if n < MIN_SEEDS:
        said = f"no claim ({n} seed{'s' * (n != 1)})"
    interval = f" [{lo:+.2f}, {hi:+.2f}]" if n >= MIN_INTERVAL_SEEDS else ""
    return f"episode 2 minus episode 1 {gain:+.2f}{interval}: {said}"


def task_order(tasks: list[list[float]]) -> np.ndarray:
    """The column order that sorts ``tasks`` [n_tasks, task_dim] by their coordinates (first
    coordinate first), so that runs which met the same tasks in different orders line up."""
    t = np.asarray(tasks, np.float64)
    return np.lexsort(t.T[::-1])


def tasks(run: dict, split: str = "test") -> np.ndarray:
    """[n_tasks, task_dim] the tasks of ``run``'s ``split``, in the column order of ``scores``."""
    t = np.asarray(run["eval"][split]["tasks"], np.float64)
    return t[task_order(t)]


def reading(x: str, y: str, lo: float, hi: float) -> str:
    """What the 95% interval [lo, hi] of P(x > y) lets one say."""
    return f"{x} ahead" if lo > 0.5 else f"{y} ahead" if hi < 0.5 else "no difference shown"


MIN_SEEDS = 5  # this book's rule: no claim that X beats Y from fewer runs of either
MIN_INTERVAL_SEEDS = 3  # no interval or band from fewer runs: two give 3 distinct draws per task


def judge(
    x_runs: list[dict], y_runs: list[dict], x: str, y: str, metric: str = "success",
    episode: int = 1, split: str = "test",
) -> tuple[float, float, float, str]:  # fmt: skip
    """P(x > y) on the final ``split`` (test or OOD) ``metric`` of ``episode`` (``scores``),
    its stratified 95% interval (``poi_ci``) and what it lets one say (``reading``): no claim
    with fewer than ``MIN_SEEDS`` runs of either."""
    if not x_runs or not y_runs:
        raise ValueError(f"no runs of '{x if not x_runs else y}' to compare")
    p, lo, hi = poi_ci(
        scores(x_runs, split, metric, episode), scores(y_runs, split, metric, episode)
    )
    n = min(len(x_runs), len(y_runs))
    said = reading(x, y, lo, hi) if n >= MIN_SEEDS else (
        f"no claim ({n} seed{'s' * (n != 1)}; a claim needs {MIN_SEEDS} of each)")  # fmt: skip
    return p, lo, hi, said


def compare(
    x_runs: list[dict], y_runs: list[dict], x: str, y: str, metric: str = "success",
    episode: int = 1, split: str = "test",
) -> str:  # fmt: skip
    """``judge`` in words: "P(x > y) = p [lo, hi]: reading"."""
    p, lo, hi, said = judge(x_runs, y_runs, x, y, metric, episode, split)
    return f"P({x} > {y}) = {p:.2f} [{lo:.2f}, {hi:.2f}]: {said}"


def scores(runs: list[dict], split: str = "test", metric: str = "success", episode: int = -1):
    """[runs, tasks] final meta-test scores: per task, ``metric`` (``success`` or ``return``)
    of episode ``episode`` of the meta-episode, averaged over its meta-episodes.

    Column ``j`` is one task for every run: each seed meets the fixed test pool in its own
    order, so each run's columns are put in ``task_order`` of the tasks its ``eval.json``
    records (the stratified bootstrap and P(X > Y) compare runs task by task). OOD tasks are
    drawn afresh per seed, so there column ``j`` is the ``j``-th task in that order."""
    rows = []
    for r in runs:
        split_eval = r["eval"][split]
        if "tasks" not in split_eval:
            raise ValueError(f"{r['folder']}: eval.json has no '{split}' tasks to align its "
                             "scores by; run python tools/eval_tasks.py")  # fmt: skip
        order = task_order(split_eval["tasks"])
        rows.append([split_eval[f"per_task_{metric}"][j][episode] for j in order])
    return np.array(rows)


def iqm_text(
    runs: list[dict], split: str = "test", metric: str = "success", episode: int = 1
) -> str:
    """The IQM of the final ``scores`` with its stratified 95% interval, "0.55 [0.41, 0.71]";
    from fewer than ``MIN_INTERVAL_SEEDS`` runs the IQM alone (one run has nothing to resample,
    two give an interval that looks like the others but rests on three draws per task)."""
    point, lo, hi = stratified_bootstrap_ci(scores(runs, split, metric, episode))
    return (
        f"{point:.2f} [{lo:.2f}, {hi:.2f}]" if len(runs) >= MIN_INTERVAL_SEEDS else f"{point:.2f}"
    )


COLUMNS = [  # (header, split, metric, episode)
    ("test success ep1", "test", "success", 0),
    ("test success ep2", "test", "success", 1),
    ("test return ep2", "test", "return", 1),
    ("OOD success ep2", "ood", "success", 1),
]


def summary_table(env: str, root: Path = RESULTS) -> str:
    """Markdown table: per variant, the seeds, the training wall time (mean, minutes), and the
    IQM [95% stratified bootstrap CI] of each final meta-test score over (run, task); a variant
    of fewer than ``MIN_INTERVAL_SEEDS`` runs has no interval (``iqm_text``)."""
    runs = load_runs(env, root)
    lines = [
        "| variant | seeds | train time (min) | " + " | ".join(c[0] for c in COLUMNS) + " |",
        "|---|---|---|" + "---|" * len(COLUMNS),
    ]
    for variant, rs in sorted(runs.items()):
        cells = [iqm_text(rs, split, metric, episode) for _, split, metric, episode in COLUMNS]
        minutes = np.mean([r["curve"][-1]["wall_time"] / 60 for r in rs])
        seeds = ", ".join(str(r["config"]["seed"]) for r in rs)
        lines.append(f"| {variant} | {seeds} | {minutes:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _mean_ci(values: np.ndarray, reps: int = 2000, seed: int = 0) -> tuple:
    """Mean over runs (axis 0) and its bootstrap 95% interval, per column."""
    rng = np.random.default_rng(seed)
    boot = values[rng.integers(len(values), size=(reps, len(values)))].mean(1)
    return values.mean(0), *np.quantile(boot, [0.025, 0.975], axis=0)


def authors_runs(env: str, root: Path = RESULTS) -> list[dict]:
    """Runs of the authors' code (``results/authors/<env>/seed<N>/curve.csv``; the README there
    says how they were made), shaped like this package's runs for ``curve_at`` and
    ``plot_curves``: ``{"folder", "seed", "curve": [{"iteration", "test_success_any"}, ...]}``,
    in seed order; an empty list where there are none."""
    found = []
    for path in sorted((root / "authors" / env).glob("seed*/curve.csv")):
        with open(path) as f:
            curve = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
        for row in curve:
            row["iteration"] = int(row["iteration"])
        seed = int(path.parent.name.removeprefix("seed"))
        found.append({"folder": path.parent.name, "seed": seed, "curve": curve})
    return sorted(found, key=lambda r: r["seed"])


def values_at(runs: list[dict], iteration: int, metric: str) -> list[float]:
    """Each run's meta-test ``metric`` at ``iteration``, in run order (runs not evaluated there
    give none)."""
    return [row[metric] for r in runs for row in r["curve"] if row["iteration"] == iteration]


def curve_at(runs: list[dict], iteration: int, metric: str) -> tuple[int, float, float, float]:
    """The number of runs evaluated at ``iteration`` and the mean of their ``metric`` there,
    with a bootstrap 95% interval over runs (NaNs when none was)."""
    values = np.array(values_at(runs, iteration, metric))
    if values.size == 0:
        return 0, float("nan"), float("nan"), float("nan")
    mean, lo, hi = _mean_ci(values.reshape(len(values), 1))
    return len(values), float(mean[0]), float(lo[0]), float(hi[0])


VARIANT_COLOURS = {  # one colour per variant in every figure of the book
    "simbelief": "C0", "varibad": "C1", "no-anchor": "C2", "no-metric": "C3",
    "no-latent-dynamics": "C4", "no-inverse": "C5", "stored-beliefs": "C6",
    "stored-beliefs-no-anchor": "C8", "varibad-rnd": "C9",
}  # fmt: skip


def colour(variant: str, k: int) -> str:
    """The colour of ``variant`` in every figure (``VARIANT_COLOURS``); another variant (a
    pilot's name) takes the ``k``-th colour of the cycle."""
    return VARIANT_COLOURS.get(variant, f"C{k % 10}")


def plot_curves(
    env: str,
    root: Path = RESULTS,
    metric: str = "test_success_ep2",
    variants=None,
    authors: bool = False,
):
    """Meta-test ``metric`` against training iterations: the mean over seeds per variant with a
    bootstrap 95% band (from ``MIN_INTERVAL_SEEDS`` seeds up), and each seed as a thin line;
    with ``authors``, the same for the runs of the authors' code (:func:`authors_runs`, dashed,
    black) where they have ``metric``."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
    runs = load_runs(env, root)
    groups = [(v, runs[v], colour(v, k), "-") for k, v in enumerate(variants or sorted(runs))]
    theirs = authors_runs(env, root) if authors else []
    if theirs and metric in theirs[0]["curve"][0]:
        groups.append(("authors' code", theirs, "k", "--"))
    for name, rs, color, style in groups:
        x = np.array([row["iteration"] for row in rs[0]["curve"]])
        y = np.array([[row[metric] for row in r["curve"]] for r in rs])  # [runs, iterations]
        for line in y:
            ax.plot(x, line, style, color=color, alpha=0.25, lw=0.8)
        mean, lo, hi = _mean_ci(y)
        if len(rs) >= MIN_INTERVAL_SEEDS:
            ax.fill_between(x, lo, hi, color=color, alpha=0.15)
        ax.plot(x, mean, style, color=color, lw=2, label=f"{name} ({len(rs)} seeds)")
    ax.set(xlabel="training iteration", ylabel=metric.replace("_", " "), title=env)
    ax.legend(fontsize=7, loc="upper left")
    return fig


def plot_improvement(
    env: str, reference: str, root: Path = RESULTS, split: str = "test", variants=None
):
    """P(``reference`` > other) on the final ep-2 success, with stratified bootstrap 95%
    intervals, for every other variant (or those of ``variants``): above ½, ``reference``
    tends to score higher."""
    import matplotlib.pyplot as plt

    runs = load_runs(env, root)
    others = [v for v in sorted(runs) if v != reference and (variants is None or v in variants)]
    x = scores(runs[reference], split)
    estimates = [poi_ci(x, scores(runs[v], split)) for v in others]
    fig, ax = plt.subplots(figsize=(5.5, 0.5 + 0.45 * len(others)), layout="constrained")
    for k, (point, lo, hi) in enumerate(estimates):
        ax.plot([lo, hi], [k, k], color="tab:blue", lw=4, alpha=0.5)
        ax.plot([point], [k], "o", color="tab:blue")
    ax.axvline(0.5, color="k", ls=":", lw=1)
    ax.set(yticks=range(len(others)), yticklabels=[f"{reference} > {v}" for v in others],
           xlim=(0, 1), xlabel=f"P(X > Y), {split} success in episode 2")  # fmt: skip
    return fig, dict(zip(others, estimates, strict=True))


def plot_episodes(env: str, metric: str = "return", split: str = "test", root: Path = RESULTS):
    """Adaptation within the meta-episode: per variant, the IQM [95% stratified bootstrap CI,
    from ``MIN_INTERVAL_SEEDS`` runs up] of the final meta-test ``metric`` in each episode of the
    meta-episode. A Bayes-adaptive agent explores in episode 1 and scores higher in episode 2."""
    import matplotlib.pyplot as plt

    runs = load_runs(env, root)
    k = len(next(iter(runs.values()))[0]["eval"][split][f"per_task_{metric}"][0])
    fig, ax = plt.subplots(figsize=(5.5, 3.0), layout="constrained")
    width = 0.8 / len(runs)
    for v, variant in enumerate(sorted(runs)):
        for e in range(k):
            point, lo, hi = stratified_bootstrap_ci(scores(runs[variant], split, metric, e))
            x = e + (v - (len(runs) - 1) / 2) * width
            ax.bar(x, point, width, color=colour(variant, v), alpha=0.7,
                   label=variant if e == 0 else None)  # fmt: skip
            if len(runs[variant]) >= MIN_INTERVAL_SEEDS:
                ax.plot([x, x], [lo, hi], color="k", lw=1.5)
    ax.set(xticks=range(k), xticklabels=[f"episode {e + 1}" for e in range(k)],
           ylabel=f"{split} {metric} (IQM, 95% CI)", title=env)  # fmt: skip
    ax.legend(fontsize=7)
    return fig


def write_report(env: str, root: Path = RESULTS) -> str:
    """Write ``summary.md`` and ``curves.png`` beside the runs of ``env`` under ``root``;
    return the summary table."""
    import matplotlib.pyplot as plt

    table = summary_table(env, root)
    (root / env / "summary.md").write_text(table + "\n")
    fig = plot_curves(env, root)
    fig.savefig(root / env / "curves.png", dpi=100)
    plt.close(fig)
    return table


def main(argv: list[str] | None = None) -> int:
    """``python -m simbelief_edu.report [ENV] [--root DIR]`` (default: the shipped results)."""
    parser = argparse.ArgumentParser(prog="python -m simbelief_edu.report")
    parser.add_argument("env", nargs="?", default="point-robot-sparse")
    parser.add_argument("--root", type=Path, default=RESULTS, help="folder of <env>/ run folders")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not load_runs(args.env, args.root):
        print(f"no finished runs of {args.env!r} under {args.root}", file=sys.stderr)
        return 2
    print(write_report(args.env, args.root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
