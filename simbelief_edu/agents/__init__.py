"""The two agents: SimBelief and the VariBAD-style baseline. Same interface:

- ``initial_hidden(n)`` / ``step(h, next_obs, act, rew)``: the belief, updated online;
- ``features(h)``: what the policy sees besides the state (detached by the caller);
- ``loss(batch)``: the belief models' training loss on meta-episodes [T, B, ·], with logs.
"""

from simbelief_edu.agents.simbelief import SimBelief
from simbelief_edu.agents.varibad import VariBAD

__all__ = ["SimBelief", "VariBAD", "make_agent"]


def make_agent(name: str, obs_dim: int, act_dim: int, cfg) -> SimBelief | VariBAD:
    """The agent called ``name`` ("simbelief" or "varibad") for these dimensions."""
    agents = {"simbelief": SimBelief, "varibad": VariBAD}
    if name not in agents:
        raise ValueError(f"unknown agent {name!r}; choose one of {', '.join(agents)}")
    return agents[name](obs_dim, act_dim, cfg)
