"""Summaries of shipped training runs (``simbelief_edu/results/<env>/<agent>-seed<N>/``).

Each run folder holds what the CLI wrote: ``config.json``, ``metrics.csv`` (meta-test curve),
``eval.json`` (final meta-test on test and OOD tasks), ``commands.txt`` (the exact commands,
with the git hash). ``python -m simbelief_edu.report <env>`` prints the table of mean ± std
over seeds and writes it to ``summary.md`` beside the runs, with the curves in ``curves.png``.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"


def load_runs(env: str, root: Path = RESULTS) -> dict[str, list[dict]]:
    """Runs of ``env`` per agent: each a dict with its config, curve rows and final eval."""
    runs: dict[str, list[dict]] = {}
    for folder in sorted((root / env).glob("*-seed*")):
        with open(folder / "metrics.csv") as f:
            curve = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
        run = {
            "folder": folder.name,
            "config": json.loads((folder / "config.json").read_text()),
            "curve": curve,
            "eval": json.loads((folder / "eval.json").read_text()),
            "commands": (folder / "commands.txt").read_text().strip().splitlines(),
        }
        runs.setdefault(run["config"]["agent"], []).append(run)
    return runs


def _mean_std(values: list[float]) -> str:
    return f"{np.mean(values):.2f} ± {np.std(values):.2f}"


def summary_table(env: str, root: Path = RESULTS) -> str:
    """Markdown table: final meta-test success/return per episode (test and OOD), mean ± std
    over seeds, with the seeds and the wall time of training."""
    runs = load_runs(env, root)
    lines = [
        "| agent | seeds | train time (min) | test success ep1 | test success ep2 | "
        "test success any | test return ep2 | OOD success ep2 | OOD success any |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for agent, rs in sorted(runs.items()):
        ev = [r["eval"] for r in rs]
        lines.append(
            f"| {agent} | {', '.join(str(r['config']['seed']) for r in rs)} "
            f"| {_mean_std([r['curve'][-1]['wall_time'] / 60 for r in rs])} "
            f"| {_mean_std([e['test']['success'][0] for e in ev])} "
            f"| {_mean_std([e['test']['success'][-1] for e in ev])} "
            f"| {_mean_std([e['test']['success_any'] for e in ev])} "
            f"| {_mean_std([e['test']['return'][-1] for e in ev])} "
            f"| {_mean_std([e['ood']['success'][-1] for e in ev])} "
            f"| {_mean_std([e['ood']['success_any'] for e in ev])} |"
        )
    return "\n".join(lines)


def plot_curves(env: str, root: Path = RESULTS, metric: str = "test_success_ep2"):
    """Meta-test ``metric`` against training wall time: one line per seed, mean per agent."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
    for k, (agent, rs) in enumerate(sorted(load_runs(env, root).items())):
        color = f"C{k}"
        for r in rs:
            minutes = [row["wall_time"] / 60 for row in r["curve"]]
            ax.plot(minutes, [row[metric] for row in r["curve"]], color=color, alpha=0.3, lw=1)
        mean = np.mean([[row[metric] for row in r["curve"]] for r in rs], axis=0)
        minutes = np.mean([[row["wall_time"] / 60 for row in r["curve"]] for r in rs], axis=0)
        ax.plot(minutes, mean, color=color, lw=2, label=f"{agent} (mean of {len(rs)} seeds)")
    ax.set(
        xlabel="training wall time (min, 1 thread)", ylabel=metric.replace("_", " "), ylim=(0, 1)
    )
    ax.legend(loc="lower right")
    ax.set_title(env)
    return fig


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    env = argv[0] if argv else "point-robot-sparse"
    if not (RESULTS / env).is_dir():
        print(f"no shipped results for {env!r} under {RESULTS}", file=sys.stderr)
        return 2
    table = summary_table(env)
    print(table)
    (RESULTS / env / "summary.md").write_text(table + "\n")
    plot_curves(env).savefig(RESULTS / env / "curves.png", dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
