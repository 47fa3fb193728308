"""The table of pilots behind a CPU-scale setting (book chapters 7 and 8), from the shipped runs.

Rows: the pilots in ``simbelief_edu/results/ENV/pilots/`` and, for reference, the shipped runs
of the same agent at the old "1% budget" (``results/ENV/varibad-seed*``). For each run: its
knobs (the config values and env kwargs that differ from the ``full`` preset), iterations, env
steps, wall time, test success per episode, and the "learns" line of the issue that asked for
the pilots, beside the policy that does nothing (``evaluate.zero_action_success``) on the same
test tasks:

* Cheetah-Vel-Sparse: mean episode-2 hold success over the test targets >= 1.0 (standing still
  can be within the band only for slower targets); "learns" if at least 0.2 above doing nothing.
* Panda-Reach-Sparse: share of test tasks whose goal is reached (episode-2 hold success > 0:
  within the radius in the episode's second half); "learns" if at least 0.3.

    python tools/pilot_report.py ENV           # print the table
    python tools/pilot_report.py ENV --write   # put it in results/ENV/pilots.md between markers
    python tools/pilot_report.py ENV --check   # exit 1 if pilots.md is stale (the tests run this)
"""

from __future__ import annotations

import re
import sys

from simbelief_edu import pilots, report
from simbelief_edu.configs import preset_diff

BLOCK = re.compile(r"(<!-- pilots -->\n)(.*?)(<!-- end pilots -->)", re.S)


def knobs(cfg: dict) -> str:
    """The config values of a run that differ from its env's ``full`` preset."""
    return ", ".join(f"{k}={v}" for k, v in preset_diff(cfg).items())


def table(env: str) -> str:
    root = report.RESULTS / env
    rows = [(f"pilots/{r['folder']}", r)
            for runs in report.load_runs("pilots", root).values() for r in runs]  # fmt: skip
    rows += [(f"{r['folder']} (1% budget)", r) for r in report.load_runs(env).get("varibad", [])]
    line = ("hold success ep2, targets >= 1.0 (agent / doing nothing, n)"
            if env == "cheetah-vel-sparse" else
            "test goals reached ep2 (agent / doing nothing, n)")  # fmt: skip
    head = "| run | knobs (vs the `full` preset) | iterations | env steps | wall min | test success"
    out = [f"{head} ep1 / ep2 | {line} | learns |", "|---|---|---|---|---|---|---|---|"]
    for name, r in rows:
        last = r["curve"][-1]
        ep = r["eval"]["test"]["success"]
        score, idle, n = pilots.learns_line(r)
        out.append(
            f"| {name} | {knobs(r['config'])} | {int(last['iteration'])} | "
            f"{int(last['env_steps']):,} | {last['wall_time'] / 60:.0f} | "
            f"{ep[0]:.2f} / {ep[1]:.2f} | {score:.2f} / {idle:.2f}, {n} | "
            f"{'yes' if pilots.learns(env, score, idle) else 'no'} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    env = argv[0]
    path = report.RESULTS / env / "pilots.md"
    if "--write" in argv or "--check" in argv:
        text = path.read_text()
        new = BLOCK.sub(lambda m: m.group(1) + table(env) + m.group(3), text)
        if "--check" in argv:
            if new != text:
                print(f"{path} is stale: run python tools/pilot_report.py {env} --write")
                return 1
            return 0
        path.write_text(new)
        return 0
    print(table(env))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
