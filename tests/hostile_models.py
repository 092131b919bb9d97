"""A generator of hostile model files, made from a good one, each with the error it must give.

Every case edits one thing in a saved model that holds a fitted ``GaussianMixture`` (alone, or
as the density of a ``TableModel``): a weight that is NaN, negative, or weights summing to
1.8; a covariance that is not positive definite, or one that disagrees with the stored
precisions; means of the wrong shape; a string where numbers belong; a missing ``weights_``;
a stored attribute that would hide a method; a top level that is not a densitykit model; and
a 2 GiB zero-filled array member. Checksums are forged to match, so only the checks of the
content itself can catch them. ``pattern`` is what the one-line error must match;
``where`` is the model's path to the mixture (``GaussianMixture`` or
``TableModel.density_``) and is filled in by :func:`write_cases`.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MANIFEST = "densitykit-model.json"
BIG = 2 * 2**30  # bytes of the zero-filled member


@dataclass(frozen=True)
class Case:
    file: str
    what: str
    edit: Callable[[dict, dict, dict], None]  # (manifest, mixture node, members) -> None
    pattern: str  # with {where} for the path of the mixture in the model


def read(path: Path) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return json.loads(members.pop(MANIFEST)), members


def write(path: Path, manifest: dict, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)


def find_mixture(node: Any, where: str = "") -> tuple[dict, str] | None:
    """The first fitted GaussianMixture node of a model tree and its path in the model."""
    if isinstance(node, dict) and node.get("$estimator") == "densitykit.GaussianMixture" \
            and node["state"]["$dict"]:
        return node, where or "GaussianMixture"
    if isinstance(node, dict) and "$estimator" in node:
        name = node["$estimator"].split(".")[-1]
        for key, value in node["state"]["$dict"]:
            found = find_mixture(value, f"{where or name}.{key}")
            if found:
                return found
    return None


def state(node: dict) -> dict[str, Any]:
    return dict(node["state"]["$dict"])


def set_state(node: dict, key: str, value: Any) -> None:
    pairs = node["state"]["$dict"]
    for pair in pairs:
        if pair[0] == key:
            pair[1] = value
            return
    pairs.append([key, value])


def drop_state(node: dict, key: str) -> None:
    node["state"]["$dict"] = [p for p in node["state"]["$dict"] if p[0] != key]


def get_array(members: dict, node: dict, key: str) -> np.ndarray:
    return np.load(io.BytesIO(members[state(node)[key]["$array"]]))


def put_array(manifest: dict, members: dict, value: np.ndarray) -> dict:
    """A new array member holding ``value``, with a forged checksum and declaration."""
    buf = io.BytesIO()
    np.save(buf, value)
    name = f"arrays/{len(members)}.npy"
    members[name] = buf.getvalue()
    manifest["arrays"][name] = hashlib.sha256(members[name]).hexdigest()
    manifest.setdefault("array_info", {})[name] = {"dtype": value.dtype.str,
                                                   "shape": list(value.shape)}
    return {"$array": name}


def _edit_array(key: str, change: Callable[[np.ndarray], np.ndarray]):
    def edit(manifest: dict, node: dict, members: dict) -> None:
        set_state(node, key, put_array(manifest, members, change(get_array(members, node, key))))
    return edit


def _nan_weights(w: np.ndarray) -> np.ndarray:
    w = w.copy()
    w[0] = np.nan
    return w


def _negative_weights(w: np.ndarray) -> np.ndarray:
    w = np.zeros_like(w)
    w[0], w[1] = -0.25, 1.25
    return w


def _indefinite(c: np.ndarray) -> np.ndarray:
    c = c.copy()
    c[0] = np.eye(c.shape[1])
    c[0, 0, 1] = c[0, 1, 0] = 2.0  # eigenvalues -1 and 3
    return c


def _no_weights(manifest: dict, node: dict, members: dict) -> None:
    drop_state(node, "weights_")


def _string_weights(manifest: dict, node: dict, members: dict) -> None:
    set_state(node, "weights_", "0.5,0.5")


def _shadow(manifest: dict, node: dict, members: dict) -> None:
    set_state(node, "score_samples", 0)


def _not_a_model(manifest: dict, node: dict, members: dict) -> None:
    manifest["model"] = {"$estimator": "sklearn.StandardScaler", "params": {"$dict": []},
                         "state": {"$dict": [["n_features_in_", 2]]}}
    manifest["class"] = "sklearn.StandardScaler"


#: the hostile cases; ``{where}`` stands for the path of the mixture in the model
CASES = [
    Case("nan_weights.dkm", "NaN weight", _edit_array("weights_", _nan_weights),
         r"invalid model: {where}\.weights_ should be finite; it holds NaN"),
    Case("negative_weights.dkm", "negative weight",
         _edit_array("weights_", _negative_weights),
         r"invalid model: {where}\.weights_ should be non-negative; its smallest value is "
         r"-0\.25"),
    Case("weights_sum.dkm", "weights summing to 1.8",
         _edit_array("weights_", lambda w: w * 1.8),
         r"invalid model: {where}\.weights_ should sum to 1 \(within 1e-08\); it sums to 1\.8"),
    Case("indefinite_covariance.dkm", "indefinite covariance",
         _edit_array("covariances_", _indefinite),
         r"invalid model: {where}\.covariances_\[0\] should be positive definite; its "
         r"smallest eigenvalue is -1"),
    Case("inconsistent_precisions.dkm", "covariances inconsistent with the precisions",
         _edit_array("covariances_", lambda c: c * 4.0),
         r"invalid model: {where}\.precisions_cholesky_ is inconsistent with covariances_ "
         r"\(entry 0\)"),
    Case("means_shape.dkm", "means of the wrong shape",
         _edit_array("means_", lambda m: m.ravel()),
         r"invalid model: {where}\.means_ should have shape \(2, any\); it has shape \(4,\)"),
    Case("string_weights.dkm", "a string where numbers belong", _string_weights,
         r"invalid model: {where}\.weights_ should be an array of numbers; got str "
         r"'0\.5,0\.5'"),
    Case("missing_weights.dkm", "missing weights_", _no_weights,
         r"invalid model: {where}\.weights_ is missing"),
    Case("shadowing_state.dkm", "a stored attribute hiding a method", _shadow,
         r"gives GaussianMixture an attribute 'score_samples', which would hide its method"),
    Case("not_a_model.dkm", "top level not a densitykit model", _not_a_model,
         r"holds a StandardScaler at its top level, not a densitykit model"),
]


def write_cases(good: Path, folder: Path) -> list[tuple[str, str, str]]:
    """Write every case made from ``good`` into ``folder``: ``(file, what, pattern)``."""
    out = []
    for case in CASES:
        manifest, members = read(good)
        manifest = copy.deepcopy(manifest)
        node, where = find_mixture(manifest["model"])
        case.edit(manifest, node, members)
        write(folder / case.file, manifest, members)
        out.append((case.file, case.what, case.pattern.format(where=re.escape(where))))
    return out


def write_oversized(good: Path, path: Path, *, declare: bool = True) -> str:
    """``good`` with its weights member replaced by :data:`BIG` zero bytes (deflated: a few
    megabytes on disk). ``declare=False`` also drops the declared dtypes and shapes (as in
    files written before they were declared). The checksum is left as it was: the size and
    header checks must refuse the member before anything would read it whole.

    Returns the pattern the error must match."""
    manifest, members = read(good)
    node, _ = find_mixture(manifest["model"])
    name = state(node)["weights_"]["$array"]
    block = bytes(1 << 24)
    if not declare:
        manifest.pop("array_info", None)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest))
        for member, data in members.items():
            if member != name:
                zf.writestr(member, data)
        with zf.open(name, "w", force_zip64=True) as fh:
            for _ in range(BIG // len(block)):
                fh.write(block)
    if declare:
        return (rf"Array '{re.escape(name)}' in the model file holds 2,147,483,648 bytes once "
                r"decompressed, but the manifest declares a float64 array of shape \(2,\) "
                r"\(16 bytes\).*Nothing was decompressed")
    return rf"Array '{re.escape(name)}' in the model file is unreadable: .*magic string"
