"""Safe, versioned model files: a zip of JSON metadata and ``.npy`` arrays, never pickle.

A model file holds one ``densitykit-model.json`` manifest and the arrays it refers to.
The manifest stores, for each estimator, a class name from an allow-list
(:data:`MODEL_CLASSES`), its constructor parameters and its fitted state, recursively (a
density inside a :class:`~densitykit.preprocess.TableModel`, the per-class densities of a
classifier, ...). Arrays are read with ``allow_pickle=False`` and checked against their
SHA-256 digests, and only allow-listed classes are ever built, so a corrupt, truncated or
hostile file raises :class:`~densitykit.exceptions.ModelFileError` and never runs code.

Examples
--------
>>> import tempfile, pathlib
>>> import numpy as np
>>> from sklearn.decomposition import PCA
>>> X = np.random.default_rng(0).normal(size=(50, 3))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "pca.dkm"
>>> save(PCA(2).fit(X), path, metadata={"note": "demo"})
>>> again = load(path)
>>> bool(np.array_equal(again.transform(X), PCA(2).fit(X).transform(X)))
True
>>> read_info(path)["metadata"]
{'note': 'demo'}
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib
import io
import json
import math
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ._files import publish
from .exceptions import DensityKitError, ModelFileError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MODEL_CLASSES",
    "load",
    "read_info",
    "register_model_class",
    "save",
]

FORMAT_NAME = "densitykit-model"
FORMAT_VERSION = 1
MANIFEST = "densitykit-model.json"
SUFFIX = ".dkm"

_MAX_MANIFEST = 64 * 2**20  # bytes
_MAX_ARRAY = 8 * 2**30
_MAX_DEPTH = 64

#: name stored in the file -> (module, attribute); only these classes are ever built
MODEL_CLASSES: dict[str, tuple[str, str]] = {
    "densitykit.Normal": ("densitykit.gaussian", "Normal"),
    "densitykit.GaussianMixture": ("densitykit.gaussian", "GaussianMixture"),
    "densitykit.BayesianGaussianMixture": ("densitykit.gaussian", "BayesianGaussianMixture"),
    "densitykit.KernelDensity": ("densitykit.kde", "KernelDensity"),
    "densitykit.DensityMixture": ("densitykit.compose", "DensityMixture"),
    "densitykit.LatentDensity": ("densitykit.latent", "LatentDensity"),
    "densitykit.ModelSelector": ("densitykit.selection", "ModelSelector"),
    "densitykit.GenerativeClassifier": ("densitykit.classify", "GenerativeClassifier"),
    "densitykit.TableModel": ("densitykit.preprocess", "TableModel"),
    "densitykit.Synthesizer": ("densitykit.synth", "Synthesizer"),
    "sklearn.PCA": ("sklearn.decomposition", "PCA"),
    "sklearn.StandardScaler": ("sklearn.preprocessing", "StandardScaler"),
    "sklearn.QuantileTransformer": ("sklearn.preprocessing", "QuantileTransformer"),
    "sklearn.PowerTransformer": ("sklearn.preprocessing", "PowerTransformer"),
    "sklearn.GaussianMixture": ("sklearn.mixture", "GaussianMixture"),
}


def register_model_class(name: str, module: str, attribute: str) -> None:
    """Allow model files to hold instances of ``module.attribute`` under ``name``."""
    if not re.fullmatch(r"[A-Za-z_][\w.]*", name):
        raise ModelFileError(f"Model class name {name!r} must be a dotted identifier.")
    MODEL_CLASSES[name] = (module, attribute)


def _class_for(name: str) -> type:
    if name not in MODEL_CLASSES:
        raise ModelFileError(
            f"The model file names class {name!r}, which densitykit does not load. Known "
            f"classes: {', '.join(sorted(MODEL_CLASSES))}."
        )
    module, attribute = MODEL_CLASSES[name]
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        raise ModelFileError(
            f"The model file holds a {name}, but {module}.{attribute} is not available in "
            "this installation of densitykit. Upgrade densitykit."
        ) from None


def _name_for(obj: Any) -> str | None:
    cls = type(obj)
    for name, (module, attribute) in MODEL_CLASSES.items():
        if cls.__name__ != attribute:
            continue
        try:
            if getattr(importlib.import_module(module), attribute) is cls:
                return name
        except (ImportError, AttributeError):
            continue
    return None


# ---------------------------------------------------------------------------------------
# encoding: Python objects -> JSON tree + arrays
# ---------------------------------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, bytes] = {}

    def array(self, a: np.ndarray) -> str:
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=False)  # keeps Fortran order: same BLAS paths
        name = f"arrays/{len(self.arrays)}.npy"
        self.arrays[name] = buf.getvalue()
        return name

    def encode(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and not isinstance(value, np.integer):
            return value
        if isinstance(value, float) and not isinstance(value, np.floating):
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, np.generic):
            if value.dtype.kind not in "biuf":
                raise ModelFileError(f"Cannot save {where}: numpy scalar of type {value.dtype}.")
            return {"$scalar": value.dtype.str, "value": self.encode(value.item(), where)}
        if isinstance(value, np.ndarray):
            return self._encode_array(value, where)
        if isinstance(value, np.dtype):
            return {"$dtype": value.str}
        if isinstance(value, (list, tuple)):
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return items if isinstance(value, list) else {"$tuple": items}
        if isinstance(value, dict):
            return {"$dict": [[self.encode(k, where), self.encode(v, f"{where}[{k!r}]")]
                              for k, v in value.items()]}
        if isinstance(value, (np.random.Generator, np.random.RandomState)):
            return {"$unsaved": type(value).__name__}
        name = _name_for(value)
        if name is not None:
            return self._encode_estimator(value, name, where)
        frame = self._encode_pandas(value, where)
        if frame is not None:
            return frame
        raise ModelFileError(
            f"Cannot save {where}: objects of type {type(value).__name__} are not supported "
            "by densitykit model files."
        )

    def _encode_array(self, a: np.ndarray, where: str) -> Any:
        if a.dtype.kind in "biufcUS":
            return {"$array": self.array(a)}
        if a.dtype.kind in "mM":
            return {"$datetime": self.array(a.view(np.int64)), "dtype": a.dtype.str}
        if a.dtype.kind == "O":
            flat = [self.encode(v, f"{where}[...]") for v in a.ravel().tolist()]
            return {"$objects": flat, "shape": list(a.shape)}
        raise ModelFileError(f"Cannot save {where}: arrays of dtype {a.dtype} are not supported.")

    def _encode_estimator(self, est: Any, name: str, where: str) -> dict[str, Any]:
        params = est.get_params(deep=False)
        unsaved = set(getattr(est, "_unsaved_attributes", ()))
        state = {k: v for k, v in vars(est).items() if k not in params and k not in unsaved}
        return {
            "$estimator": name,
            "params": self.encode(params, f"{where}.params"),
            "state": self.encode(state, f"{where}.state"),
        }

    def _encode_pandas(self, value: Any, where: str) -> Any:
        import sys

        pd = sys.modules.get("pandas")
        if pd is None:
            return None
        if isinstance(value, pd.DataFrame):
            return {
                "$frame": [self.encode(np.asarray(value[c].to_numpy()), f"{where}[{c!r}]")
                           for c in value.columns],
                "columns": self.encode(list(value.columns), where),
                "index": self.encode(value.index, where),
            }
        if isinstance(value, pd.Series):
            return {"$series": self.encode(value.to_numpy(), where),
                    "name": self.encode(value.name, where),
                    "index": self.encode(value.index, where)}
        if isinstance(value, pd.Index):
            if isinstance(value, pd.RangeIndex):
                return {"$range": [value.start, value.stop, value.step],
                        "name": self.encode(value.name, where)}
            return {"$index": self.encode(value.to_numpy(), where),
                    "name": self.encode(value.name, where)}
        return None


# ---------------------------------------------------------------------------------------
# decoding: JSON tree + arrays -> Python objects, strictly
# ---------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, zf: zipfile.ZipFile, digests: dict[str, str]) -> None:
        self.zf, self.digests = zf, digests

    def array(self, name: Any) -> np.ndarray:
        if not isinstance(name, str) or name not in self.digests:
            raise ModelFileError(f"The model file refers to an unknown array {name!r}.")
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise ModelFileError(f"The model file lacks its array {name!r} (truncated?).") from None
        if info.file_size > _MAX_ARRAY:
            raise ModelFileError(f"Array {name!r} in the model file is implausibly large.")
        with self.zf.open(info) as fh:
            data = fh.read(_MAX_ARRAY + 1)
        if hashlib.sha256(data).hexdigest() != self.digests[name]:
            raise ModelFileError(
                f"Array {name!r} does not match its checksum: the model file is corrupt or was "
                "modified. Save the model again."
            )
        try:
            return np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise ModelFileError(f"Array {name!r} in the model file is unreadable: {exc}") from None

    def decode(self, node: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise ModelFileError("The model file nests objects too deeply to be genuine.")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v, depth + 1) for v in node]
        if not isinstance(node, dict) or len(node) == 0:
            raise ModelFileError(f"Unexpected entry in the model file: {str(node)[:80]!r}.")
        tag = next(iter(node))
        body = node[tag]
        if tag == "$float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "$scalar":
            value = node.get("value")
            if isinstance(value, dict) and "$float" in value:
                value = self.decode(value, depth + 1)
            if not isinstance(value, (bool, int, float)):
                raise ModelFileError("The model file has a malformed number entry.")
            return np.dtype(self._dtype(body)).type(value)
        if tag == "$array":
            return self.array(body)
        if tag == "$datetime":
            return self.array(body).view(self._dtype(node.get("dtype")))
        if tag == "$dtype":
            return np.dtype(self._dtype(body))
        if tag == "$objects":
            out = np.empty(len(body), dtype=object)
            out[:] = [self.decode(v, depth + 1) for v in self._list(body)]
            return out.reshape([int(s) for s in self._list(node.get("shape"))])
        if tag == "$tuple":
            return tuple(self.decode(v, depth + 1) for v in self._list(body))
        if tag == "$dict":
            return {self._key(self.decode(k, depth + 1)): self.decode(v, depth + 1)
                    for k, v in (self._pair(p) for p in self._list(body))}
        if tag == "$unsaved":
            return None
        if tag == "$estimator":
            return self._estimator(node, depth)
        if tag in ("$frame", "$series", "$index", "$range"):
            return self._pandas(tag, node, depth)
        raise ModelFileError(f"Unknown entry {tag!r} in the model file.")

    @staticmethod
    def _list(v: Any) -> list:
        if not isinstance(v, list):
            raise ModelFileError("The model file has a malformed list entry.")
        return v

    @staticmethod
    def _pair(v: Any) -> tuple[Any, Any]:
        if not isinstance(v, list) or len(v) != 2:
            raise ModelFileError("The model file has a malformed mapping entry.")
        return v[0], v[1]

    @staticmethod
    def _key(k: Any) -> Any:
        if isinstance(k, list):
            raise ModelFileError("The model file has a mapping key that is not hashable.")
        return k

    @staticmethod
    def _dtype(s: Any) -> str:
        if not isinstance(s, str) or not re.fullmatch(r"[<>|=]?[biufcUSmM]\d*(\[\w+\])?", s):
            raise ModelFileError(f"The model file names an unsupported dtype {s!r}.")
        return s

    def _estimator(self, node: dict, depth: int) -> Any:
        cls = _class_for(node["$estimator"])
        params = self.decode(node.get("params", {"$dict": []}), depth + 1)
        state = self.decode(node.get("state", {"$dict": []}), depth + 1)
        if not isinstance(params, dict) or not isinstance(state, dict):
            raise ModelFileError("The model file has a malformed estimator entry.")
        renamed = getattr(cls, "_renamed_params", {})  # files written before a rename
        params = {renamed.get(k, k): v for k, v in params.items()}
        valid = set(cls._get_param_names()) if hasattr(cls, "_get_param_names") else set()
        unknown = [k for k in params if k not in valid]
        if unknown:
            raise ModelFileError(
                f"The model file gives {cls.__name__} unknown parameter(s) {unknown[:5]}; it was "
                "written by another version of densitykit or modified."
            )
        try:
            est = cls(**params)
        except Exception as exc:
            raise ModelFileError(
                f"Cannot rebuild {cls.__name__} from the model file: {exc}"
            ) from None
        for k, v in state.items():
            if not isinstance(k, str) or not k.isidentifier() or k.startswith("__"):
                raise ModelFileError(f"The model file holds a forbidden attribute name {k!r}.")
            est.__dict__[k] = v
        return est

    def _pandas(self, tag: str, node: dict, depth: int) -> Any:
        import pandas as pd

        name = self.decode(node.get("name"), depth + 1)
        if tag == "$range":
            start, stop, step = (int(v) for v in self._list(node["$range"]))
            return pd.RangeIndex(start, stop, step, name=name)
        if tag == "$index":
            return pd.Index(self.decode(node["$index"], depth + 1), name=name)
        index = self.decode(node.get("index"), depth + 1)
        if tag == "$series":
            return pd.Series(self.decode(node["$series"], depth + 1), index=index, name=name)
        cols = self.decode(node.get("columns"), depth + 1)
        data = [self.decode(c, depth + 1) for c in self._list(node["$frame"])]
        if not isinstance(cols, list) or len(cols) != len(data):
            raise ModelFileError("The model file has a malformed table entry.")
        return pd.DataFrame(dict(zip(range(len(cols)), data)), index=index).set_axis(cols, axis=1)


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------


def _library_version() -> str:
    from . import __version__

    return __version__


def save(model: Any, path: str | os.PathLike[str], *, metadata: dict[str, Any] | None = None,
         overwrite: bool = True) -> None:
    """Save a fitted densitykit model to ``path`` (written atomically).

    Parameters
    ----------
    model : estimator
        Any densitykit estimator (or one of the few scikit-learn ones densitykit nests),
        fitted or not.
    path : path
        Destination; ``.dkm`` is the usual suffix.
    metadata : dict, optional
        JSON-like extra information kept with the model (column names, the cleaning
        report, a description). Arrays are allowed.
    overwrite : bool, default=True
        Refuse to replace an existing file when False.
    """
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"Cannot save the model to {path}: it is a directory.")
    if not overwrite and path.exists():
        raise ModelFileError(f"{path} exists; pass overwrite=True to replace it.")
    writer = _Writer()
    if _name_for(model) is None:
        raise ModelFileError(
            f"Cannot save a {type(model).__name__}: densitykit model files hold densitykit "
            f"estimators ({', '.join(sorted(MODEL_CLASSES))})."
        )
    tree = writer.encode(model, "model")
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "library_version": _library_version(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "class": tree["$estimator"],
        "metadata": writer.encode(metadata or {}, "metadata"),
        "arrays": {k: hashlib.sha256(v).hexdigest() for k, v in writer.arrays.items()},
        "model": tree,
    }
    text = json.dumps(manifest, allow_nan=False, separators=(",", ":"))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, text)
            for name, data in writer.arrays.items():
                zf.writestr(name, data)
        publish(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _sniff(head: bytes) -> str:
    if head[:1] == b"\x80" or head[:2] in (b"(d", b"(l", b"}q", b"]q"):
        return "a Python pickle (joblib/pickle); densitykit never loads pickles"
    if head[:4] == b"\x89HDF":
        return "an HDF5 file (Keras/h5py?)"
    if head[:6] == b"\x93NUMPY":
        return "a bare NumPy .npy array"
    if head[:1] in (b"{", b"["):
        return "a JSON or text file"
    if not head:
        return "an empty file"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return "a text file (a table? model files come from 'densitykit fit' or save())"
    return "not a zip archive"


def _open_manifest(path: str | os.PathLike[str]) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"Cannot load {path}: no such file.")
    if path.is_dir():
        raise ModelFileError(f"Cannot load {path}: it is a directory, not a model file.")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head[:4] != b"PK\x03\x04":
        raise ModelFileError(f"{path} is not a densitykit model file: {_sniff(head)}.")
    try:
        zf = zipfile.ZipFile(path)
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise ModelFileError(
            f"{path} is a zip archive but not a densitykit model file (no {MANIFEST})."
        ) from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelFileError(
            f"{path} is not a readable densitykit model file ({exc}); it may be truncated."
        ) from None
    try:
        if info.file_size > _MAX_MANIFEST:
            raise ModelFileError(f"{path}: the model manifest is implausibly large.")
        with zf.open(info) as fh:
            manifest = json.loads(fh.read(_MAX_MANIFEST + 1).decode("utf-8"))
    except DensityKitError:
        zf.close()
        raise
    except Exception as exc:
        zf.close()
        raise ModelFileError(f"{path}: the model manifest is corrupt ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        zf.close()
        raise ModelFileError(f"{path} is not a densitykit model file (wrong format tag).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        zf.close()
        raise ModelFileError(
            f"{path} uses model-file format version {version!r}; this densitykit reads up to "
            f"version {FORMAT_VERSION}. Upgrade densitykit."
        )
    if not isinstance(manifest.get("arrays"), dict) or not isinstance(manifest.get("model"), dict):
        zf.close()
        raise ModelFileError(f"{path}: the model manifest is incomplete.")
    return zf, manifest


def load(path: str | os.PathLike[str], *, return_metadata: bool = False) -> Any:
    """Load a model saved by :func:`save`.

    Parameters
    ----------
    path : path
    return_metadata : bool, default=False
        Also return the metadata dict (with ``library_version`` and ``created`` added).

    Raises
    ------
    ModelFileError
        The file is missing, not a densitykit model file, truncated, corrupt, modified, of
        a newer format, or names a class densitykit does not load.
    """
    zf, manifest = _open_manifest(path)
    with zf:
        reader = _Reader(zf, manifest["arrays"])
        try:
            model = reader.decode(manifest["model"])
            metadata = reader.decode(manifest.get("metadata", {"$dict": []}))
        except DensityKitError:
            raise
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, TypeError, KeyError,
                RecursionError, AttributeError) as exc:
            raise ModelFileError(f"{path}: the model file is corrupt ({exc}).") from None
    if _name_for(model) is None:
        raise ModelFileError(f"{path}: the model file does not hold a model at its top level.")
    if isinstance(metadata, dict) and isinstance(metadata.get("synth"), dict):
        model = _legacy_synthesizer(path, model, metadata)
    if return_metadata:
        meta = dict(metadata) if isinstance(metadata, dict) else {}
        meta.setdefault("library_version", manifest.get("library_version"))
        meta.setdefault("created", manifest.get("created"))
        return model, meta
    return model


def _legacy_synthesizer(path: Any, model: Any, metadata: dict[str, Any]) -> Any:
    """Files written by ``densitykit synth`` before :class:`~densitykit.Synthesizer` existed
    hold a TableModel with the synthesizer's settings in the metadata."""
    from .synth import Synthesizer

    try:
        return Synthesizer.from_legacy(model, metadata)
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration) as exc:
        raise ModelFileError(f"{path}: the synthetic-data model in the file is incomplete "
                             f"({type(exc).__name__}: {exc}).") from None


def read_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe a model file without building the model.

    Returns a dict with ``class``, ``format_version``, ``library_version``, ``created``,
    ``metadata``, ``params`` (the top-level constructor parameters, nested estimators shown
    by class name), ``n_arrays`` and ``size_bytes``.
    """
    zf, manifest = _open_manifest(path)
    with zf:
        reader = _Reader(zf, manifest["arrays"])
        try:
            metadata = reader.decode(manifest.get("metadata", {"$dict": []}))
        except DensityKitError:
            raise
        except Exception as exc:
            raise ModelFileError(f"{path}: the model metadata is corrupt ({exc}).") from None
    model = manifest["model"]
    return {
        "class": manifest.get("class"),
        "format_version": manifest.get("format_version"),
        "library_version": manifest.get("library_version"),
        "created": manifest.get("created"),
        "metadata": metadata,
        "params": _summary(model.get("params")),
        "n_arrays": len(manifest["arrays"]),
        "size_bytes": Path(path).stat().st_size,
    }


def _summary(node: Any, depth: int = 0) -> Any:
    """A readable view of encoded parameters: plain values, nested estimators by name."""
    if depth > 8:
        return "..."
    if isinstance(node, dict) and "$dict" in node and isinstance(node["$dict"], list):
        return {str(p[0]): _summary(p[1], depth + 1) for p in node["$dict"]
                if isinstance(p, list) and len(p) == 2}
    if isinstance(node, dict) and "$estimator" in node:
        return {"class": node["$estimator"], "params": _summary(node.get("params"), depth + 1)}
    if isinstance(node, dict) and "$float" in node:
        return node["$float"]
    if isinstance(node, dict) and "$tuple" in node:
        return [_summary(v, depth + 1) for v in node["$tuple"]]
    if isinstance(node, dict):
        return "<array>" if "$array" in node else "<value>"
    if isinstance(node, list):
        return [_summary(v, depth + 1) for v in node]
    return node
