"""Record in each shipped ``eval.json`` the tasks its per-task scores belong to, where the run
was evaluated before ``evaluate.meta_test`` wrote them (``"tasks"`` of each split).

A run's test tasks are the fixed test pool in the order its seed draws them, and its OOD
tasks are drawn afresh from the same generator; both are recomputed here exactly as training
drew them (``train.run_tasks``, which ``trained.load_agent`` uses too). ``report.scores``
needs the tasks to line up the columns of runs of different seeds.

    python tools/eval_tasks.py [ROOT]   # default: simbelief_edu/results; files without tasks
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from simbelief_edu import report
from simbelief_edu.configs import make_env
from simbelief_edu.files import read_config
from simbelief_edu.train import run_tasks


def fill(eval_path: Path) -> bool:
    """Add the missing ``tasks`` to one ``eval.json``; True when it was changed."""
    ev = json.loads(eval_path.read_text())
    splits = [s for s in ("test", "ood") if s in ev and "tasks" not in ev[s]]
    if not splits:
        return False
    cfg = read_config(eval_path.parent / "config.json", "the run folder is damaged")
    tasks = run_tasks(make_env(cfg), cfg)
    for split in splits:
        if len(tasks[split]) != len(ev[split]["per_task_success"]):
            raise ValueError(f"{eval_path}: {len(tasks[split])} {split} tasks recomputed, "
                             f"{len(ev[split]['per_task_success'])} scored")  # fmt: skip
        ev[split]["tasks"] = tasks[split].astype(np.float64).tolist()
    eval_path.write_text(json.dumps(ev, indent=2))  # as `simbelief-edu eval` writes it
    return True


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else report.RESULTS
    changed = [p for p in sorted(root.rglob("eval.json")) if fill(p)]
    for p in changed:
        print(f"tasks added: {p.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
