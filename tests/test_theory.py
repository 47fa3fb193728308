"""Finite-MDP theory: transport, bisimulation metrics, values, and every bound of chapter 5.

Each bound is checked on seeded random instances (slack ≥ −1e-8), and weakened versions of
the bounds are shown to FAIL somewhere, so these tests can catch a wrong statement.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simbelief_edu.theory import sampling
from simbelief_edu.theory.bisim import (
    bisim_operator,
    bisimulation_metric,
    bisimulation_metric_by_couplings,
    state_task_metric,
    task_distance,
)
from simbelief_edu.theory.bounds import (
    BOUNDS,
    check_bound,
    ferns_value_bound,
    latent_model_errors,
    lift_latent_model,
    model_errors,
    simulation_lemma_bound,
    task_q_bound,
    transfer_bound_metric,
    transfer_bound_model,
    transfer_bound_refined,
)
from simbelief_edu.theory.mdps import (
    FiniteMDP,
    disjoint_union,
    gridworld_goal_task,
    policy_evaluation,
    random_mdp,
    random_task_family,
    value_iteration,
)
from simbelief_edu.theory.transport import optimal_couplings, total_variation, wasserstein1

TOL = 1e-8
SEEDS = st.integers(0, 2**32 - 1)


@settings(max_examples=25, deadline=None, database=None, derandomize=True)
@given(seed=SEEDS, n=st.integers(1, 6))
def test_wasserstein1_on_a_line_is_the_cdf_gap(seed, n):
    """On points x_1 < … < x_n, W1 = Σ_k |F_p(x_k) − F_q(x_k)| (x_{k+1} − x_k)."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 5, size=n))
    p, q = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
    cdf_gap = np.abs(np.cumsum(p) - np.cumsum(q))[:-1]
    expected = float(np.sum(cdf_gap * np.diff(x)))
    assert wasserstein1(p, q, np.abs(x[:, None] - x[None, :])) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=20, deadline=None, database=None, derandomize=True)
@given(seed=SEEDS, n=st.integers(1, 6))
def test_wasserstein1_under_the_discrete_metric_is_total_variation(seed, n):
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
    assert wasserstein1(p, q, 1.0 - np.eye(n)) == pytest.approx(total_variation(p, q), abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_batched_couplings_agree_with_one_pair_lps(seed):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(5, 2, rng, branching=[None, 1, 2, 3][seed])
    points = rng.normal(size=(5, 2))
    d = np.linalg.norm(points[:, None] - points[None], axis=-1)
    W, M = optimal_couplings(mdp.P, d)
    N, A = 5, 2
    M = M.toarray().reshape(A, N, N, N, N)  # [a, x, y, x', y']
    for a in range(A):
        for x in range(N):
            for y in range(N):
                expected = wasserstein1(mdp.P[x, a], mdp.P[y, a], d)
                assert W[x, y, a] == pytest.approx(expected, abs=1e-9)
                coupling = M[a, x, y]
                np.testing.assert_allclose(coupling.sum(1), mdp.P[x, a], atol=1e-9)
                np.testing.assert_allclose(coupling.sum(0), mdp.P[y, a], atol=1e-9)
                assert np.sum(coupling * d) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_value_iteration_agrees_with_policy_evaluation(seed):
    mdp = sampling.sample_mdp(np.random.default_rng(seed))
    vi = value_iteration(mdp)
    np.testing.assert_allclose(policy_evaluation(mdp, vi.policy), vi.V, atol=1e-9)
    stochastic = np.eye(mdp.n_actions)[vi.policy]
    np.testing.assert_allclose(policy_evaluation(mdp, stochastic), vi.V, atol=1e-9)
    np.testing.assert_allclose(vi.Q.max(axis=1), vi.V, atol=1e-9)


def test_gridworld_goal_values():
    gamma = 0.9
    task = gridworld_goal_task(3, 4, goal=(1, 2), gamma=gamma)
    V = value_iteration(task).V.reshape(3, 4)
    steps = np.abs(np.arange(3)[:, None] - 1) + np.abs(np.arange(4)[None, :] - 2)
    np.testing.assert_allclose(V, gamma**steps / (1 - gamma), atol=1e-9)


def _sample_instances(n: int, seed: int) -> list[FiniteMDP]:
    rng = np.random.default_rng(seed)
    return [sampling.sample_mdp(rng) for _ in range(n)]


@pytest.mark.parametrize("method", [bisimulation_metric, bisimulation_metric_by_couplings])
def test_metric_is_a_pseudometric_and_a_fixed_point(method):
    for mdp in _sample_instances(6, seed=1):
        d = method(mdp).d
        np.testing.assert_allclose(d, d.T, atol=1e-12)
        assert np.all(np.diag(d) == 0) and np.all(d >= 0)
        triangle = d[:, None, :] + d[None, :, :] - d[:, :, None]  # d(s,t)+d(t,u)-d(s,u)
        assert triangle.min() >= -TOL
        np.testing.assert_allclose(bisim_operator(mdp, d), d, atol=1e-8)


def test_fixed_point_iteration_contracts_at_rate_c_T():
    for mdp in _sample_instances(4, seed=2):
        for c_T in (mdp.gamma, 0.5 * mdp.gamma):
            history = np.array(bisimulation_metric(mdp, c_T=c_T).history)
            assert np.all(history[1:] <= c_T * history[:-1] + 1e-12)


def test_both_metric_algorithms_agree():
    for mdp in _sample_instances(6, seed=3):
        by_iteration = bisimulation_metric(mdp, tol=1e-11).d
        np.testing.assert_allclose(bisimulation_metric_by_couplings(mdp).d, by_iteration, atol=1e-8)


def test_task_metric_basics():
    rng = np.random.default_rng(4)
    task_i, task_j = random_task_family(2, 4, 2, rng, spread=0.5)
    d_ij, d_ji = state_task_metric(task_i, task_j), state_task_metric(task_j, task_i)
    np.testing.assert_allclose(d_ij, d_ji.T, atol=1e-9)
    assert task_distance(task_i, task_i) == pytest.approx(0.0, abs=1e-9)
    assert task_distance(task_i, task_j) > 1e-3
    union = disjoint_union(task_i, task_j)
    np.testing.assert_allclose(value_iteration(union).V[4:], value_iteration(task_j).V, atol=1e-9)


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_every_bound_holds_on_every_sample(name):
    check = check_bound(name, n_samples=40, seed=7)
    worst = int(np.argmin(check.slack))
    assert check.slack.min() >= -TOL, f"{name}: violated on sample {check.sample[worst]}"


def test_ferns_bound_with_other_constants():
    rng = np.random.default_rng(8)
    for mdp in _sample_instances(10, seed=8):
        c_R = float(rng.choice([0.5, 2.0]))
        c_T = float(rng.uniform(mdp.gamma, 0.99))
        lhs, rhs = ferns_value_bound(mdp, c_R=c_R, c_T=c_T)
        assert np.min(rhs - lhs) >= -TOL


def test_model_errors_are_the_largest_reward_gap_and_total_variation():
    """ε_R and ε_T as chapter 5 defines them, computed entry by entry (TV with its ½)."""
    rng = np.random.default_rng(12)
    for _ in range(10):
        task_i, task_j = sampling.sample_task_pair(rng)
        errors = model_errors(task_i, task_j)
        S, A = task_i.R.shape
        tv = [total_variation(task_i.P[s, a], task_j.P[s, a]) for s in range(S) for a in range(A)]
        assert errors.eps_T == pytest.approx(max(tv), abs=1e-12)
        assert errors.eps_R == pytest.approx(np.abs(task_i.R - task_j.R).max(), abs=1e-12)
        both = np.r_[task_i.R.ravel(), task_j.R.ravel()]
        assert errors.reward_span == pytest.approx(both.max() - both.min(), abs=1e-12)


def test_lifted_latent_model_has_the_same_errors_and_values():
    rng = np.random.default_rng(9)
    for _ in range(20):
        mdp, phi, R_hat, P_hat = sampling.sample_latent_model(rng)
        lifted = lift_latent_model(mdp, phi, R_hat, P_hat)
        via_latent, via_lift = (
            latent_model_errors(mdp, phi, R_hat, P_hat),
            model_errors(mdp, lifted),
        )
        assert via_lift.eps_R == pytest.approx(via_latent.eps_R, abs=1e-12)
        assert via_lift.eps_T == pytest.approx(via_latent.eps_T, abs=1e-12)
        V_hat = value_iteration(FiniteMDP(P_hat, R_hat, mdp.gamma)).V
        np.testing.assert_allclose(value_iteration(lifted).V, V_hat[phi], atol=1e-8)


# --- the tests can fail: weakened statements are violated on some sample -------------------


def test_ferns_bound_needs_c_T_at_least_gamma():
    violated = False
    for mdp in _sample_instances(20, seed=10):
        V = value_iteration(mdp).V
        d_small = bisimulation_metric_by_couplings(mdp, c_T=0.25 * mdp.gamma).d
        violated |= bool(np.any(np.abs(V[:, None] - V[None, :]) > d_small + 1e-6))
    assert violated, "|V*(s) - V*(t)| <= d(s,t) with c_T = γ/4 should fail somewhere"
    with pytest.raises(ValueError, match="c_T >= gamma"):
        ferns_value_bound(mdp, c_T=0.25 * mdp.gamma)


def test_task_value_bound_needs_c_T_at_least_gamma():
    """The task bound is Ferns' on the disjoint union: with c_T = γ/4 there it fails too."""
    rng = np.random.default_rng(13)
    violated = False
    for _ in range(20):
        task_i, task_j = sampling.sample_task_pair(rng)
        S = task_i.n_states
        union = disjoint_union(task_i, task_j)
        d_small = bisimulation_metric_by_couplings(union, c_T=0.25 * union.gamma).d[:S, S:]
        V_i, V_j = value_iteration(task_i).V, value_iteration(task_j).V
        violated |= bool(np.any(np.abs(V_i[:, None] - V_j[None, :]) > d_small + 1e-6))
    assert violated


def test_task_q_bound_compares_every_pair_of_states_across_tasks():
    """|Q*_i(s,a) − Q*_j(t,a)| ≤ d((s,i),(t,j)) for all s, t: the check covers t ≠ s, where the
    diagonal δ(s) alone is no bound (it fails somewhere)."""
    rng = np.random.default_rng(14)
    violated = False
    for _ in range(10):
        task_i, task_j = sampling.sample_task_pair(rng)
        lhs, rhs = task_q_bound(task_i, task_j)
        S, A = task_i.R.shape
        assert lhs.shape == rhs.shape == (S, S, A) and np.min(rhs - lhs) >= -TOL
        delta = np.diagonal(rhs[:, :, 0])  # δ(s) = d((s,i),(s,j))
        violated |= bool(np.any(lhs > delta[:, None, None] + 1e-6))
    assert violated


def test_refined_transfer_bound_is_never_above_the_uniform_one_and_often_below():
    """ex-ch5-refined: (I − γP^π)^{-1} has rows summing to 1/(1−γ) and δ ≤ D, so the
    state-dependent bound is at most 2D/(1−γ), and strictly below it where δ varies."""
    rng = np.random.default_rng(15)
    below = 0
    for _ in range(10):
        task_i, task_j = sampling.sample_task_pair(rng)
        loss, refined = transfer_bound_refined(task_i, task_j)
        same_loss, uniform = transfer_bound_metric(task_i, task_j)
        np.testing.assert_allclose(loss, same_loss, atol=1e-12)
        assert np.all(refined <= uniform + 1e-9)
        below += int(np.any(refined < uniform - 1e-6))
    assert below >= 5


def test_simulation_lemma_needs_the_horizon_factor():
    rng = np.random.default_rng(11)
    violated = False
    for _ in range(20):
        task_i, task_j, policy = sampling.sample_policy_pair(rng)
        lhs, rhs = simulation_lemma_bound(task_i, task_j, policy)
        violated |= bool(np.any(lhs > rhs * (1 - task_i.gamma) + 1e-6))  # drop one 1/(1-γ)
    assert violated


def test_transfer_bound_is_tight_so_factor_two_and_horizon_are_needed():
    """One state, two actions tied in task i; task j moves each reward by ε in opposite ways.

    π*_i picks action 0 (lowest index on ties), which loses 2ε per step in task j: the loss
    2ε/(1−γ) equals the bound, so neither the factor 2 nor the 1/(1−γ) can be dropped.
    """
    gamma, eps = 0.9, 0.1
    P = np.ones((1, 2, 1))
    task_i = FiniteMDP(P, np.array([[0.5, 0.5]]), gamma)
    task_j = FiniteMDP(P, np.array([[0.5 - eps, 0.5 + eps]]), gamma)
    lhs, rhs = transfer_bound_model(task_i, task_j)
    assert lhs[0] == pytest.approx(2 * eps / (1 - gamma)) and rhs[0] == pytest.approx(lhs[0])
    assert lhs[0] > rhs[0] / 2 + 1e-6 and lhs[0] > rhs[0] * (1 - gamma) + 1e-6
