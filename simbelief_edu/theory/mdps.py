"""Finite (tabular) MDPs: random MDPs, task families, a goal gridworld, exact values.

Everything here is small and exact: transition tensors are dense NumPy arrays, values come from
value iteration run to a tolerance or from a linear solve. Chapter 5 of the book uses these
MDPs to check the value bounds of :mod:`simbelief_edu.theory.bounds` on many random samples.

Conventions: ``P[s, a, s']`` is the probability of moving to ``s'`` after action ``a`` in ``s``;
``R[s, a]`` is the expected reward of that step; a policy is an int array ``[S]`` (deterministic)
or a row-stochastic array ``[S, A]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FiniteMDP:
    """A finite discounted MDP (S, A, P, R, γ).

    Attributes:
        P: transition tensor ``[S, A, S]``; each ``P[s, a]`` is a probability vector.
        R: expected reward ``[S, A]`` of taking ``a`` in ``s``.
        gamma: discount factor in [0, 1).
    """

    P: np.ndarray
    R: np.ndarray
    gamma: float

    def __post_init__(self) -> None:
        P, R = np.asarray(self.P, dtype=float), np.asarray(self.R, dtype=float)
        object.__setattr__(self, "P", P)
        object.__setattr__(self, "R", R)
        if P.ndim != 3 or P.shape[0] != P.shape[2] or R.shape != P.shape[:2]:
            raise ValueError(f"need P [S, A, S] and R [S, A], got {P.shape} and {R.shape}")
        if not 0.0 <= self.gamma < 1.0:
            raise ValueError(f"gamma must lie in [0, 1), got {self.gamma}")
        if (P < -1e-12).any() or not np.allclose(P.sum(-1), 1.0, atol=1e-9):
            raise ValueError("every P[s, a] must be a probability vector")

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]


def random_mdp(
    n_states: int,
    n_actions: int,
    rng: np.random.Generator,
    gamma: float = 0.9,
    sparsity: float = 0.0,
    branching: int | None = None,
) -> FiniteMDP:
    """A random finite MDP with rewards in [0, 1].

    Args:
        n_states, n_actions: sizes of S and A.
        rng: the NumPy generator (the only source of randomness).
        gamma: discount factor.
        sparsity: probability that a reward entry ``R[s, a]`` is exactly 0 (sparse rewards);
            the other entries are uniform on [0, 1].
        branching: number of possible next states of each ``(s, a)`` (``None``: all states);
            probabilities on the support are Dirichlet(1).
    """
    k = n_states if branching is None else min(branching, n_states)
    P = np.zeros((n_states, n_actions, n_states))
    for s in range(n_states):
        for a in range(n_actions):
            support = rng.choice(n_states, size=k, replace=False)
            P[s, a, support] = rng.dirichlet(np.ones(k))
    R = rng.uniform(0.0, 1.0, size=(n_states, n_actions))
    R[rng.uniform(size=R.shape) < sparsity] = 0.0
    return FiniteMDP(P, R, gamma)


def perturb_mdp(
    mdp: FiniteMDP,
    rng: np.random.Generator,
    distance: float,
    change: str = "both",
) -> FiniteMDP:
    """A task close to ``mdp``: same S, A, γ; reward and/or dynamics moved by ``distance``.

    With δ = ``distance`` in [0, 1]:

    * reward: ``R' = clip(R + δ·u, 0, 1)`` with ``u`` uniform on [-1, 1], so ``|R' − R| ≤ δ``;
    * transitions: ``P'(·|s,a) = (1 − δ) P(·|s,a) + δ Q(·|s,a)`` with a random ``Q``, so the
      total-variation distance ``TV(P(·|s,a), P'(·|s,a)) ≤ δ``.

    ``change`` is ``"reward"``, ``"transition"`` or ``"both"``. δ = 0 returns an identical task.
    """
    if not 0.0 <= distance <= 1.0:
        raise ValueError(f"distance must lie in [0, 1], got {distance}")
    if change not in ("reward", "transition", "both"):
        raise ValueError(f"change must be 'reward', 'transition' or 'both', got {change!r}")
    R, P = mdp.R, mdp.P
    if change in ("reward", "both"):
        R = np.clip(R + distance * rng.uniform(-1.0, 1.0, size=R.shape), 0.0, 1.0)
    if change in ("transition", "both"):
        Q = rng.dirichlet(np.ones(mdp.n_states), size=mdp.P.shape[:2])
        P = (1.0 - distance) * P + distance * Q
    return FiniteMDP(P, R, mdp.gamma)


def random_task_family(
    n_tasks: int,
    n_states: int,
    n_actions: int,
    rng: np.random.Generator,
    gamma: float = 0.9,
    spread: float = 0.3,
    change: str = "both",
    **mdp_kwargs,
) -> list[FiniteMDP]:
    """``n_tasks`` tasks sharing (S, A, γ): one random base MDP, each task a perturbation of it.

    Task ``k`` is ``perturb_mdp(base, rng, spread, change)``; larger ``spread`` gives tasks that
    are further apart. Extra keyword arguments go to :func:`random_mdp`.
    """
    base = random_mdp(n_states, n_actions, rng, gamma=gamma, **mdp_kwargs)
    return [perturb_mdp(base, rng, spread, change) for _ in range(n_tasks)]


def random_task_pair(
    n_states: int,
    n_actions: int,
    rng: np.random.Generator,
    gamma: float = 0.9,
    distance: float = 0.3,
    change: str = "both",
    **mdp_kwargs,
) -> tuple[FiniteMDP, FiniteMDP]:
    """Two tasks on the same (S, A, γ): a random MDP and its perturbation by ``distance``."""
    task_i = random_mdp(n_states, n_actions, rng, gamma=gamma, **mdp_kwargs)
    return task_i, perturb_mdp(task_i, rng, distance, change)


GRID_MOVES = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
"""Gridworld actions as (row, column) steps: stay, up, down, left, right."""


def gridworld_goal_task(
    height: int,
    width: int,
    goal: tuple[int, int],
    gamma: float = 0.9,
    slip: float = 0.0,
    wrap: bool = False,
) -> FiniteMDP:
    """A ``height × width`` gridworld whose task is its goal cell (a tabular Point-Robot-Sparse).

    States are cells ``r * width + c``. Actions (:data:`GRID_MOVES`): stay, up, down, left,
    right; moves into a wall keep the agent in place, or, with ``wrap=True``, come back on the
    opposite side (a torus, where all goal tasks are translated copies of each other). With
    probability ``slip`` the move is
    replaced by a uniformly random action. The reward is sparse: ``R(s, a) = 1`` if ``s`` is the
    goal cell, else 0, so the optimal policy walks to the goal and stays there.
    """
    n = height * width
    P = np.zeros((n, len(GRID_MOVES), n))
    for r in range(height):
        for c in range(width):
            for a, (dr, dc) in enumerate(GRID_MOVES):
                if wrap:
                    nr, nc = (r + dr) % height, (c + dc) % width
                else:
                    nr, nc = min(max(r + dr, 0), height - 1), min(max(c + dc, 0), width - 1)
                P[r * width + c, a, nr * width + nc] += 1.0
    P = (1.0 - slip) * P + slip * P.mean(axis=1, keepdims=True)
    R = np.zeros((n, len(GRID_MOVES)))
    R[goal[0] * width + goal[1]] = 1.0
    return FiniteMDP(P, R, gamma)


@dataclass(frozen=True)
class ValueIterationResult:
    """Output of :func:`value_iteration`: V* ``[S]``, Q* ``[S, A]``, a greedy policy ``[S]``."""

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    n_iter: int


def q_from_v(mdp: FiniteMDP, V: np.ndarray) -> np.ndarray:
    """One Bellman backup: ``Q(s, a) = R(s, a) + γ Σ_s' P(s'|s, a) V(s')``."""
    return mdp.R + mdp.gamma * mdp.P @ V


def value_iteration(mdp: FiniteMDP, tol: float = 1e-12, max_iter: int = 100_000):
    """Optimal values by value iteration, ``V_{k+1} = max_a [R + γ P V_k]``, from ``V_0 = 0``.

    Stops when ``‖V_{k+1} − V_k‖∞ ≤ tol (1 − γ) / γ``, which guarantees ``‖V_{k+1} − V*‖∞ ≤ tol``
    (Bellman's operator is a γ-contraction). Returns :class:`ValueIterationResult` with the
    greedy policy of the final Q (lowest action index on ties).
    """
    V = np.zeros(mdp.n_states)
    threshold = tol * (1.0 - mdp.gamma) / max(mdp.gamma, 1e-300)
    for k in range(1, max_iter + 1):
        V_new = q_from_v(mdp, V).max(axis=1)
        done = np.max(np.abs(V_new - V)) <= threshold
        V = V_new
        if done:
            Q = q_from_v(mdp, V)
            return ValueIterationResult(V, Q, Q.argmax(axis=1), k)
    raise RuntimeError(f"value iteration did not reach tol={tol} in {max_iter} iterations")


def policy_matrix(policy: np.ndarray, n_actions: int) -> np.ndarray:
    """A policy as a row-stochastic ``[S, A]`` matrix (one-hot rows for an int policy)."""
    policy = np.asarray(policy)
    if policy.ndim == 1:
        return np.eye(n_actions)[policy]
    return policy.astype(float)


def policy_evaluation(mdp: FiniteMDP, policy: np.ndarray) -> np.ndarray:
    """Exact ``V^π`` by solving the linear Bellman equation ``(I − γ P^π) V = r^π``.

    ``policy`` is an int array ``[S]`` or a stochastic ``[S, A]`` matrix;
    ``r^π(s) = Σ_a π(a|s) R(s, a)`` and ``P^π(s, s') = Σ_a π(a|s) P(s'|s, a)``.
    """
    pi = policy_matrix(policy, mdp.n_actions)
    r_pi = (pi * mdp.R).sum(axis=1)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    return np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * P_pi, r_pi)


def disjoint_union(mdp_i: FiniteMDP, mdp_j: FiniteMDP) -> FiniteMDP:
    """The MDP on (state, task) pairs: states ``(s, i)`` are ``0..S−1``, ``(s, j)`` are ``S..2S−1``.

    Each copy keeps its own rewards and dynamics and never moves to the other copy, so the
    optimal value of ``(s, k)`` in the union is ``V*_k(s)``. Running the bisimulation metric on
    this MDP compares states *across* tasks: this is the "replace states by (state, task) pairs"
    step behind SimBelief's task-level results.
    """
    if mdp_i.P.shape != mdp_j.P.shape or mdp_i.gamma != mdp_j.gamma:
        raise ValueError("the two tasks must share S, A and gamma")
    S, A = mdp_i.n_states, mdp_i.n_actions
    P = np.zeros((2 * S, A, 2 * S))
    P[:S, :, :S] = mdp_i.P
    P[S:, :, S:] = mdp_j.P
    return FiniteMDP(P, np.concatenate([mdp_i.R, mdp_j.R]), mdp_i.gamma)
