"""Peak resident memory of a training run at the ``full`` preset, per environment.

    python benchmarks/memory.py [--out benchmarks/results/memory.md]

Each environment is measured in a fresh process: build the run (envs, networks, a replay buffer
of ``buffer_episodes_per_task`` meta-episodes per train task), write every slot of the buffer
(a full buffer, as late in training), then one iteration's phases at the full batch sizes (a
collection, a belief update, a refresh of all stored beliefs, a SAC update with SimBelief's
latent step). Reports the process's peak RSS (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ENVS = ("point-robot-sparse", "cheetah-vel-sparse", "panda-reach-sparse")


def peak_rss_gib(env: str) -> float:
    """Run one full-preset SimBelief iteration's phases for ``env``; return peak RSS in GiB."""
    import numpy as np
    import torch

    from simbelief_edu.configs import make_config
    from simbelief_edu.train import Run

    torch.set_num_threads(1)
    cfg = make_config(env, "full", "simbelief", init_rollouts_per_task=1)
    run = Run(cfg)
    run.collect(np.arange(cfg.tasks_per_iter), random=True)
    for value in run.buffer.data.values():  # touch every page: a full buffer
        value[:] = value[:, :1]
    run.buffer.count[:] = cfg.buffer_episodes_per_task
    run.collect(np.arange(cfg.tasks_per_iter), repeats=cfg.rollouts_per_task)
    cfg.belief_updates_per_iter, cfg.rl_updates_per_iter = 1, 1
    run.update_beliefs()
    run.buffer.refresh_hidden(run.agent)
    run.update_policy()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", help=argparse.SUPPRESS)  # the child process's job
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.env:
        print(peak_rss_gib(args.env))
        return
    lines = ["| env | buffer (meta-episodes × steps per task) | peak RSS (GiB) |", "|---|---|---|"]
    from simbelief_edu.configs import make_config
    from simbelief_edu.envs import make

    for env in ENVS:
        out = subprocess.run([sys.executable, __file__, "--env", env], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        cfg = make_config(env, "full")
        T = make(env).spec.max_episode_steps * cfg.episodes_per_task
        lines.append(f"| {env} | {cfg.buffer_episodes_per_task} × {T} | "
                     f"{float(out.split()[-1]):.2f} |")  # fmt: skip
    text = (
        f"`python benchmarks/memory.py` on {platform.node()} ({platform.machine()}), "
        f"{time.strftime('%Y-%m-%d %H:%M')}: peak RSS of one process running a full-preset "
        f"SimBelief iteration's phases with a full replay buffer.\n\n" + "\n".join(lines) + "\n"
    )
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
