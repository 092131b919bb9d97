"""The chapter example runs end to end and reproduces the chapter's numbers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chapter.py"

EXPECTED_FIGURES = {
    "normal_distribution",
    "normal_dow_feature6",
    "gmm_dow_2_components",
    "gmm_dow_9_components",
    "gmm_dow_synthetic",
    "gmm_dow_conditional",
    "bic_dow_2d_full",
    "bic_digits_full",
    "bic_digits_spherical",
    "bic_digits_pca30_full",
    "digits_samples_full",
    "digits_samples_spherical",
    "digits_samples_pca_gmm",
    "digit6_samples",
    "kde_vs_histogram",
    "kde_synthetic_vs_original",
    "kde_digits_samples",
    "confusion_kde_bayes",
    "confusion_gaussian_nb",
}


def _load_example():
    spec = importlib.util.spec_from_file_location("densitykit_chapter_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(results, out: Path) -> None:
    assert results["not-so-naive Bayes (KDE, bandwidth 10) accuracy"] == 0.9907407407407407
    assert results["Gaussian naive Bayes accuracy"] == 0.8314814814814815
    assert results["log p(x | 0) for the first 3 digits"] == pytest.approx(
        [-208.48758285, -220.39043884, -218.35226166], abs=1e-7
    )
    assert results["Dow inputs (rows, columns)"] == (5668, 40)
    written = {p.stem for p in out.glob("*.png")}
    assert written == EXPECTED_FIGURES
    assert all(p.stat().st_size > 1000 for p in out.glob("*.png"))


def test_chapter_quick(tmp_path, capsys):
    results = _load_example().main(["--out", str(tmp_path), "--quick", "--n-jobs", "1"])
    _check(results, tmp_path)
    printed = capsys.readouterr().out
    assert "Gaussian naive Bayes accuracy: 0.8314814814814815" in printed


@pytest.mark.slow
def test_chapter_full(tmp_path):
    results = _load_example().main(["--out", str(tmp_path)])
    _check(results, tmp_path)
    # the chapter's BIC sweeps: the digits' full-covariance optimum lies below 10 components,
    # and spherical components need many more
    assert results["digits full: BIC-best n_components"] < 10
    assert results["digits spherical: BIC-best n_components"] > 20
