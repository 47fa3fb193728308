"""Running meta-episodes with the belief updated online (book chapter 1, {eq}`eq-bamdp`).

``run_meta_episodes`` steps one environment per task in lockstep, batching the belief update
and the policy over tasks: one policy call per time step for all tasks. The environments run on
the CPU; the belief and the policy on the agent's device (that of its hidden state), and the
batched observations, rewards and actions cross over once per step.
"""

from __future__ import annotations

import numpy as np
import torch

from simbelief_edu.envs import MetaEpisode


def to_env_action(env: MetaEpisode, a: np.ndarray) -> np.ndarray:
    """Map a policy action in [-1, 1]^d to the env's action box."""
    low, high = env.action_space.low, env.action_space.high
    return (low + 0.5 * (a + 1.0) * (high - low)).astype(env.action_space.dtype)


@torch.no_grad()
def run_meta_episodes(
    envs: list[MetaEpisode],
    agent,
    policy,
    tasks: np.ndarray,
    seeds: np.ndarray,
    random_actions: np.random.Generator | None = None,
    deterministic: bool = False,
) -> dict[str, torch.Tensor]:
    """One meta-episode in each task (``envs[k]`` runs ``tasks[k]``).

    Actions come from ``policy`` (a SAC: ``policy.act(x, deterministic)`` with x = [s, features])
    or, when ``random_actions`` is a generator, uniformly at random. Returns tensors [n, T, ·]
    (``feat`` [n, T+1, F], ``h`` [n, T+1, H]): what the policy saw, did and got, the true next
    states, successes, and the belief's hidden states h_0 … h_T, on the agent's device.
    """
    n, envs = len(tasks), envs[: len(tasks)]
    horizon, k = envs[0].horizon, envs[0].episodes_per_task
    T, act_dim = horizon * k, envs[0].action_space.shape[0]
    obs = np.stack(
        [
            e.reset(seed=int(s), options={"task": t})[0]
            for e, s, t in zip(envs, seeds, tasks, strict=True)
        ]
    )
    h = agent.initial_hidden(n)
    device = h.device
    out = {
        "obs": torch.zeros(n, T, obs.shape[1], device=device),
        "act": torch.zeros(n, T, act_dim, device=device),
        "rew": torch.zeros(n, T, device=device),
        "next_obs": torch.zeros(n, T, obs.shape[1], device=device),
        "feat": torch.zeros(n, T + 1, agent.feature_dim, device=device),
        "h": torch.zeros(n, T + 1, *h.shape[1:], device=device),
        "success": torch.zeros(n, T, dtype=torch.bool, device=device),
    }
    for t in range(T):
        obs_t = torch.as_tensor(obs, dtype=torch.float32, device=device)  # [n, obs_dim]
        out["obs"][:, t], out["feat"][:, t], out["h"][:, t] = obs_t, agent.features(h), h
        if random_actions is not None:
            a = random_actions.uniform(-1.0, 1.0, size=(n, act_dim)).astype(np.float32)
        else:
            x = torch.cat([obs_t, out["feat"][:, t]], -1)
            a = policy.act(x, deterministic).cpu().numpy()  # [n, act_dim]
        next_obs, true_next = np.empty_like(obs), np.empty_like(obs)
        rew, success = np.zeros(n, np.float32), np.zeros(n, bool)
        for i, env in enumerate(envs):
            o, r, _, _, info = env.step(to_env_action(env, a[i]))
            next_obs[i], rew[i], success[i] = o, r, info["success"]
            true_next[i] = info["final_obs"] if info["episode_done"] else o
        out["rew"][:, t] = torch.as_tensor(rew, device=device)
        out["success"][:, t] = torch.as_tensor(success, device=device)
        out["next_obs"][:, t] = torch.as_tensor(true_next, dtype=torch.float32, device=device)
        out["act"][:, t] = torch.as_tensor(a, device=device)
        h = agent.step(h, out["next_obs"][:, t], out["act"][:, t], out["rew"][:, t, None])
        obs = next_obs
    out["feat"][:, T], out["h"][:, T] = agent.features(h), h
    return out
