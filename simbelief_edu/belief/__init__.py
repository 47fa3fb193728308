"""The specific task belief: a VariBAD-style VAE (method.md §2.1)."""
