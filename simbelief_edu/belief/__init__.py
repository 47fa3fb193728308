"""The specific task belief: a VariBAD-style VAE ({eq}`eq-elbo`)."""
