"""The report says what the figures show, on sparse and small tables too."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")


def test_a_histogram_keeps_a_few_real_values_beside_many_synthetic_ones():
    from densitykit.report import _figures

    real = np.array([10.0])  # a sparse column: one observed test cell
    synthetic = np.linspace(0.0, 1.0, 50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns when the real histogram is empty
        png = _figures.histogram("rare", real, synthetic, None)
    assert png.startswith(b"\x89PNG")
