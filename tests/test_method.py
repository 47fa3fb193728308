"""The method's building blocks: shapes, closed forms, symmetry, gradients, learning."""

import math

import numpy as np
import pytest
import torch

from simbelief_edu.agents import SimBelief, VariBAD
from simbelief_edu.belief.combine import combine_beliefs
from simbelief_edu.belief.elbo import gaussian_kl
from simbelief_edu.belief.latent_head import LatentBeliefHead, anchor_loss
from simbelief_edu.belief.vae import BeliefEncoder, RewardDecoder
from simbelief_edu.configs import make_config
from simbelief_edu.latent.losses import transition_nll
from simbelief_edu.latent.models import (
    InverseDynamics,
    LatentDynamics,
    LatentReward,
    LatentTransition,
    StateEncoder,
)
from simbelief_edu.metric import (
    LatentTransitionBatch,
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


@pytest.mark.parametrize("inverse", [True, False])
def test_metric_is_symmetric_nonnegative_and_zero_on_identical_beliefs(inverse):
    torch.manual_seed(0)
    models = LatentDynamics(DS, DA, _cfg(inverse_dynamics=inverse))
    x = LatentTransitionBatch(torch.randn(9, DZS), torch.rand(9, DA), torch.randn(9, DZS))
    zi, zj, zi2, zj2 = (torch.randn(9, DM) for _ in range(4))
    d_ij = latent_belief_metric(models, x, (zi, zi2), (zj, zj2), gamma=0.9)
    d_ji = latent_belief_metric(models, x, (zj, zj2), (zi, zi2), gamma=0.9)
    assert d_ij.shape == (9,)
    assert torch.allclose(d_ij, d_ji)
    assert bool((d_ij > 0).all())
    d_ii = latent_belief_metric(models, x, (zi, zi2), (zi, zi2), gamma=0.9)
    assert torch.allclose(d_ii, torch.zeros(9), atol=1e-5)
    # the inverse term: only task i's next sample differs, so only that term sees it
    d_next = latent_belief_metric(models, x, (zi, zj2), (zi, zi2), gamma=0.9)
    assert bool((d_next > 1e-4).all()) == inverse


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


def _sac_batch(n=4, m=6, seed=0):
    """A SAC batch as ``Run.update_policy`` hands it to ``SimBelief.latent_loss``: [N, M, ·]."""
    g = torch.Generator().manual_seed(seed)
    return {
        "obs": torch.randn(n, m, DS, generator=g),
        "act": torch.rand(n, m, DA, generator=g) * 2 - 1,
        "rew": (torch.rand(n, m, generator=g) > 0.7).float(),
        "next_obs": torch.randn(n, m, DS, generator=g),
        "h": torch.randn(n, m, 32, generator=g),  # the smoke preset's gru_hidden
        "next_h": torch.randn(n, m, 32, generator=g),
    }


def test_simbelief_elbo_trains_the_encoder_and_decoder_only():
    agent = SimBelief(DS, DA, _cfg())
    loss, logs = agent.loss(_batch())
    assert set(logs) == {"reward_nll", "kl"}
    loss.backward()
    for name, p in agent.named_parameters():
        trained = name.startswith(("encoder.", "reward_decoder."))
        assert (p.grad is not None and p.grad.abs().sum() > 0) == trained, name


@pytest.mark.parametrize(
    "overrides, terms",
    [
        ({}, {"transition", "reward", "inverse", "metric", "anchor"}),
        ({"inverse_dynamics": False}, {"transition", "reward", "metric", "anchor"}),
        ({"latent_dynamics": False}, {"metric", "anchor"}),
    ],
)
def test_latent_loss_trains_the_latent_models_and_never_the_encoder(overrides, terms):
    torch.manual_seed(0)
    agent = SimBelief(DS, DA, _cfg(**overrides))
    loss, logs = agent.latent_loss(_sac_batch())
    assert set(logs) == terms
    loss.backward()
    assert all(p.grad is None for p in agent.encoder.parameters())
    assert all(p.grad is None for p in agent.reward_decoder.parameters())
    trained = [agent.latent_head]  # without latent dynamics: by L_sim and the anchor only
    if "transition" in terms:
        trained += [agent.latent.phi, agent.latent.transition, agent.latent.reward]
    if "inverse" in terms:
        trained.append(agent.latent.inverse)
    for part in trained:
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())
    assert (agent.latent.inverse is None) == (not overrides.get("inverse_dynamics", True))
    slow, fast = agent.latent_param_groups()
    assert {id(p) for p in slow + fast} == {
        id(p) for part in (agent.latent_head, agent.latent) for p in part.parameters()
    }


def test_anchor_is_the_kl_to_the_fixed_specific_belief():
    mu_t, lv_t = torch.randn(5, DM, requires_grad=True), torch.randn(5, DM, requires_grad=True)
    mu, lv = torch.randn(5, DM, requires_grad=True), torch.randn(5, DM, requires_grad=True)
    kl = anchor_loss(mu_t, lv_t, mu, lv)
    # closed form of KL(N(μ̃, σ̃²) ‖ N(μ, σ²)) per coordinate, averaged over batch and coordinates
    per = 0.5 * (lv - lv_t + (lv_t.exp() + (mu_t - mu) ** 2) / lv.exp() - 1)
    assert kl.item() == pytest.approx(per.mean().item(), rel=1e-5)
    assert anchor_loss(mu, lv, mu, lv).item() == pytest.approx(0.0, abs=1e-6)
    kl.backward()
    assert mu_t.grad is not None and lv_t.grad is not None
    assert mu.grad is None and lv.grad is None  # the specific belief is a fixed target
    # KL(b̃ ‖ b), not KL(b ‖ b̃): the order matters for unequal variances
    assert kl.item() != pytest.approx(gaussian_kl(mu, lv, mu_t, lv_t).mean().item() / DM)


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


def test_reward_term_decodes_the_whole_meta_episode_from_every_belief():
    from simbelief_edu.belief.elbo import reward_log_likelihood_loss

    torch.manual_seed(0)
    dec = RewardDecoder(DS, DA, DM)
    b = _batch()
    m = torch.randn(T + 1, B, DM)
    got = reward_log_likelihood_loss(
        dec, b["obs"], b["act"], b["rew"], b["next_obs"], m, torch.arange(T + 1)
    )
    expected = 0.0
    for t in range(T + 1):  # each belief decodes all T transitions, past and future
        err = torch.stack(
            [(dec(b["obs"][tp], b["act"][tp], b["next_obs"][tp], m[t]) - b["rew"][tp]) ** 2
             for tp in range(T)]
        )  # fmt: skip
        expected += err.mean(0).sum() / B  # mean over positions, then over the batch
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)
    # decoding every other belief, rescaled by (T+1)/K, estimates the same sum
    half = torch.arange(0, T + 1, 2)
    est = reward_log_likelihood_loss(
        dec, b["obs"], b["act"], b["rew"], b["next_obs"], m[half], half
    )
    assert 0.5 * expected.item() < est.item() < 2 * expected.item()


def test_split_reward_decoder_equals_one_layer_on_the_concatenation():
    """W_x [s, a, s'] + W_m m + b is the first layer W [s, a, s', m] + b, and the broadcast
    decoding of K beliefs × T transitions equals decoding the expanded pairs."""
    torch.manual_seed(0)
    dec = RewardDecoder(DS, DA, DM)
    b = _batch()
    m = torch.randn(3, B, DM)
    full = torch.nn.Linear(2 * DS + DA + DM, 64)
    with torch.no_grad():
        full.weight.copy_(torch.cat([dec.first_x.weight, dec.first_m.weight], 1))
        full.bias.copy_(dec.first_x.bias)
    xs = [b["obs"][None], b["act"][None], b["next_obs"][None], m[:, None]]
    pairs = torch.cat([x.expand(3, T, B, x.shape[-1]) for x in xs], -1)
    expected = dec.rest(full(pairs))
    torch.testing.assert_close(dec(*xs), expected, rtol=1e-5, atol=1e-6)
