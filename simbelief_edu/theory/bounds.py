"""Value bounds from bisimulation metrics and model errors, one function per result.

Each function computes both sides of one inequality exactly on a finite MDP and returns
``(lhs, rhs)`` arrays of the same shape; the result says ``lhs ≤ rhs`` entrywise, so
``rhs − lhs`` is the slack. :func:`check_bound` runs a bound on many seeded random instances.
The statements and proofs are in chapter 5 of the book; every docstring lists the assumptions.

Credits: (a) Ferns, Panangaden & Precup (2004, Thm 5.1); (b)–(c) are the finite-MDP form of
SimBelief's idea of comparing tasks through a bisimulation-style metric (Zhang & Qian, ICLR
2025), proved here with the disjoint-union construction; the simulation lemma is folklore
(Kearns & Singh 2002); (d) is in the spirit of the latent-model bound of DBC (Zhang et al., 2021).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simbelief_edu.theory import sampling
from simbelief_edu.theory.bisim import bisimulation_metric_by_couplings, state_task_metric
from simbelief_edu.theory.mdps import FiniteMDP, policy_evaluation, value_iteration

Bound = tuple[np.ndarray, np.ndarray]


def ferns_value_bound(
    mdp: FiniteMDP, c_R: float = 1.0, c_T: float | None = None, tol: float = 1e-10
) -> Bound:
    """Ferns et al. (2004): ``|V*(s) − V*(t)| ≤ d(s, t) / c_R`` for all states s, t.

    Assumptions: finite MDP, γ < 1, c_R > 0, γ ≤ c_T < 1; d is the bisimulation metric with
    constants (c_R, c_T). Returns ``lhs[s, t] = |V*(s) − V*(t)|`` and ``rhs[s, t] = d(s,t)/c_R``.
    """
    c_T = mdp.gamma if c_T is None else c_T
    if c_T < mdp.gamma:
        raise ValueError(f"the bound needs c_T >= gamma = {mdp.gamma}, got c_T = {c_T}")
    V = value_iteration(mdp).V
    d = bisimulation_metric_by_couplings(mdp, c_R, c_T, tol).d
    return np.abs(V[:, None] - V[None, :]), d / c_R


def task_value_bound(task_i: FiniteMDP, task_j: FiniteMDP, tol: float = 1e-10) -> Bound:
    """Tasks close in the state-task metric have close optimal values.

    ``|V*_i(s) − V*_j(t)| ≤ d((s, i), (t, j))`` for all s, t, where d is the bisimulation metric
    (c_R = 1, c_T = γ) of the disjoint union of the tasks. Assumptions: both tasks are finite
    MDPs on the same S, A with the same γ < 1. Returns ``[S, S]`` arrays.
    """
    V_i, V_j = value_iteration(task_i).V, value_iteration(task_j).V
    return np.abs(V_i[:, None] - V_j[None, :]), state_task_metric(task_i, task_j, tol)


def task_q_bound(task_i: FiniteMDP, task_j: FiniteMDP, tol: float = 1e-10) -> Bound:
    """Optimal action values are close too: ``|Q*_i(s, a) − Q*_j(t, a)| ≤ d((s, i), (t, j))``.

    For all states s, t and actions a, with d the bisimulation metric (c_R = 1, c_T = γ) of the
    disjoint union; at t = s the right side is ``δ(s) = d((s, i), (s, j))``. Same assumptions as
    :func:`task_value_bound`. Returns ``[S, S, A]`` arrays (``lhs[s, t, a]``).
    """
    Q_i, Q_j = value_iteration(task_i).Q, value_iteration(task_j).Q
    lhs = np.abs(Q_i[:, None, :] - Q_j[None, :, :])  # [S, S, A]
    d = state_task_metric(task_i, task_j, tol)  # [S, S]
    return lhs, np.broadcast_to(d[:, :, None], lhs.shape).copy()


def transfer_bound_metric(task_i: FiniteMDP, task_j: FiniteMDP, tol: float = 1e-10) -> Bound:
    """Policy transfer measured by the task metric.

    Let π*_i be a greedy (optimal) policy of task i. Then for every s,
    ``0 ≤ V*_j(s) − V^{π*_i}_j(s) ≤ 2 D(i, j) / (1 − γ)`` with
    ``D(i, j) = max_s d((s, i), (s, j))`` on the disjoint union (c_R = 1, c_T = γ).
    Assumptions: as :func:`task_value_bound`. Returns ``[S]`` arrays.
    """
    pi_i = value_iteration(task_i).policy
    loss = value_iteration(task_j).V - policy_evaluation(task_j, pi_i)
    D = np.max(np.diag(state_task_metric(task_i, task_j, tol)))
    return loss, np.full_like(loss, 2.0 * D / (1.0 - task_j.gamma))


def transfer_bound_refined(task_i: FiniteMDP, task_j: FiniteMDP, tol: float = 1e-10) -> Bound:
    """The state-dependent form of :func:`transfer_bound_metric` (book exercise ex-ch5-refined).

    ``V*_j(s) − V^{π*_i}_j(s) ≤ 2 [(I − γ P^{π*_i}_j)^{-1} δ](s)`` with ``δ(s) = d((s, i),
    (s, j))``: the discounted sum of 2δ along the trajectory of π*_i in task j. Same
    assumptions as :func:`task_value_bound`. Returns ``[S]`` arrays.
    """
    pi_i = value_iteration(task_i).policy
    loss = value_iteration(task_j).V - policy_evaluation(task_j, pi_i)
    delta = np.diag(state_task_metric(task_i, task_j, tol))
    # (I − γ P^π)^{-1} δ is the value of π in task j's dynamics with δ as the reward
    paid_delta = FiniteMDP(task_j.P, np.repeat(delta[:, None], task_j.n_actions, 1), task_j.gamma)
    return loss, 2.0 * policy_evaluation(paid_delta, pi_i)


@dataclass(frozen=True)
class ModelErrors:
    """Worst-case differences between two models on the same (S, A).

    ``eps_R = max_{s,a} |R − R'|``, ``eps_T = max_{s,a} TV(P(·|s,a), P'(·|s,a))`` and
    ``reward_span = max(R, R') − min(R, R')`` over both reward tables.
    """

    eps_R: float
    eps_T: float
    reward_span: float


def model_errors(mdp_a: FiniteMDP, mdp_b: FiniteMDP) -> ModelErrors:
    """The :class:`ModelErrors` between two MDPs on the same (S, A)."""
    tv = 0.5 * np.abs(mdp_a.P - mdp_b.P).sum(axis=-1)
    both = np.concatenate([mdp_a.R.ravel(), mdp_b.R.ravel()])
    return ModelErrors(
        float(np.max(np.abs(mdp_a.R - mdp_b.R))), float(tv.max()), float(both.max() - both.min())
    )


def simulation_gap(errors: ModelErrors, gamma: float) -> float:
    """The simulation-lemma constant ``(ε_R + γ ε_T ρ / (1 − γ)) / (1 − γ)``, ρ the reward span."""
    return (errors.eps_R + gamma * errors.eps_T * errors.reward_span / (1 - gamma)) / (1 - gamma)


def simulation_lemma_bound(mdp_a: FiniteMDP, mdp_b: FiniteMDP, policy: np.ndarray) -> Bound:
    """Simulation lemma: one policy, two models. ``|V^π_a(s) − V^π_b(s)| ≤ simulation_gap``.

    Assumptions: same (S, A, γ < 1); π is any stationary policy (int ``[S]`` or stochastic
    ``[S, A]``); errors as in :class:`ModelErrors`. Returns ``[S]`` arrays.
    """
    gap = np.abs(policy_evaluation(mdp_a, policy) - policy_evaluation(mdp_b, policy))
    return gap, np.full_like(gap, simulation_gap(model_errors(mdp_a, mdp_b), mdp_a.gamma))


def transfer_bound_model(task_i: FiniteMDP, task_j: FiniteMDP) -> Bound:
    """Policy transfer measured by model differences.

    ``0 ≤ V*_j(s) − V^{π*_i}_j(s) ≤ 2 · simulation_gap(model_errors(i, j), γ)`` for every s.
    Assumptions: same (S, A, γ < 1); π*_i optimal in task i. Returns ``[S]`` arrays.
    """
    loss = value_iteration(task_j).V - policy_evaluation(task_j, value_iteration(task_i).policy)
    bound = 2.0 * simulation_gap(model_errors(task_i, task_j), task_j.gamma)
    return loss, np.full_like(loss, bound)


def latent_model_errors(
    mdp: FiniteMDP, phi: np.ndarray, R_hat: np.ndarray, P_hat: np.ndarray
) -> ModelErrors:
    """Errors of a latent model (R̂, P̂) on Z seen through an encoder φ: S → Z.

    ``eps_R = max_{s,a} |R(s,a) − R̂(φ(s),a)|`` and
    ``eps_T = max_{s,a} TV(φ_# P(·|s,a), P̂(·|φ(s),a))``, where ``φ_# p(z) = Σ_{φ(s')=z} p(s')``.
    """
    onehot = np.eye(R_hat.shape[0])[phi]  # [S, Z]
    pushed = mdp.P @ onehot  # φ_# P(·|s, a): [S, A, Z]
    tv = 0.5 * np.abs(pushed - P_hat[phi]).sum(axis=-1)
    both = np.concatenate([mdp.R.ravel(), R_hat.ravel()])
    return ModelErrors(
        float(np.max(np.abs(mdp.R - R_hat[phi]))), float(tv.max()), float(both.max() - both.min())
    )


def lift_latent_model(
    mdp: FiniteMDP, phi: np.ndarray, R_hat: np.ndarray, P_hat: np.ndarray
) -> FiniteMDP:
    """The latent model as an MDP on S (the proof device of :func:`latent_model_bound`).

    ``R̃(s, a) = R̂(φ(s), a)`` and ``P̃(s'|s, a) = P̂(φ(s')|φ(s), a) · w(s'|s, a)``, where ``w``
    spreads a cluster's mass like the true ``P`` does inside the cluster (uniformly when ``P``
    puts no mass on it). Then ``φ_# P̃ = P̂``, ``TV(P̃(·|s,a), P(·|s,a)) =
    TV(P̂(·|φ(s),a), φ_# P(·|s,a))`` and ``Ṽ*(s) = V̂*(φ(s))``.
    """
    onehot = np.eye(R_hat.shape[0])[phi]  # [S, Z]
    pushed = mdp.P @ onehot  # [S, A, Z]
    mass = pushed[:, :, phi]  # φ_# P(φ(s')|s, a): [S, A, S]
    uniform = 1.0 / onehot.sum(axis=0)[phi]  # 1 / |cluster of s'|
    within = np.where(mass > 0, mdp.P / np.where(mass > 0, mass, 1.0), uniform)
    P_tilde = P_hat[phi][:, :, phi] * within
    return FiniteMDP(P_tilde, R_hat[phi], mdp.gamma)


def latent_model_bound(
    mdp: FiniteMDP, phi: np.ndarray, R_hat: np.ndarray, P_hat: np.ndarray
) -> Bound:
    """The optimal policy of an approximate latent model is near-optimal in the true MDP.

    Let π̂ be optimal in the latent MDP (Z, A, P̂, R̂, γ) and run ``π(s) = π̂(φ(s))`` in the true
    MDP. Then ``0 ≤ V*(s) − V^π(s) ≤ 2 · simulation_gap(latent_model_errors(...), γ)``.
    Assumptions: finite S, Z, A; φ any map S → Z; γ < 1. Returns ``[S]`` arrays.
    """
    latent = FiniteMDP(P_hat, R_hat, mdp.gamma)
    policy = value_iteration(latent).policy[phi]
    loss = value_iteration(mdp).V - policy_evaluation(mdp, policy)
    bound = 2.0 * simulation_gap(latent_model_errors(mdp, phi, R_hat, P_hat), mdp.gamma)
    return loss, np.full_like(loss, bound)


def latent_value_bound(
    mdp: FiniteMDP, phi: np.ndarray, R_hat: np.ndarray, P_hat: np.ndarray
) -> Bound:
    """The latent model's optimal value approximates the true one.

    ``|V*(s) − V̂*(φ(s))| ≤ simulation_gap(latent_model_errors(...), γ)`` for every s, where
    ``V̂*`` is the optimal value of the latent MDP (Z, A, P̂, R̂, γ). Assumptions as
    :func:`latent_model_bound`. Returns ``[S]`` arrays.
    """
    V_hat = value_iteration(FiniteMDP(P_hat, R_hat, mdp.gamma)).V
    gap = np.abs(value_iteration(mdp).V - V_hat[phi])
    bound = simulation_gap(latent_model_errors(mdp, phi, R_hat, P_hat), mdp.gamma)
    return gap, np.full_like(gap, bound)


@dataclass(frozen=True)
class BoundCheck:
    """Both sides of one bound on many random instances, flattened.

    ``sample[k]`` and ``gamma[k]`` give the instance and discount of entry k.
    """

    name: str
    lhs: np.ndarray
    rhs: np.ndarray
    sample: np.ndarray
    gamma: np.ndarray

    @property
    def slack(self) -> np.ndarray:
        """``rhs − lhs``: nonnegative wherever the bound holds."""
        return self.rhs - self.lhs


BOUNDS: dict[str, tuple[Callable[..., Bound], Callable[..., tuple]]] = {
    "ferns": (ferns_value_bound, lambda rng: (sampling.sample_mdp(rng),)),
    "task_value": (task_value_bound, sampling.sample_task_pair),
    "task_q": (task_q_bound, sampling.sample_task_pair),
    "transfer_metric": (transfer_bound_metric, sampling.sample_task_pair),
    "transfer_refined": (transfer_bound_refined, sampling.sample_task_pair),
    "simulation": (simulation_lemma_bound, sampling.sample_policy_pair),
    "transfer_model": (transfer_bound_model, sampling.sample_task_pair),
    "latent_model": (latent_model_bound, sampling.sample_latent_model),
    "latent_value": (latent_value_bound, sampling.sample_latent_model),
}
"""Bound name → (bound function, sampler of its arguments)."""


def check_bound(name: str, n_samples: int = 50, seed: int = 0) -> BoundCheck:
    """Evaluate bound ``name`` (a key of :data:`BOUNDS`) on ``n_samples`` seeded instances."""
    bound, sampler = BOUNDS[name]
    rng = np.random.default_rng(seed)
    parts: list[tuple[np.ndarray, ...]] = []
    for k in range(n_samples):
        args = sampler(rng)
        lhs, rhs = bound(*args)
        lhs, rhs = np.ravel(lhs), np.ravel(rhs)
        parts.append((lhs, rhs, np.full(lhs.size, k), np.full(lhs.size, args[0].gamma)))
    lhs, rhs, sample, gamma = (np.concatenate(p) for p in zip(*parts, strict=True))
    return BoundCheck(name, lhs, rhs, sample, gamma)


__all__ = [
    "BOUNDS",
    "BoundCheck",
    "ModelErrors",
    "check_bound",
    "ferns_value_bound",
    "latent_model_bound",
    "latent_model_errors",
    "latent_value_bound",
    "lift_latent_model",
    "model_errors",
    "simulation_gap",
    "simulation_lemma_bound",
    "task_q_bound",
    "task_value_bound",
    "transfer_bound_metric",
    "transfer_bound_model",
    "transfer_bound_refined",
]
