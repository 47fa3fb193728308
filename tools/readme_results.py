"""Write the results tables of README.md from the shipped runs, so they cannot drift.

Each block of README.md between ``<!-- results: ENV [ROOT] -->`` and ``<!-- end results -->``
is replaced by ``simbelief_edu.report.summary_table(ENV, ROOT)`` (ROOT relative to
``simbelief_edu/results``; default: the main studies) and, for the pairs of agents that both
have at least 5 seeds, the probability of improvement on episode-2 test success.

    python tools/readme_results.py          # rewrite the blocks
    python tools/readme_results.py --check  # exit 1 if a block is stale (the tests run this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from simbelief_edu import report

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- results: (\S+)(?: (\S+))? -->\n)(.*?)(<!-- end results -->)", re.S)
PAIRS = [  # printed where both variants of a pair are in the block
    ("simbelief", "varibad"),
    ("simbelief", "no-anchor"),
    ("no-anchor", "varibad"),
    ("simbelief", "no-metric"),
    ("simbelief", "varibad-equal-time"),  # chapter 10, dense family: equal wall time
    ("varibad-rnd", "varibad"),  # chapter 10, plain family: the exploration bonus
    ("simbelief", "varibad-rnd"),
    ("stored-beliefs", "simbelief"),  # chapter 6.7, the anchor experiment
    ("stored-beliefs", "stored-beliefs-no-anchor"),
    ("no-anchor", "stored-beliefs-no-anchor"),
    ("no-anchor", "stored-beliefs"),
]


def block(env: str, root: Path) -> str:
    lines = [report.summary_table(env, root), ""]
    runs = report.load_runs(env, root)
    for x, y in PAIRS:
        if x in runs and y in runs and min(len(runs[x]), len(runs[y])) >= report.MIN_SEEDS:
            p, lo, hi, _ = report.judge(runs[x], runs[y], x, y)  # ep-2 test success
            lines.append(f"P({x} > {y}), ep-2 test success: {p:.2f} [{lo:.2f}, {hi:.2f}]  ")
    if len(lines) == 2:
        need = report.MIN_SEEDS
        lines.append(f"(No probability of improvement: it needs {need} seeds of each agent.)")
    return "\n".join(lines).rstrip() + "\n"


def render(text: str) -> str:
    def replace(m: re.Match) -> str:
        root = report.RESULTS / m.group(3) if m.group(3) else report.RESULTS
        return m.group(1) + block(m.group(2), root) + m.group(5)

    return BLOCK.sub(replace, text)


def main(argv: list[str]) -> int:
    text = README.read_text()
    new = render(text)
    if "--check" in argv:
        if new != text:
            print("README.md results are stale: run python tools/readme_results.py")
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
