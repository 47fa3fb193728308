"""Seeded random instances for the bound checks: MDPs, task pairs, policies, latent models.

Each sampler takes a NumPy generator and returns the arguments of one bound function in
:mod:`simbelief_edu.theory.bounds`, so tests and the book check every bound on the same kind of
instances. Sizes are small (2–6 states, 1–3 actions) because the metric is computed exactly;
the discount, the reward sparsity, the transition branching and the distance between tasks are
drawn at random so that the samples cover easy and hard cases.
"""

from __future__ import annotations

import numpy as np

from simbelief_edu.theory.mdps import FiniteMDP, perturb_mdp, random_mdp


def sample_mdp(rng: np.random.Generator, max_states: int = 6, max_actions: int = 3) -> FiniteMDP:
    """A random MDP with 2..``max_states`` states, 1..``max_actions`` actions, γ ∈ [0.5, 0.95].

    Rewards are sparse with probability ½ (80 % zeros); next-state supports have 1, 2 or all
    states.
    """
    n_states = int(rng.integers(2, max_states + 1))
    return random_mdp(
        n_states,
        int(rng.integers(1, max_actions + 1)),
        rng,
        gamma=float(rng.uniform(0.5, 0.95)),
        sparsity=float(rng.choice([0.0, 0.8])),
        branching=[None, 1, 2][int(rng.integers(3))],
    )


def sample_task_pair(
    rng: np.random.Generator, max_states: int = 6, max_actions: int = 3
) -> tuple[FiniteMDP, FiniteMDP]:
    """Two tasks on the same (S, A, γ): a random MDP and a perturbation of it.

    The perturbation size is δ = u² with u uniform on [0, 1] (so near tasks are common) and
    changes the reward, the dynamics or both (chosen at random).
    """
    task_i = sample_mdp(rng, max_states, max_actions)
    change = ["reward", "transition", "both"][int(rng.integers(3))]
    return task_i, perturb_mdp(task_i, rng, float(rng.uniform()) ** 2, change)


def sample_policy_pair(
    rng: np.random.Generator, max_states: int = 6, max_actions: int = 3
) -> tuple[FiniteMDP, FiniteMDP, np.ndarray]:
    """A task pair and a policy for both: deterministic or stochastic (Dirichlet rows)."""
    task_i, task_j = sample_task_pair(rng, max_states, max_actions)
    S, A = task_i.n_states, task_i.n_actions
    if rng.uniform() < 0.5:
        policy = rng.integers(A, size=S)
    else:
        policy = rng.dirichlet(np.ones(A), size=S)
    return task_i, task_j, policy


def sample_latent_model(
    rng: np.random.Generator, max_states: int = 6, max_actions: int = 3
) -> tuple[FiniteMDP, np.ndarray, np.ndarray, np.ndarray]:
    """A true MDP, an encoder φ: S → Z and an approximate latent model (R̂, P̂) on Z.

    φ maps the states onto 1..S clusters at random (the identity when |Z| = S, which makes the
    latent model a perturbed copy of the MDP). The latent model starts as the cluster average of
    the true model, ``R̂(z, a) = mean_{φ(s)=z} R(s, a)`` and
    ``P̂(·|z, a) = mean_{φ(s)=z} φ_# P(·|s, a)``, and is then perturbed like a task pair.
    """
    mdp = sample_mdp(rng, max_states, max_actions)
    S = mdp.n_states
    n_latent = int(rng.integers(1, S + 1))
    phi = np.concatenate([rng.permutation(n_latent), rng.integers(n_latent, size=S - n_latent)])
    phi = rng.permutation(phi)  # surjective onto {0, …, n_latent − 1}
    onehot = np.eye(n_latent)[phi]  # [S, Z]
    counts = onehot.sum(axis=0)
    R_hat = onehot.T @ mdp.R / counts[:, None]
    P_hat = np.einsum("sz,sat->zat", onehot, mdp.P @ onehot) / counts[:, None, None]
    latent = perturb_mdp(FiniteMDP(P_hat, R_hat, mdp.gamma), rng, float(rng.uniform()) ** 2)
    return mdp, phi, latent.R, latent.P
