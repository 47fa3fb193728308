"""Latent dynamics shared across tasks: φ, P̂, R̂ and the inverse dynamics I
({eq}`eq-latent-transition`–{eq}`eq-inverse`)."""
