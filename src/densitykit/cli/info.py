"""``densitykit info MODEL``: what a model file holds, without running anything in it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._common import check_input

HELP = "describe what a model file holds"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="model file")
    parser.add_argument("--json", action="store_true", help="print the description as JSON")


def _plain(value: object) -> object:
    """JSON-ready view of metadata: arrays and frames summarised."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"<array {tuple(value.shape)}>"
    if hasattr(value, "columns") and hasattr(value, "to_dict"):
        return value.to_dict(orient="records")
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _params(params: dict, indent: str = "  ") -> list[str]:
    lines = []
    for key, value in params.items():
        if isinstance(value, dict) and "class" in value:
            lines.append(f"{indent}{key}: {value['class']}")
            lines.extend(_params(value.get("params") or {}, indent + "  "))
        elif isinstance(value, list) and value and all(
                isinstance(v, dict) and "class" in v for v in value):
            lines.append(f"{indent}{key}:")
            for i, v in enumerate(value):
                lines.append(f"{indent}  [{i}] {v['class']}")
                lines.extend(_params(v.get("params") or {}, indent + "      "))
        else:
            lines.append(f"{indent}{key}: {value}")
    return lines


def _synth_lines(path: Path) -> list[str]:
    """The synthetic-data model's choice: what it is and the candidates it was chosen from."""
    from ..persist import load

    synth = load(path)
    lines = [f"synthetic-data model: {synth.describe()}",
             f"rows: {synth.n_rows_in_:,} clean rows, {synth.n_train_:,} fitted on, "
             f"{synth.n_test_:,} set aside as test rows"]
    table = synth.results_
    keep = [c for c in ("candidate", "heldout_loglik", "detection_auc", "share_closer",
                        "selected", "chosen") if c in table]
    if keep:
        lines.append("candidates:")
        text = table[keep].to_string(index=False, float_format="{:.4g}".format)
        lines.extend("  " + line for line in text.splitlines())
    return lines


def run(args: argparse.Namespace) -> int:
    from ..data import CleaningReport
    from ..persist import read_info

    check_input(args.model, "model file")
    desc = read_info(args.model)
    meta = desc.get("metadata") or {}
    if args.json:
        print(json.dumps(_plain(desc), indent=2, default=str))
        return 0
    lines = [
        f"{args.model}: {desc['class']}",
        f"  file format {desc['format_version']}, written by densitykit "
        f"{desc['library_version']} on {desc['created']}, {desc['size_bytes']} bytes, "
        f"{desc['n_arrays']} arrays",
        "parameters:",
        *_params(desc["params"] or {}),
    ]
    if "columns" in meta:
        cols = list(meta["columns"])
        shown = ", ".join(cols[:8]) + (f", ... ({len(cols)} in all)" if len(cols) > 8 else "")
        lines.append(f"columns: {shown}")
    for key in ("source", "n_rows", "seed", "index_column"):
        if meta.get(key) is not None:
            lines.append(f"{key.replace('_', ' ')}: {meta[key]}")
    if isinstance(meta.get("cleaning"), dict):
        try:
            report = CleaningReport.from_dict(meta["cleaning"])
            lines.append("cleaning:")
            lines.extend("  " + line for line in report.to_text(max_columns=5).splitlines())
        except (TypeError, KeyError):
            lines.append("cleaning: (unreadable summary)")
    selection = meta.get("selection")
    if selection is not None and hasattr(selection, "to_string"):
        lines.append("model selection:")
        from ._models import candidate_columns

        keep = candidate_columns(selection)
        lines.extend("  " + line for line in selection[keep].to_string(index=False).splitlines())
    if desc["class"] == "densitykit.Synthesizer" or isinstance(meta.get("synth"), dict):
        lines.extend(_synth_lines(args.model))
    other = [k for k in meta if k not in {"columns", "source", "n_rows", "seed", "index_column",
                                          "cleaning", "selection", "train_loglik", "argv",
                                          "command", "synth"}]
    for key in other:
        lines.append(f"{key}: {_plain(meta[key])}")
    print("\n".join(lines))
    return 0
