import re

import numpy as np
import pytest
import torch
from scipy.stats import trim_mean

from simbelief_edu import exercise_checks
from simbelief_edu.belief.elbo import gaussian_kl
from simbelief_edu.checks import check_function, check_your_work


def _gaussians(rng):
    return tuple(torch.tensor(rng.normal(size=(2, 4))) for _ in range(4))


def test_check_passes_for_the_reference_itself(capsys):
    check_function(gaussian_kl, gaussian_kl, _gaussians, name="kl")
    assert "✓ kl matches the reference on 20 random inputs" in capsys.readouterr().out


def test_check_reports_input_expected_and_got(capsys):
    def wrong(*args):
        return gaussian_kl(*args) + 0.5

    with pytest.raises(AssertionError, match="values differ"):
        check_function(wrong, gaussian_kl, _gaussians, name="kl")
    out = capsys.readouterr().out
    assert "✗ kl is not right yet (random input 1 of 20)" in out
    assert "input 0:" in out and "expected:" in out and "got:" in out


def test_check_reports_wrong_shape():
    with pytest.raises(AssertionError, match=r"shape \(2, 4\) instead of \(2,\)"):
        check_function(lambda *a: a[0], gaussian_kl, _gaussians)


def test_check_compares_tuples_elementwise():
    def ref(x):
        return x, 2 * x

    def bad(x):
        return x, 3 * x

    with pytest.raises(AssertionError, match="output 1"):
        check_function(bad, ref, lambda rng: (rng.normal(size=3),))


def test_gaussian_kl_zero_for_equal_and_matches_torch():
    mu, logvar = torch.randn(5, 3), torch.randn(5, 3)
    assert torch.allclose(gaussian_kl(mu, logvar, mu, logvar), torch.zeros(5), atol=1e-6)
    mu2, logvar2 = torch.randn(5, 3), torch.randn(5, 3)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(mu2, (0.5 * logvar2).exp())
    expected = torch.distributions.kl_divergence(q, p).sum(-1)
    assert torch.allclose(gaussian_kl(mu, logvar, mu2, logvar2), expected, atol=1e-5)
    assert np.all(gaussian_kl(mu, logvar, mu2, logvar2).numpy() >= 0)


# -- the checks of chapters 6–9 (simbelief_edu.exercise_checks): typical mistakes ----------------

MISTAKES = [
    (key, message, wrong)
    for key, spec in exercise_checks.ALL.items()
    for message, wrong in spec.get("mistakes", {}).items()
]


@pytest.mark.parametrize("key", list(exercise_checks.ALL))
def test_exercise_check_passes_its_reference(key, capsys):
    spec = exercise_checks.ALL[key]
    check_function(spec["reference"], **spec, name=key)
    assert f"✓ {key} matches the reference" in capsys.readouterr().out


@pytest.mark.parametrize(
    "key, message, wrong", MISTAKES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(MISTAKES)]
)
def test_typical_mistake_is_named(key, message, wrong, capsys):
    with pytest.raises(AssertionError, match="what is off: " + re.escape(message)):
        check_function(wrong, **exercise_checks.ALL[key], name=key)
    assert f"  what is off: {message}" in capsys.readouterr().out


# Wrong answers written as a learner would write them (not the implementations listed in
# exercise_checks): each must be caught with the message that says what is off.


def _check(candidate, key):
    check_function(candidate, **exercise_checks.ALL[key], name=key)


def test_anchor_without_stop_gradient_is_caught(capsys):
    def my_anchor_loss(mu_tilde, logvar_tilde, mu, logvar):
        return gaussian_kl(mu_tilde, logvar_tilde, mu, logvar).mean() / mu.shape[-1]

    with pytest.raises(AssertionError, match=r"a gradient reaches `mu` \(input 2\).*detach"):
        _check(my_anchor_loss, "ANCHOR_LOSS")
    assert "✗ ANCHOR_LOSS gives the right values, but" in capsys.readouterr().out


@pytest.mark.parametrize(
    "finish",
    [lambda kl: kl.detach(), lambda kl: kl.item(), lambda kl: float(kl.detach().numpy())],
    ids=["detach", "item", "numpy"],
)
def test_anchor_that_trains_nothing_is_caught(finish):
    """Right values but no gradient out: a loss that cannot train the latent belief."""

    def my_anchor_loss(mu_tilde, logvar_tilde, mu, logvar):
        return finish(gaussian_kl(mu_tilde, logvar_tilde, mu, logvar).mean() / mu.shape[-1])

    with pytest.raises(AssertionError, match="no gradient comes out of it at all"):
        _check(my_anchor_loss, "ANCHOR_LOSS")


def test_anchor_that_detaches_every_input_is_caught():
    def my_anchor_loss(mu_tilde, logvar_tilde, mu, logvar):
        inputs = (x.detach() for x in (mu_tilde, logvar_tilde, mu, logvar))
        return gaussian_kl(*inputs).mean().requires_grad_() / mu.shape[-1]

    with pytest.raises(AssertionError, match=r"no gradient reaches `mu_tilde` \(input 0\)"):
        _check(my_anchor_loss, "ANCHOR_LOSS")


def test_anchor_with_the_kl_written_out_the_wrong_way_round_is_caught():
    def my_anchor_loss(mu_tilde, logvar_tilde, mu, logvar):
        mu, logvar = mu.detach(), logvar.detach()
        ratio = (logvar.exp() + (mu - mu_tilde) ** 2) / logvar_tilde.exp()
        return (0.5 * (logvar_tilde - logvar + ratio - 1)).mean()

    with pytest.raises(AssertionError, match="the KL is the wrong way round"):
        _check(my_anchor_loss, "ANCHOR_LOSS")


def test_combine_that_averages_variances_is_caught():
    def my_combine_beliefs(mu, logvar, mu_tilde, logvar_tilde):
        var = (logvar.exp() + logvar_tilde.exp()) / 2
        return (mu + mu_tilde) / 2, torch.log(var)

    with pytest.raises(AssertionError, match="misses the spread of the two means"):
        _check(my_combine_beliefs, "COMBINE_BELIEFS")


def test_hold_over_the_whole_episode_is_caught():
    def my_hold(success):
        return success.sum(-1) / success.shape[-1]

    with pytest.raises(AssertionError, match="you averaged the whole episode"):
        _check(my_hold, "HOLD")


def test_hold_with_negative_slice_is_caught_on_odd_horizons():
    def my_hold(success):
        H = success.shape[-1]
        return success[..., -(H // 2) :].float().mean(-1) if H > 1 else success.float().mean(-1)

    with pytest.raises(AssertionError, match=r"for odd H the last half has ⌈H/2⌉ steps"):
        _check(my_hold, "HOLD")


def test_reward_of_one_at_the_goal_is_caught():
    def my_sparse_reward(achieved, goal, threshold):
        return (np.linalg.norm(achieved - goal, axis=-1) < threshold).astype(float)

    with pytest.raises(AssertionError, match="0 at the goal and −1 elsewhere"):
        _check(my_sparse_reward, "SPARSE_REWARD")


def test_wrapper_that_keeps_the_goal_in_the_observation_is_caught():
    def my_hidden_goal_step(obs, goal, threshold):
        reward = 0.0 if np.linalg.norm(obs["achieved_goal"] - goal) < threshold else -1.0
        return np.concatenate([obs["observation"], obs["achieved_goal"]]), reward, reward == 0

    with pytest.raises(AssertionError, match="the observation must not hold a goal"):
        _check(my_hidden_goal_step, "HIDDEN_GOAL_STEP")


def test_iqm_with_numpy_percentiles_per_column_is_caught():
    def my_iqm(scores):
        return trim_mean(scores, 0.25)  # scipy trims along axis 0 by default

    with pytest.raises(AssertionError, match=r"IQM of each task \(column\)"):
        _check(my_iqm, "IQM")


def test_bootstrap_that_resamples_tasks_with_its_own_draws_is_caught():
    """A learner who draws task indices (not the idx of the text) is caught by the probe."""

    def my_stratified_bootstrap_ci(scores, statistic, reps, confidence, seed):
        rng = np.random.default_rng(seed)
        n_runs, n_tasks = scores.shape
        stats = [statistic(scores[:, rng.integers(n_tasks, size=n_tasks)]) for _ in range(reps)]
        lo, hi = np.quantile(stats, [(1 - confidence) / 2, (1 + confidence) / 2])
        return statistic(scores), lo, hi

    with pytest.raises(AssertionError, match="resample the runs \\(rows\\) within each task"):
        _check(my_stratified_bootstrap_ci, "STRATIFIED_BOOTSTRAP")


def test_check_your_work_reruns_with_the_typical_mistakes(capsys):
    def my_hold(success):
        return success.float().mean(-1)

    with pytest.raises(AssertionError):
        check_function(my_hold, **exercise_checks.HOLD, name="my_hold_cyw")
    capsys.readouterr()
    assert check_your_work(["my_hold_cyw"]) == {"my_hold_cyw": False}
    assert "what is off: you averaged the whole episode" in capsys.readouterr().out


def test_iqm_that_slices_m_to_minus_m_is_caught_on_tiny_tables():
    """x[m:-m] is empty when fewer than four scores leave m = 0: the check has such tables."""

    def my_iqm(scores):
        x = np.sort(np.ravel(scores))
        m = len(x) // 4
        return float(x[m:-m].mean()) if m else float("nan")

    with pytest.raises(AssertionError, match="non-finite values"):
        _check(my_iqm, "IQM")


def test_bootstrap_that_ignores_the_statistic_it_is_given_is_caught():
    from simbelief_edu import report

    def my_stratified_bootstrap_ci(scores, statistic, reps, confidence, seed):
        return report.stratified_bootstrap_ci(scores, report.iqm, reps, confidence, seed)

    with pytest.raises(AssertionError, match="values differ"):
        _check(my_stratified_bootstrap_ci, "STRATIFIED_BOOTSTRAP")


def test_hold_written_for_two_dimensional_input_only_is_caught():
    def my_hold(success):
        H = success.shape[-1]
        return success[:, H // 2 :].float().mean(1)

    with pytest.raises((AssertionError, IndexError)):
        _check(my_hold, "HOLD")


def test_reach_step_that_reads_the_end_effector_from_the_observation_passes(capsys):
    """In PandaReach obs['observation'][:3] is the end effector, the achieved goal."""

    def my_hidden_goal_step(obs, goal, threshold):
        at_goal = np.linalg.norm(obs["observation"][:3] - goal) < threshold
        reward = 0.0 if at_goal else -1.0
        return obs["observation"], reward, reward == 0.0

    _check(my_hidden_goal_step, "HIDDEN_GOAL_STEP")
    assert "✓ HIDDEN_GOAL_STEP matches" in capsys.readouterr().out
