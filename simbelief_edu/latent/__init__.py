"""Latent dynamics shared across tasks: φ, P̂, R̂ and the inverse dynamics I (method.md §2.2)."""
