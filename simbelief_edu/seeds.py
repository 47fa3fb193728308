"""K seeds of one config trained in one process, the per-update phase batched over seeds.

The single-seed ``Run`` (``simbelief_edu.train``) stays the reference; this module reuses it.
``SeedRuns`` holds K ordinary runs and trains them in lockstep:

- every network parameter of every run is one slice of a *stacked* tensor [K, ...] (the run's
  parameter is a view of it), so the runs' own code (collection, belief updates, evaluation,
  checkpoints) still works on each run;
- the SAC update and SimBelief's latent step, 86% of an iteration, run once for all K seeds:
  the same methods the single-seed path calls (``SAC.critic_objective``,
  ``SAC.actor_objective``, ``alpha_loss``, ``SimBelief.latent_loss``), called with
  ``torch.func.functional_call`` on one seed's parameters and vectorised over the seed axis
  with ``torch.func.vmap``. One definition of each loss; K small matrix products become one
  batched product, so the per-operation overhead is paid once for K seeds;
- the seeds' losses are summed before ``backward`` (seed k's gradient is the gradient of its
  own loss: the seeds share nothing), and one Adam steps the stacked tensors: Adam and the
  gradient clamp are elementwise, so this is K independent Adams; the gradient-norm clip is
  taken per seed;
- each seed draws its random numbers from its own torch generator state, swapped into the
  global generator around everything it does, in the order the single-seed path draws them;
  the noise of the batched losses (SAC's ε, the latent samples' ε) is drawn per seed and passed
  in. So K seeds batched follow the K separate runs to float tolerance (tested).

Collection, the GRU's belief updates and refreshes, meta-tests and checkpoints stay a loop over
seeds (each writes its own run folder, the same files as a separate run).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path

import torch
from torch import nn
from torch.func import functional_call, vmap

from simbelief_edu.configs import Config
from simbelief_edu.rl.sac import SAC, alpha_loss
from simbelief_edu.train import (
    Run,
    initial_collection,
    load_run,
    sac_inputs,
    save,
)


class _Bound(nn.Module):
    """``fn(module, *args)`` as a module's forward, so ``functional_call`` can swap the
    parameters of ``module`` (named ``module.<name>``) while ``fn`` runs."""

    def __init__(self, module: nn.Module, fn):
        super().__init__()
        self.module, self.fn = module, fn

    def forward(self, *args):
        return self.fn(self.module, *args)


def per_seed(module: nn.Module, fn, params: dict[str, torch.Tensor], *args):
    """``fn(module, *args)`` for every seed at once: ``params`` [K, ...] (names as in
    ``module.named_parameters()``) and ``args`` [K, ...] are split along their first axis."""
    bound = _Bound(module, fn)

    def one(p, *a):
        return functional_call(bound, {f"module.{k}": v for k, v in p.items()}, a)

    return vmap(one)(params, *args)


def stack_parameters(modules: list[nn.Module]) -> dict[str, torch.Tensor]:
    """Stack the parameters of K copies of a module into leaf tensors [K, ...], and make each
    copy's parameters views of its slice (they share memory: updating one updates both)."""
    named = [dict(m.named_parameters()) for m in modules]
    stacked = {}
    for name, first in named[0].items():
        s = torch.stack([n[name].detach() for n in named]).requires_grad_(first.requires_grad)
        for k, n in enumerate(named):
            n[name].data = s.data[k]
        stacked[name] = s
    return stacked


def clip_grad_norm_per_seed(params: list[torch.Tensor], max_norm: float) -> None:
    """``nn.utils.clip_grad_norm_`` for each seed's slice of stacked ``params`` [K, ...]."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([g.flatten(1).pow(2).sum(1) for g in grads]).sum(0).sqrt()  # [K]
    coef = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view(-1, *[1] * (g.dim() - 1)))


def _adam_state_to_runs(stacked: torch.optim.Optimizer, per_run: list) -> None:
    """Write the stacked optimiser's state, slice by slice, into each run's own optimiser
    (whose parameters are the slices), so a run's checkpoint is a single-seed checkpoint."""
    run_params = [opt.param_groups[0]["params"] for opt in per_run]
    for i, p in enumerate(stacked.param_groups[0]["params"]):
        state = stacked.state.get(p)
        for k, opt in enumerate(per_run):
            if state:
                opt.state[run_params[k][i]] = {
                    key: v.clone() if key == "step" else v[k].clone() for key, v in state.items()
                }


def _adam_state_from_runs(stacked: torch.optim.Optimizer, per_run: list) -> None:
    """The reverse of ``_adam_state_to_runs``: stack the runs' optimiser states."""
    run_params = [opt.param_groups[0]["params"] for opt in per_run]
    for i, p in enumerate(stacked.param_groups[0]["params"]):
        states = [opt.state.get(run_params[k][i]) for k, opt in enumerate(per_run)]
        if states[0]:
            stacked.state[p] = {
                key: v.clone() if key == "step" else torch.stack([s[key] for s in states])
                for key, v in states[0].items()
            }


def optimisers(run: Run) -> dict[str, torch.optim.Optimizer]:
    """The optimisers of a run's per-update phase, by name (each has one parameter group)."""
    sac = run.sac
    opts = {"actor_opt": sac.actor_opt, "critic_opt": sac.critic_opt, "alpha_opt": sac.alpha_opt}
    return {**opts, **{f"latent{i}": opt for i, opt in enumerate(run.latent_opts)}}


def _stack(dicts: list[dict[str, torch.Tensor]], device) -> dict[str, torch.Tensor]:
    return {key: torch.stack([d[key] for d in dicts]).to(device) for key in dicts[0]}


class SeedRuns:
    """K runs of one config, differing only in their seed, trained in lockstep.

    ``batched``: run the update phase once for all seeds (vmap); False runs each seed's own
    ``Run.update_policy`` in turn. None (default) batches on a GPU only: on one CPU core the
    batched update measured slower than K single-seed ones (``benchmarks/results/speed.md``).
    """

    def __init__(
        self, runs: list[Run], rng_states: list[torch.Tensor], batched: bool | None = None
    ):
        base = dataclasses.replace(runs[0].cfg, seed=0)
        for run in runs[1:]:
            if dataclasses.replace(run.cfg, seed=0) != base:
                raise ValueError("seeds batched together must share every setting but the seed")
        self.runs, self.rng_states = runs, rng_states
        self.batched = runs[0].device.type == "cuda" if batched is None else batched
        if self.batched and runs[0].cfg.exploration_bonus > 0:
            raise ValueError(
                "exploration_bonus > 0 is not batched over seeds (each seed trains its own RND "
                "predictor): train one seed per process (simbelief-edu train --seed N), or pass "
                "batched=False"
            )
        self.cfg = runs[0].cfg
        self.agent, self.sac = runs[0].agent, runs[0].sac  # the templates functional_call uses
        self.agent_params = stack_parameters([r.agent for r in runs])
        self.sac_params = stack_parameters([r.sac for r in runs])
        names = {id(p): n for n, p in self.agent.named_parameters()}
        names.update({id(p): n for n, p in self.sac.named_parameters()})
        self.stacked_opts: dict[str, torch.optim.Optimizer] = {}
        for key, template in optimisers(runs[0]).items():
            params = [self._stacked(names[id(p)]) for p in template.param_groups[0]["params"]]
            opt = torch.optim.Adam(params, lr=template.param_groups[0]["lr"])
            _adam_state_from_runs(opt, [optimisers(r)[key] for r in runs])
            self.stacked_opts[key] = opt

    def _stacked(self, name: str) -> torch.Tensor:
        return self.agent_params.get(name, self.sac_params.get(name))

    @contextlib.contextmanager
    def own_rng(self, k: int):
        """Run seed ``k``'s code with seed ``k``'s torch generator state."""
        torch.set_rng_state(self.rng_states[k])
        try:
            yield
        finally:
            self.rng_states[k] = torch.get_rng_state()

    # -- the batched per-update phase --------------------------------------------------------
    def _batches(self) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Each seed's SAC batch and noise, drawn from its own generator in the single-seed
        path's order (batch, ε at x', ε at x, then ε of z and z'), stacked [K, ...]."""
        cfg, act_dim = self.cfg, self.sac.actor.mean.out_features
        batches, noise = [], []
        for k, run in enumerate(self.runs):
            with self.own_rng(k):
                b = run.sac_batch()
                size = (cfg.rl_batch_tasks * cfg.rl_batch_per_task, act_dim)
                n = {"next": torch.randn(size), "now": torch.randn(size)}
                if run.latent_opts:
                    shape = (cfg.rl_batch_tasks, cfg.rl_batch_per_task, cfg.task_latent_dim)
                    n["z"], n["z_next"] = torch.randn(shape), torch.randn(shape)
            batches.append(b)
            noise.append(n)
        device = self.runs[0].device
        return _stack(batches, device), _stack(noise, device)

    def update_step(self) -> list[dict[str, torch.Tensor]]:
        """One SAC update (and SimBelief latent step) of every seed; returns the losses [K]."""
        b, eps = self._batches()
        agent_p = {n: p.detach() for n, p in self.agent_params.items()}
        x, act, rew, next_x = per_seed(self.agent, sac_inputs, agent_p, b)  # [K, N·M, ·]
        sac = self.sac_params
        frozen = {n: p.detach() for n, p in sac.items()}
        opts = self.stacked_opts
        # critics, as SAC.update: clamp each gradient value, then an Adam step
        critic_p = {**frozen, **{n: p for n, p in sac.items() if n.startswith("critic.")}}
        loss_q = per_seed(
            self.sac, SAC.critic_objective, critic_p, x, act, rew, next_x, eps["next"]
        )
        opts["critic_opt"].zero_grad()
        loss_q.sum().backward()
        if self.sac.critic_grad_clip < float("inf"):
            params = [p for n, p in sac.items() if n.startswith("critic.")]
            nn.utils.clip_grad_value_(params, self.sac.critic_grad_clip)
        opts["critic_opt"].step()
        # actor, with the updated critics held fixed
        actor_p = {**frozen, **{n: p for n, p in sac.items() if n.startswith("actor.")}}
        loss_pi, log_prob = per_seed(self.sac, SAC.actor_objective, actor_p, x, eps["now"])
        opts["actor_opt"].zero_grad()
        loss_pi.sum().backward()
        opts["actor_opt"].step()
        if self.sac.autotune_alpha:
            target = self.sac.target_entropy
            loss_alpha = vmap(alpha_loss, in_dims=(0, 0, None))(sac["log_alpha"], log_prob, target)
            opts["alpha_opt"].zero_grad()
            loss_alpha.sum().backward()
            opts["alpha_opt"].step()
        with torch.no_grad():
            for n, p in sac.items():
                if n.startswith("critic_target."):
                    p.lerp_(sac[n.replace("critic_target.", "critic.", 1)], self.sac.tau)
        logs = {"critic": loss_q.detach(), "actor": loss_pi.detach()}
        if self.runs[0].latent_opts:
            logs.update(self._latent_step(b, eps))
        return logs

    def _latent_step(self, b: dict, eps: dict) -> dict[str, torch.Tensor]:
        """``Run.latent_step`` for every seed at once."""
        latent_b = {**b, "next_obs": b["true_next_obs"]}

        def latent_loss(agent, batch, e_z, e_next):
            return agent.latent_loss(batch, (e_z, e_next))

        loss, logs = per_seed(
            self.agent, latent_loss, self.agent_params, latent_b, eps["z"], eps["z_next"]
        )
        latent_opts = [self.stacked_opts[k] for k in self.stacked_opts if k.startswith("latent")]
        for opt in latent_opts:
            opt.zero_grad()
        loss.sum().backward()
        for prefix in ("latent_head.", "latent.phi."):
            params = [p for n, p in self.agent_params.items() if n.startswith(prefix)]
            clip_grad_norm_per_seed(params, self.cfg.latent_grad_clip)
        for opt in latent_opts:
            opt.step()
        # the backward also reached parameters no latent optimiser steps: drop those gradients
        for p in self.agent_params.values():
            p.grad = None
        return {k: v.detach() for k, v in logs.items()}

    def update_policy(self) -> list[dict[str, float]]:
        """``Run.update_policy`` of every seed: ``rl_updates_per_iter`` batched steps (or, not
        ``batched``, each run's own, in turn)."""
        if not self.batched:
            out = []
            for k, run in enumerate(self.runs):
                with self.own_rng(k):
                    out.append(run.update_policy())
            return out
        sums: list[dict[str, float]] = [{} for _ in self.runs]
        for _ in range(self.cfg.rl_updates_per_iter):
            step = self.update_step()
            values = torch.stack(list(step.values())).tolist()  # one device sync: [losses][K]
            logs = dict(zip(step, values, strict=True))
            for k, run in enumerate(self.runs):
                run.add_update_logs(sums[k], {name: v[k] for name, v in logs.items()})
        return sums

    # -- checkpoints -----------------------------------------------------------------------------
    def save(self, out_dirs: list[Path]) -> None:
        """Each seed's checkpoint and metrics in its own folder, as a separate run writes."""
        for key, opt in self.stacked_opts.items() if self.batched else ():
            _adam_state_to_runs(opt, [optimisers(r)[key] for r in self.runs])
        for k, (run, out) in enumerate(zip(self.runs, out_dirs, strict=True)):
            with self.own_rng(k):
                save(run, out)


def _check_dirs(out_dirs: list) -> list[Path]:
    out_dirs = [Path(d) for d in out_dirs]
    if len(set(out_dirs)) < len(out_dirs):
        raise ValueError("each seed needs its own output folder")
    return out_dirs


def train_seeds(
    cfgs: list[Config],
    out_dirs: list,
    stop_after: int | None = None,
    progress: bool = True,
    batched: bool | None = None,
) -> SeedRuns:
    """``train(cfg, out_dir)`` for every pair, the seeds in lockstep (``SeedRuns``)."""
    import json

    out_dirs = _check_dirs(out_dirs)
    runs, states = [], []
    for cfg, out in zip(cfgs, out_dirs, strict=True):
        out.mkdir(parents=True, exist_ok=True)
        run = Run(cfg)  # seeds the global generators, builds the networks
        initial_collection(run)
        (out / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2))
        runs.append(run)
        states.append(torch.get_rng_state())
    return _loop(SeedRuns(runs, states, batched), out_dirs, stop_after, progress)


def resume_seeds(
    out_dirs: list,
    stop_after: int | None = None,
    progress: bool = True,
    device: str | None = None,
    batched: bool | None = None,
) -> SeedRuns:
    """``resume`` every run folder of a K-seed run (or any runs of one config), in lockstep."""
    out_dirs = _check_dirs(out_dirs)
    runs, states = [], []
    for out in out_dirs:
        runs.append(load_run(out, device))  # restores the run's generator state
        states.append(torch.get_rng_state())
    iterations = {run.iteration for run in runs}
    if len(iterations) > 1:
        raise ValueError(
            f"runs resumed together must be at the same iteration, got {sorted(iterations)}"
        )
    return _loop(SeedRuns(runs, states, batched), out_dirs, stop_after, progress)


def _loop(
    seeds: SeedRuns, out_dirs: list[Path], stop_after: int | None, progress: bool
) -> SeedRuns:
    """``train._loop`` for K seeds: per-seed phases in a loop, the update phase batched."""
    from tqdm.auto import tqdm

    cfg, runs = seeds.cfg, seeds.runs
    first = runs[0].iteration
    last = cfg.num_iters if stop_after is None else min(cfg.num_iters, first + stop_after)
    bar = tqdm(range(first, last), initial=first, total=cfg.num_iters, disable=not progress,
               desc=f"{cfg.agent} {cfg.env} × {len(runs)} seeds")  # fmt: skip
    for _ in bar:
        own, collected = [], []
        for k, run in enumerate(runs):
            start = time.perf_counter()
            with seeds.own_rng(k):
                collected.append(run.collect_and_update_beliefs())
            own.append(time.perf_counter() - start)
        start = time.perf_counter()
        rl_losses = seeds.update_policy()
        shared = (time.perf_counter() - start) / len(runs)  # each seed's share
        for k, run in enumerate(runs):
            with seeds.own_rng(k):
                run.finish_iteration(*collected[k], rl_losses[k], own[k] + shared)
        iteration = runs[0].iteration
        if iteration % cfg.checkpoint_every == 0 or iteration in (last, cfg.num_iters):
            seeds.save(out_dirs)
    return seeds
