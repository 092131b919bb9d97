"""The columns of a model-selection results table, shared by the selector and its plots."""

from __future__ import annotations

__all__ = ["RESULT_COLUMNS"]

#: the columns of ``ModelSelector.results_`` that are results (in table order), not grid
#: parameters
RESULT_COLUMNS = ("bic", "aic", "train_loglik", "heldout_loglik", "heldout_loglik_se",
                  "heldout_loglik_median", "detection_auc", "share_closer", "n_parameters",
                  "fit_time", "cv_time", "converged", "n_iter", "warning", "error")
