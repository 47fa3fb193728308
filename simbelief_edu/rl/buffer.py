"""Replay storage organised per task: whole meta-episodes, so a batch is [tasks × transitions].

Each task keeps a ring of its last ``capacity`` meta-episodes of length T = k·H. Stored per
step: the state s_t the policy saw, a_t, r_{t+1}, the true next state s_{t+1} (at an episode
boundary this is the last state of the finished episode, not the next episode's first), and
the belief encoder's hidden states h_0 … h_T (T+1 of them: before each step and after the
last), from which the policy's belief features are read at sampling time.
All storage is torch tensors so a checkpoint is a plain state dict. The data live on
``device`` (the networks' device); the counts and the random indices stay on the CPU, and each
sample moves its index tensors over once.
"""

from __future__ import annotations

import torch


class TaskBuffer:
    def __init__(
        self,
        n_tasks: int,
        capacity: int,
        T: int,
        obs_dim: int,
        act_dim: int,
        hidden_dim: int,
        device: torch.device | str = "cpu",
    ):
        self.capacity, self.T, self.device = capacity, T, torch.device(device)
        shape = (n_tasks, capacity, T)
        self.data = {
            "obs": torch.zeros(*shape, obs_dim, device=device),
            "act": torch.zeros(*shape, act_dim, device=device),
            "rew": torch.zeros(*shape, device=device),
            "next_obs": torch.zeros(*shape, obs_dim, device=device),
            "h": torch.zeros(n_tasks, capacity, T + 1, hidden_dim, device=device),
        }
        self.count = torch.zeros(n_tasks, dtype=torch.long)  # meta-episodes ever added

    def add(self, task_ids: torch.Tensor, episodes: dict[str, torch.Tensor]) -> None:
        """Store one meta-episode per task: ``episodes[key]`` is [n, T, ·] (h [n, T+1, ·])."""
        slots = self.count[task_ids] % self.capacity
        for key, value in self.data.items():
            value[task_ids, slots] = episodes[key]
        self.count[task_ids] += 1

    def filled_tasks(self) -> torch.Tensor:
        return torch.nonzero(self.count > 0).squeeze(-1)

    def _random_episodes(self, task_ids: torch.Tensor, per_task: int) -> torch.Tensor:
        size = self.count[task_ids].clamp(max=self.capacity)  # [n]
        return (torch.rand(len(task_ids), per_task) * size.unsqueeze(1)).long()  # [n, per_task]

    def sample_transitions(self, task_ids: torch.Tensor, per_task: int) -> dict[str, torch.Tensor]:
        """``per_task`` random transitions of each task, as [n, per_task, ·] tensors, with the
        next state the policy saw after each step (``next_obs``; the next episode's first state
        after a boundary), the true next state (``true_next_obs``, for the dynamics models) and
        the hidden states h_t, h_{t+1}.

        The time steps are shared across tasks (sample m of every task is at the same step t_m
        of one of its meta-episodes), so tasks can be compared at matched time steps."""
        eps = self._random_episodes(task_ids, per_task)  # [n, per_task]
        t = torch.randint(0, self.T, (per_task,)).expand(len(task_ids), per_task)
        # one flat row index per sample, so each key is a single index_select
        row = task_ids.unsqueeze(1) * self.capacity + eps
        i, i_h = (row * self.T + t).flatten(), (row * (self.T + 1) + t).flatten()
        i_next = (row * self.T + (t + 1).clamp(max=self.T - 1)).flatten()
        i, i_h, i_next = (index.to(self.device) for index in (i, i_h, i_next))
        shape = (len(task_ids), per_task)

        def take(key: str, index: torch.Tensor) -> torch.Tensor:
            value = self.data[key]
            flat = value.view(-1, *value.shape[3:])  # [tasks · capacity · steps, ·]
            return flat.index_select(0, index).view(*shape, *value.shape[3:])

        true_next = take("next_obs", i)
        # the next state the policy saw: s_{t+1}, but a reset state after the last step
        next_policy_obs = take("obs", i_next)
        last = (t == self.T - 1).to(self.device)
        next_policy_obs[last] = true_next[last]
        return {
            "obs": take("obs", i),
            "h": take("h", i_h),
            "act": take("act", i),
            "rew": take("rew", i),
            "next_obs": next_policy_obs,
            "true_next_obs": true_next,
            "next_h": take("h", i_h + 1),
        }

    def sample_episodes(self, task_ids: torch.Tensor, per_task: int = 1) -> dict[str, torch.Tensor]:
        """``per_task`` random stored meta-episodes of each task, time-major: [T, n·per_task, ·]
        (rew [T, n·per_task, 1]), task-major along the batch axis."""
        tasks = task_ids.repeat_interleave(per_task)
        eps = self._random_episodes(task_ids, per_task).flatten()
        batch = {k: self.data[k][tasks, eps].transpose(0, 1) for k in ("obs", "act", "next_obs")}
        batch["rew"] = self.data["rew"][tasks, eps].transpose(0, 1).unsqueeze(-1)
        return batch

    @torch.no_grad()
    def refresh_hidden(self, agent, chunk: int = 512) -> None:
        """Recompute the stored hidden states with the current belief encoder (one batched
        GRU pass per chunk of meta-episodes), so the policy trains on up-to-date beliefs."""
        filled = torch.arange(self.capacity) < self.count.clamp(max=self.capacity).unsqueeze(1)
        for part in filled.nonzero().split(chunk):  # rows (task, slot)
            task, slot = part[:, 0], part[:, 1]
            seq = {k: self.data[k][task, slot].transpose(0, 1) for k in ("next_obs", "act", "rew")}
            h = agent.encoder(seq["next_obs"], seq["act"], seq["rew"].unsqueeze(-1))  # [T+1, M, H]
            self.data["h"][task, slot] = h.transpose(0, 1)

    def state_dict(self) -> dict:
        return {"data": self.data, "count": self.count}

    def load_state_dict(self, state: dict) -> None:
        self.data = {k: v.to(self.device) for k, v in state["data"].items()}
        self.count = state["count"].cpu()
