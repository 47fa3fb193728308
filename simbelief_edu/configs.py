"""Training configurations: one dataclass, with a preset per environment × scale.

``full`` follows the authors' settings (the paper's appendix and the public code; book chapter 6
lists each one beside ours); ``smoke`` shrinks every budget so a run finishes in seconds (tests,
CI, the book at smoke scale). ``make_config`` applies a preset and
then any overrides, and checks every value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from simbelief_edu.device import check_device
from simbelief_edu.envs import ENV_IDS, make
from simbelief_edu.runtime import SCALES

AGENTS = ("simbelief", "varibad")
OFF_AT_ZERO = ("metric_weight", "anchor_weight", "exploration_bonus")  # weights 0 switches off


@dataclass
class Config:
    env: str = "point-robot-sparse"
    """environment alias (see ``simbelief_edu.envs.ENV_IDS``)"""
    agent: str = "simbelief"
    """``simbelief`` (belief VAE + latent dynamics + metric) or ``varibad`` (belief VAE only)"""
    scale: str = "full"
    """the preset this config came from: ``smoke`` or ``full``"""
    seed: int = 0
    """seeds Python, NumPy, PyTorch and every environment reset"""
    device: str = "auto"
    """where the networks, optimisers and replay buffer live: ``auto`` (CUDA when available,
    resolved when a run starts or resumes, so a run saved as ``auto`` resumes anywhere),
    ``cpu`` or ``cuda``; not part of the experiment (a run may resume on another device)"""

    # tasks and meta-episodes
    num_train_tasks: int = 80
    """meta-training tasks (the env's train pool)"""
    num_test_tasks: int = 20
    """held-out meta-test tasks (the env's test pool); as many OOD tasks are drawn"""
    episodes_per_task: int = 2
    """episodes per meta-episode (``max_rollouts_per_task``)"""
    env_kwargs: dict = field(default_factory=dict)
    """the task family's knobs: keyword arguments of the environment's constructor (e.g.
    ``{"vel_threshold": 1.0}``) and ``horizon`` (steps per episode); empty: the paper's task
    family. On the command line: ``--set env_kwargs.vel_threshold=1.0``"""

    # the training loop (book chapter 6, "one training iteration")
    num_iters: int = 4000
    """training iterations"""
    tasks_per_iter: int = 5
    """train tasks whose meta-episodes are collected each iteration (``num_tasks_sample``)"""
    rollouts_per_task: int = 5
    """meta-episodes collected in each of those tasks per iteration (``num_rollouts_per_iter``)"""
    init_rollouts_per_task: int = 5
    """random-action meta-episodes per train task before training (``num_init_rollouts_pool``)"""
    rl_updates_per_iter: int = 1000
    """SAC gradient steps per iteration"""
    belief_updates_per_iter: int = 25
    """belief-model gradient steps per iteration (``vae_updates_per_iter``)"""
    refresh_beliefs_every: int = 1
    """iterations between recomputations of the belief features stored in the buffer"""
    rl_batch_tasks: int = 16
    """tasks in one SAC batch (``meta_batch``); latent-metric pairs come from it"""
    rl_batch_per_task: int = 256
    """transitions per task in one SAC batch"""
    belief_batch_tasks: int = 16
    """distinct tasks in one belief (ELBO) batch"""
    belief_batch_episodes_per_task: int = 2
    """meta-episodes per task in one belief batch (``vae_batch_num_rollouts_per_task``)"""
    max_elbos: int = 50
    """belief time steps whose ELBO is decoded per update (all of them when T+1 ≤ this)"""
    buffer_episodes_per_task: int = 100
    """meta-episodes kept per task (oldest dropped first)"""
    eval_every: int = 50
    """iterations between meta-test evaluations"""
    eval_meta_episodes: int = 5
    """meta-episodes per task in the final evaluation (``simbelief-edu eval``)"""
    checkpoint_every: int = 50
    """iterations between checkpoints (a killed run resumes from the last one)"""

    # networks
    task_latent_dim: int = 10
    """dimension of the task latents m and z"""
    gru_hidden: int = 128
    """GRU hidden size of the belief encoder"""
    state_latent_dim: int = 32
    """dimension of φ(s)"""
    policy_hidden: int = 128
    """width of the two hidden layers of actor and critics"""

    # optimisation
    gamma: float = 0.9
    """SAC discount factor γ"""
    lr_policy: float = 7e-5
    """SAC learning rate (actor and critics)"""
    critic_grad_clip: float = 18.0
    """critic gradients clamped elementwise to ±this (``clip_grad_value``)"""
    lr_belief: float = 1e-3
    """learning rate of the belief VAE (GRU encoder and reward decoder)"""
    lr_latent: float = 3e-4
    """learning rate of the latent belief head, φ and the inverse model"""
    lr_latent_models: float = 1e-3
    """learning rate of the latent transition P̂ and latent reward R̂"""
    latent_grad_clip: float = 1.0
    """gradient-norm clip of the latent belief head and of φ"""
    tau: float = 0.005
    """Polyak rate of the target critics"""
    alpha: float = 0.01
    """SAC entropy temperature (its initial value when ``autotune_alpha``)"""
    autotune_alpha: bool = False
    """tune α towards the target entropy −|A|"""
    kl_weight: float = 0.1
    """weight of the KL term of the ELBO"""
    metric_weight: float = 1.0
    """λ, weight of the metric loss L_sim (SimBelief only; 0: the ablation without it)"""
    metric_gamma: float = 0.9
    """γ_d, weight of the transition term of the metric d (not the SAC discount)"""
    anchor_weight: float = 1.0
    """weight of the anchor KL(b̃ ‖ sg b) (SimBelief only; 0 lets the latent belief collapse)"""
    latent_dynamics: bool = True
    """train P̂, R̂, I (False: the ablation whose metric uses the untrained, random models)"""
    inverse_dynamics: bool = True
    """use the inverse model I in the losses and the metric (False: the ablation without it)"""
    exploration_bonus: float = 0.0
    """β_RND, weight of a novelty bonus on the hyper-state x' added to SAC's reward (random
    network distillation, ``rl/rnd.py``; book chapter 10), annealed linearly to 0 over the run;
    0: no bonus, no RND networks (the paper's agents)"""

    def __post_init__(self) -> None:
        if self.env not in ENV_IDS:
            raise ValueError(f"unknown env {self.env!r}; choose one of {', '.join(ENV_IDS)}")
        if self.agent not in AGENTS:
            raise ValueError(f"unknown agent {self.agent!r}; choose one of {', '.join(AGENTS)}")
        if self.scale not in SCALES:
            raise ValueError(f"unknown scale {self.scale!r}; choose one of {', '.join(SCALES)}")
        check_device(self.device)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{f.name} must be an int, got {value!r}")
            if f.type == "bool" and not isinstance(value, bool):
                raise ValueError(f"{f.name} must be a bool, got {value!r}")
            if f.type in ("int", "float") and f.name != "seed":
                if f.name in OFF_AT_ZERO and not value >= 0:
                    raise ValueError(f"{f.name} must be non-negative (0: off), got {value!r}")
                if f.name not in OFF_AT_ZERO and not value > 0:
                    raise ValueError(f"{f.name} must be positive, got {value!r}")
        check_env_kwargs(self.env_kwargs)
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")
        for name in ("gamma", "metric_gamma"):
            if not getattr(self, name) < 1:
                raise ValueError(f"{name} must be in (0, 1), got {getattr(self, name)}")
        if self.tasks_per_iter > self.num_train_tasks:
            raise ValueError("tasks_per_iter cannot exceed num_train_tasks")
        if max(self.rl_batch_tasks, self.belief_batch_tasks) > self.num_train_tasks:
            raise ValueError("rl_batch_tasks and belief_batch_tasks cannot exceed num_train_tasks")
        if self.agent == "simbelief" and self.rl_batch_tasks < 2:
            raise ValueError("SimBelief pairs tasks in the SAC batch: rl_batch_tasks must be >= 2")


def check_env_kwargs(env_kwargs: object) -> None:
    """Raise ``ValueError`` unless ``env_kwargs`` maps names to JSON values (a config is saved
    as JSON); the environment itself checks that it takes each name (``envs.make``)."""
    if not isinstance(env_kwargs, dict):
        raise ValueError(f"env_kwargs must be a dict of name: value, got {env_kwargs!r}")
    for name, value in env_kwargs.items():
        scalar = (int, float, str, bool)
        ok = isinstance(value, scalar) or (
            isinstance(value, (list, tuple)) and all(isinstance(v, scalar) for v in value)
        )
        if not isinstance(name, str) or not ok:
            raise ValueError(f"env_kwargs[{name!r}] must be a number, string or list of them, "
                             f"got {value!r}")  # fmt: skip


def make_env(cfg: Config, **kwargs: Any) -> Any:
    """The environment of ``cfg``: ``envs.make(cfg.env, **cfg.env_kwargs, **kwargs)``."""
    return make(cfg.env, **{**cfg.env_kwargs, **kwargs})


def preset_diff(values: dict) -> dict:
    """The fields of a saved config (``values``, as in a run's ``config.json``) that differ
    from the ``full`` preset of its env and agent: what its experiment changed. Fields that do
    not change the experiment (seed, device, scale, evaluation and checkpoint intervals) are
    left out."""
    full = dataclasses.asdict(make_config(values["env"], "full", values["agent"]))
    skip = {"seed", "device", "scale", "eval_every", "checkpoint_every"}
    return {k: v for k, v in values.items() if k not in skip and full.get(k) != v}


# The authors' settings per environment (their online_config/args_*.py); the rest are the
# Config defaults, which are Point-Robot's. Their entropy temperature is fixed everywhere.
_MUJOCO = dict(  # Cheetah-Vel-Sparse, Ant-Semicircle-Sparse
    num_iters=1000, rl_updates_per_iter=2000, belief_updates_per_iter=20, gamma=0.99,
    alpha=0.2, lr_policy=3e-4, lr_belief=3e-4, kl_weight=1.0,
    buffer_episodes_per_task=30,  # their 1e6-transition policy buffer, per task
)  # fmt: skip
_PANDA = dict(num_iters=2000, task_latent_dim=5)  # Reach, Push: else as Point-Robot
FULL: dict[str, dict] = {
    "point-robot-sparse": {},
    "cheetah-vel-sparse": _MUJOCO,
    "ant-semicircle-sparse": dict(_MUJOCO, task_latent_dim=5, rl_batch_tasks=8),
    "panda-reach-sparse": _PANDA,
    "panda-push-sparse": dict(
        _PANDA,
        episodes_per_task=3,
        num_train_tasks=50,
        num_test_tasks=10,
        belief_batch_episodes_per_task=3,
    ),  # fmt: skip
}
# Tiny budgets: the whole loop runs in seconds.
SMOKE = dict(
    num_train_tasks=8,
    num_test_tasks=4,
    num_iters=3,
    tasks_per_iter=2,
    rollouts_per_task=1,
    init_rollouts_per_task=1,
    rl_updates_per_iter=5,
    belief_updates_per_iter=2,
    rl_batch_tasks=2,
    rl_batch_per_task=16,
    belief_batch_tasks=4,
    belief_batch_episodes_per_task=1,
    eval_meta_episodes=1,
    max_elbos=8,
    buffer_episodes_per_task=4,
    eval_every=2,
    checkpoint_every=2,
    gru_hidden=32,
    policy_hidden=32,
    task_latent_dim=4,
    state_latent_dim=8,
)


def make_config(
    env: str = "point-robot-sparse", scale: str = "full", agent: str = "simbelief", **overrides
) -> Config:
    """The preset for ``env`` at ``scale``, with ``overrides`` (field=value) applied last."""
    if env not in FULL:
        raise ValueError(f"unknown env {env!r}; choose one of {', '.join(FULL)}")
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    unknown = set(overrides) - {f.name for f in dataclasses.fields(Config)}
    if unknown:
        raise ValueError(f"unknown config field(s): {', '.join(sorted(unknown))}")
    values = {**FULL[env], **(SMOKE if scale == "smoke" else {}), **overrides}
    return Config(env=env, agent=agent, scale=scale, **values)
