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


def test_a_model_that_is_its_baseline_is_not_called_worse():
    import pandas as pd

    from densitykit import Synthesizer

    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    df = pd.DataFrame({"a": x.round(3), "b": (x + rng.normal(size=200)).round(3)})
    synth = Synthesizer(model="gmm", n_components=[1], criterion="loglik").fit(df)
    ev = synth.evaluate()
    assert ev.heldout_loglik == pytest.approx(ev.baseline_loglik, abs=1e-9)  # one Gaussian
    verdict = next(v for v in ev.verdicts() if v.metric == "Held-out log-likelihood")
    assert verdict.level == "fair"
    assert "worse" not in verdict.text and "as good" in verdict.text


class _Shifted:
    """A model whose log-density of a row is one Gaussian's plus ``shift + noise``."""

    def __init__(self, train, shift, noise, seed=0):
        from scipy.stats import multivariate_normal

        self.g = multivariate_normal(train.mean(0), np.cov(train, rowvar=False))
        self.shift, self.noise, self.rng = shift, noise, np.random.default_rng(seed)

    def score_samples(self, X):
        X = np.asarray(X, dtype=np.float64)
        return self.g.logpdf(X) + self.shift + self.noise * self.rng.standard_normal(len(X))


@pytest.mark.parametrize(("shift", "noise", "level", "words"), [
    (-0.05, 1.0, "fair", "within the"),  # 0.05 worse, the rows' spread ±0.16: no loss shown
    (-0.05, 0.01, "poor", "beyond the"),
    (0.5, 1.0, "good", "beyond the"),
])
def test_the_gain_over_one_gaussian_is_read_against_what_chance_moves(shift, noise, level,
                                                                        words):
    from densitykit.evaluate import evaluate

    rng = np.random.default_rng(1)
    train, test = rng.normal(size=(600, 3)), rng.normal(size=(160, 3))
    ev = evaluate(train, train[:100], holdout=test, model=_Shifted(train, shift, noise),
                  detection=False, privacy=False)
    # the same rows' differences, paired: their standard error
    gain = _Shifted(train, shift, noise).score_samples(test) - _Shifted(train, 0, 0).g.logpdf(
        test)
    assert ev.baseline_gain_se == pytest.approx(gain.std(ddof=1) / np.sqrt(160))
    verdict = next(v for v in ev.verdicts() if v.metric == "Held-out log-likelihood")
    assert verdict.level == level and words in verdict.text, verdict.text
    assert f"±{2 * ev.baseline_gain_se:.2f} that chance alone moves" in verdict.text


def test_the_summary_names_every_poor_figure_beside_a_good_headline():
    from densitykit.evaluate import evaluate
    from densitykit.report import build_report

    rng = np.random.default_rng(0)
    real, synthetic = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    ev = evaluate(real, synthetic, privacy=False)
    ev.detection_auc, ev.trend_similarity = 0.5, 0.5  # good headline, one poor figure
    page = build_report(real, synthetic, evaluation=ev)
    summary = page[page.index('<section id="summary">'):page.index('<section id="cleaning">')]
    assert "Good: the synthetic rows are hard to tell" in summary
    assert "But 1 of the" in summary and "is poor: Pairwise trend similarity" in summary
    assert "Pairwise trend similarity</div>" in summary  # its card


def test_few_test_rows_are_said_to_make_rough_figures():
    from densitykit.evaluate import evaluate
    from densitykit.report import build_report

    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(240, 3)), rng.normal(size=(60, 3))
    synthetic = rng.normal(size=(300, 3))
    ev = evaluate(train, synthetic, holdout=test, privacy=False)
    assert ev.detection_noise == pytest.approx(1 / np.sqrt(60))
    verdict = next(v for v in ev.verdicts() if v.metric == "Detection AUC")
    assert "chance alone moves the AUC by about ±0.13" in verdict.text
    page = build_report(train, synthetic, holdout=test, evaluation=ev)
    summary = page[page.index('<section id="summary">'):page.index('<section id="cleaning">')]
    assert "every figure rough" in summary
    many = evaluate(rng.normal(size=(800, 3)), rng.normal(size=(800, 3)), privacy=False)
    assert many.detection_noise is None
    assert "chance" not in next(v for v in many.verdicts() if v.metric == "Detection AUC").text
