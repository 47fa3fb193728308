"""Off-policy RL: SAC on the belief-augmented state, and per-task replay buffers."""
