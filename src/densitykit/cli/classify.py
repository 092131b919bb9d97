"""``densitykit classify fit|predict``: a generative classifier from one density per class."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import (
    MODEL_SUFFIX,
    CommandError,
    add_output,
    add_seed,
    add_table_options,
    common_options,
    derived_path,
    info,
    open_model,
    open_table,
    output_path,
    progress,
    raw_options,
    read_input_table,
    read_model_columns,
    resolve_seed,
    share,
    with_identifiers,
    write_frame,
)
from ._models import add_model_options, build_density, transform_arg

HELP = "fit a classifier with one density per class (--target), or predict with it"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    fit = sub.add_parser("fit", help="fit a classifier on a table with a label column",
                         description="Fit one density per class of --target.",
                         parents=[common_options()])
    fit.add_argument("table", type=Path, nargs="?",
                     help="table holding the features and the label")
    fit.add_argument("--target", required=True, help="name of the label column")
    fit.add_argument("--priors", choices=["fitted", "uniform"], default="fitted",
                     help="class priors: class frequencies or uniform (default: fitted)")
    fit.add_argument("--test-size", type=share(), default=None, metavar="SHARE",
                     help="also report the accuracy on a random SHARE of the rows held out "
                     "from a first fit (scikit-learn's train_test_split with --seed); the "
                     "saved model is then fitted on every row")
    add_output(fit, "model file", "TABLE's name with -classifier.dkm")
    add_table_options(fit)
    add_model_options(fit, default_components="1", selection=False, default_model="kde")
    add_seed(fit)
    fit.set_defaults(_action=_fit)

    pred = sub.add_parser("predict", help="predict the class of each row of a table",
                          description="Predict classes with a classifier model file.",
                          parents=[common_options()])
    pred.add_argument("model", type=Path, help="model file from 'densitykit classify fit'")
    pred.add_argument("table", type=Path, help="table holding the model's feature columns")
    pred.add_argument("--proba", action="store_true", help="also write class probabilities")
    add_output(pred, "table of predictions", "TABLE's name with -predictions.csv")
    pred.add_argument("--out-format", choices=["csv", "tsv", "excel", "parquet"],
                      help="output format (default: from the output's extension)")
    add_table_options(pred, columns=False)
    pred.set_defaults(_action=_predict)


def run(args: argparse.Namespace) -> int:
    return args._action(args)


def _labels(args: argparse.Namespace, path: Path, target: str, rows: object) -> object:
    from ..data import read_raw

    raw = read_raw(path, **raw_options(args))
    if target not in raw.columns:
        import difflib

        close = difflib.get_close_matches(target, list(raw.columns), n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise CommandError(f"--target {target!r} is not a column of {path}{hint}")
    return raw[target].iloc[rows]


def _fit(args: argparse.Namespace) -> int:
    import numpy as np

    from ..classify import GenerativeClassifier
    from ..persist import save
    from ..preprocess import TableModel

    source = open_table(args, "densitykit classify fit TABLE --target COLUMN [options]")
    output = output_path(args, derived_path(source, MODEL_SUFFIX, "-classifier"), [source])
    seed = resolve_seed(args)
    X, y, table = _labelled_rows(args, source)
    density, is_selection = build_density(args, seed)
    classes, counts = np.unique(y, return_counts=True)
    if is_selection:
        _refuse_small_classes(density.cv, classes, counts)
    priors = None if args.priors == "fitted" else np.full(len(classes), 1 / len(classes))
    model = GenerativeClassifier(
        TableModel(density, column_transform=transform_arg(args), clip=args.clip,
                   round_integers=not args.no_round,
                   round_decimals=not args.no_round),
        priors=priors,
    )
    held_out = "" if args.test_size is None else _held_out(args, model, X, y, seed)
    with progress(args, f"Fitting {len(classes)} class densities"):
        model.fit(X, y)
        accuracy = float(np.mean(model.predict(X) == y))
    save(model, output, metadata={
        "command": "classify fit", "source": source.name, "columns": list(X.columns),
        "target": args.target, "classes": [str(c) for c in classes],
        "class_counts": [int(c) for c in counts], "n_rows": len(X), "seed": seed,
        "cleaning": table.report.to_dict(), "argv": list(getattr(args, "argv", [])),
    })
    print(f"{output}: {len(classes)} classes, one {args.model} per class on {X.shape[1]} columns "
          f"x {len(X)} rows; training accuracy {accuracy:.4f}{held_out}")
    return 0


def _refuse_small_classes(folds: int, classes: Any, counts: Any) -> None:
    """Stop before fitting when a class is too small for the folds that compare the
    candidates of its density, naming the options of this command that fit one model."""
    small = counts < 2 * folds
    if small.any():
        label, n = classes[small][0], int(counts[small][0])
        raise CommandError(
            f"comparing candidates holds out rows of each class in {folds} folds and needs at "
            f"least {2 * folds} rows per class; class {str(label)!r} has {n}. Give a single "
            "--components (and --covariance-type) to fit one model per class, or drop the "
            "rows of that class")


def _complete(args: argparse.Namespace, X: Any, path: Path) -> None:
    """Stop with the options to use when ``--policy keep`` left empty cells: the class
    densities are fitted to, and score, complete rows only."""
    n_empty = int(X.isna().to_numpy().sum())
    if n_empty:
        raise CommandError(
            f"{path}: {n_empty} empty cell(s) kept by --policy {args.policy}; the classifier "
            "needs complete rows. Use --policy drop-rows (the default) or drop-columns")


def _labelled_rows(args: argparse.Namespace, source: Path) -> tuple[Any, Any, Any]:
    """The clean rows of the table that have a label: (features, labels, table)."""
    y_all = _labels(args, source, args.target, slice(None))
    table = read_input_table(args, source, exclude=[*(args.exclude or []), args.target])
    y = y_all.iloc[table.rows]
    known = _has_label(y)
    if not known.all():
        info(args, f"dropped {int((~known).sum())} row(s) with no label in {args.target!r}")
    X, y = table.data[known], _whole(y[known].to_numpy())
    _complete(args, X, source)
    if y.dtype == object:
        y = y.astype(str)
    return X, y, table


def _has_label(labels: Any) -> Any:
    """Which rows of the label Series have one (neither empty nor blank text)."""
    return (labels.notna() & (labels.astype(str).str.strip() != "")).to_numpy()


def _whole(labels: Any) -> Any:
    """Labels that are whole numbers as integers: a label column with an empty cell is read
    as floats, and its classes are still 0, 1, ... (not 0.0, 1.0)."""
    import numpy as np

    if labels.dtype.kind == "f" and np.all(np.isfinite(labels)) and np.all(
            labels == np.round(labels)):
        return labels.astype(np.int64)
    return labels


def _held_out(args: argparse.Namespace, model: Any, X: Any, y: Any, seed: int) -> str:
    """--test-size: the accuracy of a copy of ``model`` fitted on the other rows."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    from .._estimator import clone

    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=args.test_size,
                                              random_state=seed)
    with progress(args, "Fitting on the training split"):
        test_acc = float(np.mean(clone(model).fit(X_tr, y_tr).predict(X_te) == y_te))
    return f"; accuracy {test_acc:.4f} on {len(y_te)} held-out rows"


def _predict(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    model, meta, output = open_model(args, "-predictions", args.table)
    if not hasattr(model, "predict_proba"):
        raise CommandError(f"{args.model} holds a {type(model).__name__}, not a classifier; "
                           "make one with 'densitykit classify fit'")
    columns = list(meta.get("columns") or [])
    table, available = read_model_columns(args, args.table, columns or None)
    X = table.data[columns] if columns else table.data
    _complete(args, X, args.table)
    with progress(args, f"Classifying {len(X)} rows"):
        proba = model.predict_proba(X)
    pred = np.asarray(model.classes_)[np.argmax(proba, axis=1)]
    out = pd.DataFrame({"row": table.rows + 1, "predicted": pred}, index=X.index)
    if args.proba:
        for k, c in enumerate(model.classes_):
            out[f"p({c})"] = proba[:, k]
    out = with_identifiers(args, args.table, model, meta, out, table.rows)
    write_frame(args, out, output, like=table.report)
    summary = f"{output}: {len(out)} rows classified"
    target = meta.get("target")
    if target is not None and target in available:
        summary += _accuracy(pred, _labels(args, args.table, target, table.rows), target,
                             model.classes_)
    print(summary)
    return 0


def _accuracy(pred: Any, truth: Any, target: str, classes: Any) -> str:
    """The summary's accuracy against the ``target`` labels (a Series, one per row), over
    the rows that have one, as ``classify fit`` fits only those."""
    import numpy as np

    ok = _has_label(truth)
    truth = _whole(truth.to_numpy()[ok]).astype(str)  # 1.0 and 1 are one class
    pred = _whole(np.asarray(pred)[ok]).astype(str)
    out = f"; accuracy against {target!r}: {np.mean(pred == truth):.4f}"
    if not ok.all():
        out += f" on the {int(ok.sum())} row(s) with a label ({int((~ok).sum())} without)"
    unknown = sorted(map(str, set(truth) - set(_whole(np.asarray(classes)).astype(str))))
    if unknown:
        n = int(np.isin(truth, unknown).sum())
        out += (f" ({n} row(s) of class(es) the model was not fitted on, counted as "
                f"wrong: {', '.join(map(repr, unknown[:5]))})")
    return out
