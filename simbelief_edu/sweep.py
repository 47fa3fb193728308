"""Sweeps: train, meta-test and report a grid of runs (env × agent × seed, one shared budget).

    simbelief-edu sweep sweeps/sparse_study.toml --jobs 2          # a local pool of 2 runs
    simbelief-edu sweep --env point-robot-sparse --seeds 1 2 3 --scale smoke --out runs/pr
    simbelief-edu sweep sweeps/paper.toml --backend ray --address auto   # on a Ray cluster
    simbelief-edu sweep sweeps/paper.toml --vectorize-seeds --device cuda # seeds batched

Each trial is one ``simbelief-edu train`` run folder, ``<out>/<env>/<agent>-seed<N>``, trained
and then meta-tested (``eval.json``) in its own process with one torch thread; its output goes
to ``sweep.log`` in that folder. A sweep is resumable: a run with an ``eval.json`` is finished
and skipped, a killed one continues from its ``checkpoint.pt``. At the end, each env's finished
runs are summarised (``simbelief_edu.report``) into ``<out>/<env>/summary.md``, ``curves.png``
and ``episodes.png``. With ``vectorize_seeds`` (``--vectorize-seeds``) the seeds of each env ×
agent train together in one process (``simbelief-edu train --seeds``, ``simbelief_edu.seeds``),
into the same run folders; the process's output goes to the first seed's ``sweep.log``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from simbelief_edu.configs import AGENTS, FULL, make_config
from simbelief_edu.device import check_device
from simbelief_edu.runtime import SCALES

RAY_HINT = 'the ray backend needs ray: pip install "simbelief-edu[sweep]"'
SMALL_FILES = ("config.json", "metrics.csv", "eval.json", "commands.txt", "versions.json")


@dataclass
class Grid:
    """What a sweep trains: every env × agent × seed at ``scale``, with ``overrides`` (the
    ``[set]`` table of a TOML file, ``--set field=value`` on the command line) applied to all."""

    envs: list[str] = field(default_factory=lambda: ["point-robot-sparse"])
    agents: list[str] = field(default_factory=lambda: list(AGENTS))
    seeds: list[int] = field(default_factory=lambda: [1])
    scale: str = "full"
    overrides: dict[str, object] = field(default_factory=dict)
    out: str = "runs"
    device: str = "auto"
    vectorize_seeds: bool = False


@dataclass(frozen=True)
class Trial:
    """One run of the grid."""

    env: str
    agent: str
    seed: int


TOML_KEYS = {"envs": "envs", "agents": "agents", "seeds": "seeds", "scale": "scale",
             "set": "overrides", "out": "out", "device": "device",
             "vectorize_seeds": "vectorize_seeds"}  # fmt: skip


def _tomllib():
    """``tomllib`` (Python ≥ 3.11), else the ``tomli`` backport."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise ImportError("reading a TOML grid on Python 3.10 needs tomli: "
                              "pip install tomli") from None  # fmt: skip
    return tomllib


def load_grid(path: str | Path) -> Grid:
    """Read a grid from a TOML file with the keys ``envs agents seeds scale out`` and a
    ``[set]`` table of config overrides; unknown keys are an error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no sweep file at {path}")
    data = _tomllib().loads(path.read_text())
    unknown = sorted(set(data) - set(TOML_KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)}; "
                         f"a sweep file has {', '.join(TOML_KEYS)}")  # fmt: skip
    return Grid(**{TOML_KEYS[k]: v for k, v in data.items()})


def trials(grid: Grid) -> list[Trial]:
    """Check the grid and list its trials seed by seed (so a partial sweep has every env and
    agent at the same seeds). Every config is built once here, so a bad env id, agent, scale
    or override fails before anything runs."""
    for name, values, known in (("env", grid.envs, FULL), ("agent", grid.agents, AGENTS)):
        if not isinstance(values, list) or not values:
            raise ValueError(f"{name}s must be a list without repeats, got {values!r}")
        for value in values:
            if not isinstance(value, str) or value not in known:
                raise ValueError(f"unknown {name} {value!r}; choose from {', '.join(known)}")
        if len(set(values)) < len(values):
            raise ValueError(f"{name}s must be a list without repeats, got {values!r}")
    seeds = grid.seeds if isinstance(grid.seeds, list) else []
    valid = all(type(s) is int and s >= 0 for s in seeds) and len(set(seeds)) == len(seeds)
    if not seeds or not valid:
        raise ValueError(f"seeds must be a list of distinct non-negative ints, got {grid.seeds!r}")
    if grid.scale not in SCALES:
        raise ValueError(f"unknown scale {grid.scale!r}; choose from {', '.join(SCALES)}")
    if not isinstance(grid.out, str):
        raise ValueError(f"out must be a folder name, got {grid.out!r}")
    if not isinstance(grid.overrides, dict):
        raise ValueError(f"[set] must be a table of field = value, got {grid.overrides!r}")
    fixed = sorted(set(grid.overrides) & {"env", "agent", "scale", "seed", "device"})
    if fixed:
        raise ValueError(f"{', '.join(fixed)} cannot be set per run; give the grid's "
                         "envs, agents, scale, seeds and device instead")  # fmt: skip
    check_device(grid.device)
    if not isinstance(grid.vectorize_seeds, bool):
        raise ValueError(f"vectorize_seeds must be true or false, got {grid.vectorize_seeds!r}")
    out = [Trial(e, a, s) for s in grid.seeds for e in grid.envs for a in grid.agents]
    for t in out:
        make_config(t.env, grid.scale, t.agent, seed=t.seed, **grid.overrides)
    return out


def run_dir(grid: Grid, trial: Trial) -> Path:
    """``<out>/<env>/<agent>-seed<N>``, the layout of ``results/run_sparse_study.sh``."""
    return Path(grid.out) / trial.env / f"{trial.agent}-seed{trial.seed}"


def check_existing(grid: Grid, trial: Trial) -> None:
    """Refuse to skip or resume a run folder that was trained with other settings."""
    path = run_dir(grid, trial) / "config.json"
    if not path.is_file():
        return
    saved = json.loads(path.read_text())
    wanted = dataclasses.asdict(
        make_config(trial.env, grid.scale, trial.agent, seed=trial.seed, **grid.overrides)
    )
    differ = [k for k in wanted if saved.get(k) != wanted[k] and k != "device"]
    if differ:
        shown = ", ".join(f"{k}={saved.get(k)!r} (sweep: {wanted[k]!r})" for k in differ)
        raise ValueError(f"{path.parent} holds a run with other settings: {shown}; "
                         "use another out folder or remove it")  # fmt: skip


def train_and_eval(grid: Grid, trial: Trial) -> int:
    """In the trial's own process: train (or resume) the run, then meta-test it. ``eval.json``
    appears last, in one rename, so it marks a finished run."""
    from simbelief_edu.cli import main as cli

    folder = run_dir(grid, trial)
    device = ["--device", grid.device]
    if (folder / "checkpoint.pt").exists():
        argv = ["train", "--resume", str(folder), *device]
    else:
        argv = ["train", "--env", trial.env, "--agent", trial.agent, "--scale", grid.scale,
                "--seed", str(trial.seed), "--out", str(folder), *device]  # fmt: skip
        argv += [f"--set={k}={v}" for k, v in grid.overrides.items()]
    tmp = folder / "eval.json.tmp"
    code = cli(argv) or cli(["eval", str(folder), "--out", str(tmp), *device])
    if code == 0:
        tmp.replace(folder / "eval.json")
    return code


def train_and_eval_seeds(grid: Grid, group: list[Trial]) -> int:
    """In one process: train (or resume) the seeds of one env × agent together, batched, then
    meta-test each; a group where only some runs have a checkpoint goes run by run."""
    from simbelief_edu.cli import main as cli

    folders = [run_dir(grid, t) for t in group]
    started = [(f / "checkpoint.pt").exists() for f in folders]
    if any(started) and not all(started):
        return max(train_and_eval(grid, t) for t in group)
    device = ["--device", grid.device]
    if all(started):
        argv = ["train", "--resume", *map(str, folders), *device]
    else:
        t = group[0]
        out = str(Path(grid.out) / t.env / f"{t.agent}-seed{{seed}}")
        argv = ["train", "--env", t.env, "--agent", t.agent, "--scale", grid.scale, "--seeds",
                *[str(t.seed) for t in group], "--out", out, *device]  # fmt: skip
        argv += [f"--set={k}={v}" for k, v in grid.overrides.items()]
    code = cli(argv)
    for folder in folders:
        tmp = folder / "eval.json.tmp"
        code = code or cli(["eval", str(folder), "--out", str(tmp), *device])
        if code == 0:
            tmp.replace(folder / "eval.json")
    return code


def run_trial(grid: Grid, trials: tuple[Trial, ...]) -> list[tuple[str, dict[str, str]]]:
    """Run a trial (or, batched, the seeds of one env × agent) in a fresh Python process with
    one thread; return each trial's status and small files (so a Ray driver without a shared
    filesystem still gets the results)."""
    folders = [run_dir(grid, t) for t in trials]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    spec = json.dumps({"grid": dataclasses.asdict(grid),
                       "trials": [dataclasses.asdict(t) for t in trials]})  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    start = time.perf_counter()
    with open(folders[0] / "sweep.log", "a") as log:
        cmd = [sys.executable, "-m", "simbelief_edu.sweep", spec]
        code = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    out = []
    for folder in folders:
        if not (folder / "eval.json").is_file():
            out.append((f"failed (exit {code}), see {folders[0] / 'sweep.log'}", {}))
            continue
        files = {n: (folder / n).read_text() for n in SMALL_FILES if (folder / n).is_file()}
        out.append((f"done in {time.perf_counter() - start:.0f} s", files))
    return out


def units(grid: Grid, todo: list[Trial]) -> list[tuple[Trial, ...]]:
    """What one process runs: a trial, or with ``vectorize_seeds`` the seeds of an env × agent."""
    if not grid.vectorize_seeds:
        return [(t,) for t in todo]
    groups: dict[tuple[str, str], list[Trial]] = {}
    for t in todo:
        groups.setdefault((t.env, t.agent), []).append(t)
    return [tuple(g) for g in groups.values()]


def store(folder: Path, files: dict[str, str]) -> None:
    """Write a trial's small files into ``folder`` where they are missing or differ."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in sorted(files, key=lambda n: n == "eval.json"):  # the finished marker last
        path = folder / name
        if not path.is_file() or path.read_text() != files[name]:
            path.write_text(files[name])


def run_local(grid: Grid, todo: list[Trial], jobs: int) -> list[tuple[str, dict]]:
    """The trials on this machine, ``jobs`` at a time (each in its own process)."""
    results: dict[Trial, tuple] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_trial, grid, u): u for u in units(grid, todo)}
        for future in as_completed(futures):
            for t, result in zip(futures[future], future.result(), strict=True):
                results[t] = _finish(grid, t, result, len(results), len(todo))
    return [results[t] for t in todo]


def import_ray():
    """``ray``, or an error naming the pip command that installs it."""
    try:
        import ray
    except ImportError:
        raise ImportError(RAY_HINT) from None
    return ray


def run_ray(grid: Grid, todo: list[Trial], jobs: int, address: str | None):
    """The trials as Ray tasks of one CPU each, on the cluster at ``address`` (``auto``: the
    one started on this machine by ``ray start``), else on a new local Ray with ``jobs`` CPUs."""
    ray = import_ray()
    if not ray.is_initialized():
        if address:
            ray.init(address=address)
        else:  # "local": a new instance, even where `ray start` ran before
            ray.init(address="local", num_cpus=jobs)
    remote = ray.remote(num_cpus=1)(run_trial)
    refs = {remote.remote(grid, u): u for u in units(grid, todo)}
    results, pending = {}, list(refs)
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        for t, result in zip(refs[ready[0]], ray.get(ready[0]), strict=True):
            results[t] = _finish(grid, t, result, len(results), len(todo))
    return [results[t] for t in todo]


def _finish(grid: Grid, trial: Trial, result: tuple, k: int, n: int) -> tuple:
    status, files = result
    store(run_dir(grid, trial), files)
    print(f"[{k + 1}/{n}] {trial.env} {trial.agent} seed {trial.seed}: {status}", flush=True)
    return result


def report(grid: Grid) -> None:
    """Summaries and figures of each env's finished runs, beside them."""
    import matplotlib.pyplot as plt

    from simbelief_edu.report import load_runs, plot_episodes, write_report

    root = Path(grid.out)
    for env in grid.envs:
        if not load_runs(env, root):
            continue
        print(f"\n{env}\n" + write_report(env, root))
        fig = plot_episodes(env, "success", root=root)
        fig.savefig(root / env / "episodes.png", dpi=100)
        plt.close("all")
    print(f"\nsummaries and figures in {root}/<env>/")


def sweep(grid: Grid, backend: str = "local", jobs: int = 1, address: str | None = None):
    """Run the unfinished trials of ``grid`` on ``backend`` (``local`` or ``ray``), then report.
    Returns the trials that failed."""
    todo = trials(grid)
    grid = dataclasses.replace(grid, out=str(Path(grid.out).resolve()))  # for Ray workers
    if jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {jobs}")
    if backend not in ("local", "ray"):
        raise ValueError(f"unknown backend {backend!r}; choose local or ray")
    if backend == "ray":
        import_ray()
    for t in todo:
        check_existing(grid, t)
    done = [t for t in todo if (run_dir(grid, t) / "eval.json").is_file()]
    todo = [t for t in todo if t not in done]
    print(f"{len(done)} finished runs skipped, {len(todo)} to run on {backend}", flush=True)
    if backend == "ray" and todo:
        results = run_ray(grid, todo, jobs, address)
    else:
        results = run_local(grid, todo, jobs)
    report(grid)
    return [t for t, (_, files) in zip(todo, results, strict=True) if not files]


if __name__ == "__main__":  # a trial or a seed group, in its own process: ... sweep SPEC
    spec = json.loads(sys.argv[1])
    grid, group = Grid(**spec["grid"]), [Trial(**t) for t in spec["trials"]]
    if len(group) == 1:
        sys.exit(train_and_eval(grid, group[0]))
    sys.exit(train_and_eval_seeds(grid, group))
