"""Drawing rows chunk by chunk: the chunk sizes and one seed per chunk, so that the same seed
gives the same rows into a Dask array (:func:`densitykit.scale.dask.sample_dask`) or a file
(:func:`densitykit.scale.stream.sample_to_file`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int, check_random_state

__all__ = ["chunk_seeds", "chunk_sizes", "draw_chunk"]


def chunk_sizes(n_samples: int, chunksize: int) -> list[int]:
    """Sizes of the chunks that make up ``n_samples`` rows."""
    n = check_int(n_samples, "n_samples", 1)
    c = check_int(chunksize, "chunksize", 1)
    return [min(c, n - s) for s in range(0, n, c)]


def chunk_seeds(random_state: Any, n_chunks: int) -> list[np.random.SeedSequence]:
    """Independent seeds, one per chunk, from a user ``random_state``: the same seed gives the
    same chunks wherever and in whatever order they are drawn."""
    if random_state is None or isinstance(random_state, (int, np.integer)):
        root = np.random.SeedSequence(None if random_state is None else int(random_state))
    else:
        root = np.random.SeedSequence(int(check_random_state(random_state).integers(2**63)))
    return root.spawn(n_chunks)


def draw_chunk(est: Any, m: int, seed: np.random.SeedSequence) -> Any:
    """``est.sample(m)`` with its own generator: rows (and labels for a mixture)."""
    return est.sample(m, random_state=np.random.default_rng(seed))
