"""The fused training engine for Fourier features (private).

It computes the value and gradient of :class:`gft.ReducedObjective` by hand — the ridge
system from two real Gram products and its rank-4 backward pass (:mod:`.mse`), the TV term
and its gradient (:mod:`.tv`), and the whole Adam step without an autograd graph
(:mod:`.step`) — and is tested against the definition. Chosen by
:func:`gft.training.resolve_engine`; nothing here is public API.
"""
