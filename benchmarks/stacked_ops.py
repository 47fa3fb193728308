"""Why batching seeds barely pays on one CPU core: per-op overhead against the work itself.

    python benchmarks/stacked_ops.py [--k 5] [--out FILE.md]

Two measurements, one torch thread:

1. One single-seed update of ``full`` Point-Robot SimBelief (``SAC.update`` and the latent
   step on a 16 × 256 batch): its time, the number of aten operations it dispatches (counted
   with a ``TorchDispatchMode``), and that number times the cost of dispatching one tiny op
   (an add on 1-element tensors, recorded by autograd): the part of the step that is per-op
   overhead, the only part that batching K seeds into one op removes.
2. The step's typical ops on K separate [4096, width] tensors against one stacked
   [K, 4096, width] tensor: the matrix product (mm × K against bmm) and the elementwise ops
   (ReLU forward and backward, bias add). Stacked tensors are K times larger and fall out of
   the core's caches, so elementwise ops get slower per seed.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from simbelief_edu.configs import make_config
from simbelief_edu.train import Run, sac_inputs


class CountOps(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.n = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.n += 1
        return func(*args, **(kwargs or {}))


def per_call(fn, repeat: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    run = Run(make_config("point-robot-sparse", "full", init_rollouts_per_task=1))
    for ids in np.array_split(np.arange(16), 2):
        run.collect(ids, random=True)

    def step():
        b = run.sac_batch()
        run.sac.update(*sac_inputs(run.agent, b))
        run.latent_step(b)

    seconds = per_call(step, 10)
    with CountOps() as counter:
        step()
    a, b = torch.ones(1, requires_grad=True), torch.ones(1)  # an op autograd records
    tiny = per_call(lambda: torch.add(a, b), 20000)
    k, width = args.k, 256
    x1, xk = torch.randn(4096, width), torch.randn(k, 4096, width)
    g1, gk = torch.randn(4096, width), torch.randn(k, 4096, width)
    bias1, biask = torch.randn(width), torch.randn(k, 1, width)
    w1, wk = torch.randn(width, width), torch.randn(k, width, width)
    ops = {
        f"matrix product [4096, {width}] × [{width}, {width}]": (
            lambda: x1 @ w1, lambda: torch.bmm(xk, wk)),
        "ReLU": (lambda: torch.relu(x1), lambda: torch.relu(xk)),
        "ReLU backward": (lambda: torch.ops.aten.threshold_backward(g1, x1, 0.0),
                          lambda: torch.ops.aten.threshold_backward(gk, xk, 0.0)),
        "bias add": (lambda: x1 + bias1, lambda: xk + biask),
    }  # fmt: skip
    lines = [
        f"`python benchmarks/stacked_ops.py --k {k}` on {platform.node()}, torch "
        f"{torch.__version__}, 1 thread, {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        f"One single-seed update (SAC + latent step, full Point-Robot): {1e3 * seconds:.1f} ms, "
        f"{counter.n} aten ops; one tiny op costs {1e6 * tiny:.1f} µs, so dispatch overhead "
        f"is about {1e3 * counter.n * tiny:.1f} ms ({100 * counter.n * tiny / seconds:.0f}% "
        "of the step).",
        "",
        f"| op | {k} separate [4096, {width}] (ms) | one stacked [{k}, 4096, {width}] (ms) | "
        "stacked / separate |",
        "|---|---|---|---|",
    ]
    for name, (one, stacked) in ops.items():
        separate, together = k * per_call(one, 30), per_call(stacked, 30)
        lines.append(f"| {name} | {1e3 * separate:.2f} | {1e3 * together:.2f} | "
                     f"{together / separate:.2f} |")  # fmt: skip
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
