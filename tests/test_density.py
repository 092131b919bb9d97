"""The helpers of densitykit.density shared by the estimators."""

import numpy as np

from densitykit.density import draw_categories


class _Zeros:
    """A generator whose uniform numbers are all 0.0, to hit the tie at the lower end."""

    def random(self, size=None):
        return np.zeros(size)


def test_rows_and_a_vector_of_weights_draw_the_same_categories_from_one_stream():
    w = np.array([0.2, 0.0, 0.5, 0.3])
    flat = draw_categories(np.random.default_rng(3), w, 200)
    rows = draw_categories(np.random.default_rng(3), np.tile(w, (200, 1)))
    np.testing.assert_array_equal(rows, flat)


def test_a_tie_at_a_leading_zero_weight_never_picks_that_category():
    w = np.array([0.0, 1.0, 0.0])
    assert draw_categories(_Zeros(), w, 3).tolist() == [1, 1, 1]
    assert draw_categories(_Zeros(), np.tile(w, (3, 1))).tolist() == [1, 1, 1]


def test_rows_whose_weights_are_zero_or_not_finite_draw_uniformly():
    n, k = 4000, 4
    for bad in (np.zeros(k), [np.nan, 1.0, 1.0, 1.0], [np.inf, 1.0, 0.0, 0.0]):
        w = np.tile(np.asarray(bad, dtype=float), (n, 1))
        idx = draw_categories(np.random.default_rng(0), w)
        counts = np.bincount(idx, minlength=k)
        assert counts.shape == (k,) and counts.min() > 0.2 * n, counts


def test_a_row_with_usable_weights_is_unaffected_by_a_bad_row_beside_it():
    good = np.array([0.1, 0.0, 0.9])
    w = np.vstack([np.zeros(3), good, [np.nan] * 3, good])
    ref = draw_categories(np.random.default_rng(5), np.tile(good, (4, 1)))
    idx = draw_categories(np.random.default_rng(5), w)
    assert idx[[1, 3]].tolist() == ref[[1, 3]].tolist()
    assert np.all((idx >= 0) & (idx < 3))
