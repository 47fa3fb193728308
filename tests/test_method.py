"""The method's building blocks: shapes, closed forms, symmetry, gradients, learning."""

import math

import numpy as np
import pytest
import torch

from simbelief_edu.agents import SimBelief, VariBAD
from simbelief_edu.belief.combine import combine_beliefs
from simbelief_edu.belief.vae import BeliefEncoder, RewardDecoder
from simbelief_edu.configs import make_config
from simbelief_edu.latent.losses import transition_nll
from simbelief_edu.latent.models import (
    InverseDynamics,
    LatentReward,
    LatentTransition,
    StateEncoder,
)
from simbelief_edu.metric import (
    LatentBeliefHead,
    latent_belief_metric,
    metric_loss,
    w2_diag_gaussian,
)
from simbelief_edu.rl.sac import SAC

T, B, DS, DA, DM, DZS = 7, 4, 3, 2, 5, 6


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    return {
        "obs": torch.randn(T, B, DS, generator=g),
        "act": torch.rand(T, B, DA, generator=g) * 2 - 1,
        "rew": (torch.rand(T, B, 1, generator=g) > 0.7).float(),
        "next_obs": torch.randn(T, B, DS, generator=g),
    }


def _cfg(**kw):
    return make_config(
        "point-robot-sparse", "smoke", task_latent_dim=DM, state_latent_dim=DZS, **kw
    )


def test_shapes_through_every_module():
    enc = BeliefEncoder(DS, DA, DM, hidden=16)
    b = _batch()
    h = enc(b["next_obs"], b["act"], b["rew"])
    assert h.shape == (T + 1, B, 16)
    assert torch.equal(h[0], torch.zeros(B, 16))
    mu, logvar = enc.belief(h)
    assert mu.shape == logvar.shape == (T + 1, B, DM)
    h1 = enc.step(h[0], b["next_obs"][0], b["act"][0], b["rew"][0])
    assert torch.allclose(h1, h[1], atol=1e-6)  # online update == sequence pass
    assert RewardDecoder(DS, DA, DM)(b["obs"], b["act"], b["next_obs"], mu[1:]).shape == (T, B, 1)
    phi = StateEncoder(DS, DZS)(b["obs"])
    z = LatentBeliefHead(16, DM)(h)[0][:-1]
    mu_s, sigma_s = LatentTransition(DZS, DM, DA)(phi, z, b["act"])
    assert mu_s.shape == sigma_s.shape == (T, B, DZS)
    assert bool((sigma_s > 1e-4).all() and (sigma_s < 10).all())
    assert LatentReward(DZS, DM, DA)(phi, z, b["act"]).shape == (T, B, 1)
    assert InverseDynamics(DZS, DM, DA)(phi, z, phi, z).shape == (T, B, DA)
    for agent in (SimBelief(DS, DA, _cfg()), VariBAD(DS, DA, _cfg())):
        assert agent.features(agent.initial_hidden(3)).shape == (3, agent.feature_dim)


def test_w2_matches_one_dimensional_closed_form_and_monte_carlo():
    mu1, s1, mu2, s2 = (
        torch.tensor([0.3, -1.0]),
        torch.tensor([0.5, 2.0]),
        torch.tensor([1.0, 0.0]),
        torch.tensor([1.5, 0.2]),
    )
    w2 = w2_diag_gaussian(mu1, s1, mu2, s2)
    exact = math.sqrt(
        sum((a - b) ** 2 + (c - d) ** 2 for a, b, c, d in zip(mu1, mu2, s1, s2, strict=True))
    )
    assert w2.item() == pytest.approx(exact, rel=1e-6)
    # Monte Carlo: in 1-D the optimal coupling pairs quantiles (sorted samples); a diagonal
    # Gaussian is a product, so W2² adds up over coordinates.
    rng = np.random.default_rng(0)
    n = 200_000
    x = np.sort(rng.normal(mu1.numpy(), s1.numpy(), size=(n, 2)), axis=0)
    y = np.sort(rng.normal(mu2.numpy(), s2.numpy(), size=(n, 2)), axis=0)
    mc = math.sqrt(((x - y) ** 2).mean(0).sum())
    assert mc == pytest.approx(w2.item(), rel=0.02)


def _metric_models():
    torch.manual_seed(0)
    return LatentTransition(DZS, DM, DA), LatentReward(DZS, DM, DA), InverseDynamics(DZS, DM, DA)


def test_metric_is_symmetric_nonnegative_and_zero_on_identical_beliefs():
    models = _metric_models()
    phi_s, phi_next, a = torch.randn(9, DZS), torch.randn(9, DZS), torch.rand(9, DA)
    zi, zj, zi2, zj2 = (torch.randn(9, DM) for _ in range(4))
    d_ij = latent_belief_metric(*models, phi_s, a, phi_next, zi, zj, zi2, zj2, gamma=0.9)
    d_ji = latent_belief_metric(*models, phi_s, a, phi_next, zj, zi, zj2, zi2, gamma=0.9)
    assert d_ij.shape == (9,)
    assert torch.allclose(d_ij, d_ji)
    assert bool((d_ij > 0).all())
    d_ii = latent_belief_metric(*models, phi_s, a, phi_next, zi, zi, zi2, zi2, gamma=0.9)
    assert torch.allclose(d_ii, torch.zeros(9), atol=1e-5)


def test_metric_loss_is_zero_when_latent_distances_equal_the_metric():
    zi, zj = torch.randn(6, DM), torch.randn(6, DM)
    d = (zi - zj).abs().sum(-1)
    assert metric_loss(zi, zj, d).item() == pytest.approx(0.0, abs=1e-10)
    assert metric_loss(zi, zj, d + 1.0).item() == pytest.approx(1.0)


def test_metric_loss_does_not_train_the_target():
    zi, zj = torch.randn(6, DM, requires_grad=True), torch.randn(6, DM)
    d = torch.rand(6, requires_grad=True)
    metric_loss(zi, zj, d).backward()
    assert zi.grad is not None and d.grad is None


def test_transition_nll_stops_gradient_at_the_target():
    mu, sigma = torch.randn(4, DZS, requires_grad=True), torch.rand(4, DZS) + 0.5
    target = torch.randn(4, DZS, requires_grad=True)
    transition_nll(mu, sigma, target).backward()
    assert mu.grad is not None and target.grad is None


def test_combine_beliefs_matches_the_mixture_moments():
    mu, logvar, mu_t, logvar_t = (torch.randn(3, DM) for _ in range(4))
    mu_c, logvar_c = combine_beliefs(mu, logvar, mu_t, logvar_t, w1=0.3)
    # sample the mixture and compare its mean and variance
    n = 400_000
    pick = torch.rand(n, 1, 1) < 0.3
    samples = torch.where(
        pick,
        mu + (0.5 * logvar).exp() * torch.randn(n, 3, DM),
        mu_t + (0.5 * logvar_t).exp() * torch.randn(n, 3, DM),
    )
    assert torch.allclose(samples.mean(0), mu_c, atol=0.03)
    assert torch.allclose(samples.var(0), logvar_c.exp(), rtol=0.03, atol=0.03)
    same = combine_beliefs(mu, logvar, mu, logvar)
    assert torch.allclose(same[0], mu) and torch.allclose(same[1], logvar, atol=1e-5)


@pytest.mark.parametrize("agent_cls", [VariBAD, SimBelief])
def test_belief_loss_improves_on_a_fixed_batch(agent_cls):
    torch.manual_seed(0)
    agent = agent_cls(DS, DA, _cfg())
    opt = torch.optim.Adam(agent.parameters(), lr=1e-3)
    batch = _batch()
    losses = []
    for _ in range(150):
        loss, logs = agent.loss(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(logs["reward_nll"].item() + 0.1 * logs["kl"].item())
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])


def test_simbelief_loss_trains_every_belief_model():
    agent = SimBelief(DS, DA, _cfg())
    loss, logs = agent.loss(_batch())
    assert set(logs) == {"reward_nll", "kl", "transition", "reward", "inverse", "metric"}
    loss.backward()
    for name, p in agent.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_sac_solves_a_one_dimensional_point_task():
    """x ∈ [-1, 1], x ← x + 0.1 a, reward −|x − 0.5|: SAC must learn to go to 0.5 and stay."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    sac = SAC(1, 1, hidden=32, lr=3e-3, gamma=0.9, alpha=0.01)
    xs, acts, rews, nxs = [], [], [], []
    for episode in range(40):
        x = rng.uniform(-1, 1)
        for _ in range(20):
            a = rng.uniform(-1, 1) if episode < 5 else sac.act(torch.tensor([[x]]))[0, 0].item()
            nx = float(np.clip(x + 0.1 * a, -1, 1))
            xs.append(x), acts.append(a), rews.append(-abs(nx - 0.5)), nxs.append(nx)
            x = nx
        data = [torch.tensor(v, dtype=torch.float32).unsqueeze(-1) for v in (xs, acts, rews, nxs)]
        for _ in range(40):
            idx = torch.randint(len(xs), (128,))
            sac.update(data[0][idx], data[1][idx], data[2][idx, 0], data[3][idx])
    finals = []
    for x0 in (-0.9, 0.0, 0.9):
        x = x0
        for _ in range(20):
            x = float(np.clip(x + 0.1 * sac.act(torch.tensor([[x]]), True)[0, 0].item(), -1, 1))
        finals.append(x)
    assert max(abs(x - 0.5) for x in finals) < 0.15, finals


def test_latent_losses_do_not_reach_the_specific_belief_encoder():
    agent = SimBelief(DS, DA, _cfg())
    _, logs = agent.loss(_batch())
    latent = logs["transition"] + logs["reward"] + logs["inverse"] + logs["metric"]
    latent.backward()
    assert all(p.grad is None for p in agent.encoder.parameters())
    assert all(p.grad is not None for p in agent.latent_head.parameters())


def test_reward_term_sums_over_past_pairs_and_averages_over_batch():
    from simbelief_edu.belief.elbo import reward_log_likelihood_loss

    torch.manual_seed(0)
    dec = RewardDecoder(DS, DA, DM)
    b = _batch()
    m = torch.randn(T + 1, B, DM)
    got = reward_log_likelihood_loss(
        dec, b["obs"], b["act"], b["rew"], b["next_obs"], m, torch.arange(T + 1)
    )
    expected = 0.0
    for t in range(T + 1):  # belief after t transitions decodes transitions 0 … t−1
        for tp in range(t):
            pred = dec(b["obs"][tp], b["act"][tp], b["next_obs"][tp], m[t])
            expected += ((pred - b["rew"][tp]) ** 2).sum() / B
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)
    # decoding every other belief, rescaled by (T+1)/K, estimates the same sum
    half = torch.arange(0, T + 1, 2)
    est = reward_log_likelihood_loss(
        dec, b["obs"], b["act"], b["rew"], b["next_obs"], m[half], half
    )
    assert 0.3 * expected.item() < est.item() < 3 * expected.item()
