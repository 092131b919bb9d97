"""Safe, versioned model files: a zip of JSON metadata and ``.npy`` arrays, never pickle.

A model file holds one ``densitykit-model.json`` manifest and the arrays it refers to.
The manifest stores, for each estimator, a class name from an allow-list
(:data:`MODEL_CLASSES`), its constructor parameters and its fitted state, recursively (a
density inside a :class:`~densitykit.preprocess.TableModel`, the per-class densities of a
classifier, ...). Arrays are read with ``allow_pickle=False`` and checked against their
SHA-256 digests, and only allow-listed classes are ever built, so a corrupt, truncated or
hostile file raises :class:`~densitykit.exceptions.ModelFileError` and never runs code. The
top level of a file is always a densitykit model (the scikit-learn classes are parts of one).

Examples
--------
>>> import tempfile, pathlib
>>> import numpy as np
>>> from densitykit import GaussianMixture
>>> X = np.random.default_rng(0).normal(size=(50, 3))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "gmm.dkm"
>>> gm = GaussianMixture(2, random_state=0).fit(X)
>>> save(gm, path, metadata={"note": "demo"})
>>> again = load(path)
>>> bool(np.array_equal(again.score_samples(X), gm.score_samples(X)))
True
>>> read_info(path)["metadata"]
{'note': 'demo'}

Loading checks the file before it builds anything: each array's size in the zip against the
dtype and shape the manifest declares (before decompressing it) and against
:data:`MAX_MODEL_BYTES`, and then every estimator's fitted state against what its class
declares (``_check_fitted_state``): names, kinds, shapes and invariants such as mixture
weights that sum to 1 and covariances that are positive definite and agree with the stored
precisions. A stored attribute may not hide a method or property of its class, and only
regular files are opened.
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
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from . import _state
from ._files import publish
from .exceptions import DensityKitError, ModelFileError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_MODEL_BYTES",
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

#: most bytes the arrays of one model file may take once decompressed (all together); a
#: file declaring more is refused before anything is decompressed. Raise it to load larger
#: models (a kernel density of many rows keeps every row).
MAX_MODEL_BYTES = 4 * 2**30
_MAX_MANIFEST = 64 * 2**20  # bytes
_MAX_NPY_HEADER = 2**16  # bytes of a .npy header (numpy writes 128 for ordinary arrays)
_MAX_DEPTH = 64
_MAX_NDIM = 32

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
        self.info: dict[str, dict[str, Any]] = {}

    def array(self, a: np.ndarray) -> str:
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=False)  # keeps Fortran order: same BLAS paths
        name = f"arrays/{len(self.arrays)}.npy"
        self.arrays[name] = buf.getvalue()
        self.info[name] = {"dtype": a.dtype.str, "shape": [int(s) for s in a.shape]}
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


def _declared(name: str, entry: Any) -> tuple[np.dtype, tuple[int, ...], int]:
    """dtype, shape and byte count an array's manifest entry declares."""
    if not isinstance(entry, dict):
        raise ModelFileError(f"The model file declares array {name!r} malformed.")
    shape = entry.get("shape")
    if (not isinstance(shape, list) or len(shape) > _MAX_NDIM
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                       for n in shape)):
        raise ModelFileError(f"The model file declares array {name!r} with a malformed shape "
                             f"{str(shape)[:60]}.")
    dtype = np.dtype(_Reader._dtype(entry.get("dtype")))
    return dtype, tuple(shape), math.prod(shape) * dtype.itemsize


def _check_npy_header(name: str, fh: Any, file_size: int,
                      declared: tuple[np.dtype, tuple[int, ...], int] | None) -> None:
    """The member's own .npy header (only it is decompressed): a plain numeric dtype whose
    shape accounts for the member's size exactly, and the one the manifest declares."""
    try:
        version = np.lib.format.read_magic(fh)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read(fh, max_header_size=_MAX_NPY_HEADER)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise ModelFileError(f"Array {name!r} in the model file is unreadable: {exc}") from None
    if dtype.hasobject or dtype.kind not in "biufcUSV" or dtype.fields is not None:
        raise ModelFileError(f"Array {name!r} in the model file has the unsupported dtype "
                             f"{dtype}.")
    nbytes = math.prod(shape) * dtype.itemsize
    if fh.tell() + nbytes != file_size:
        raise ModelFileError(
            f"Array {name!r} in the model file holds {file_size:,} bytes, but its header "
            f"declares {nbytes:,} bytes of data: the file is corrupt or was modified.")
    if declared is not None and (dtype, tuple(shape)) != declared[:2]:
        raise ModelFileError(
            f"Array {name!r} in the model file is a {dtype} array of shape {tuple(shape)}, but "
            f"the manifest declares {declared[0]} of shape {declared[1]}: the file is corrupt "
            "or was modified.")


class _Reader:
    def __init__(self, zf: zipfile.ZipFile, digests: dict[str, str],
                 declared: dict[str, Any] | None = None) -> None:
        self.zf, self.digests = zf, digests
        self.declared = declared
        self.where: list[str] = []

    def array(self, name: Any) -> np.ndarray:
        if not isinstance(name, str) or name not in self.digests:
            raise ModelFileError(f"The model file refers to an unknown array {name!r}.")
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise ModelFileError(f"The model file lacks its array {name!r} (truncated?).") from None
        declared = None
        if self.declared is not None:  # checked against the zip header: nothing read yet
            if name not in self.declared:
                raise ModelFileError(f"The model file does not declare its array {name!r}.")
            declared = _declared(name, self.declared[name])
            extra = info.file_size - declared[2]
            if not 10 <= extra <= _MAX_NPY_HEADER + 12:
                raise ModelFileError(
                    f"Array {name!r} in the model file holds {info.file_size:,} bytes once "
                    f"decompressed, but the manifest declares a {declared[0]} array of shape "
                    f"{declared[1]} ({declared[2]:,} bytes): the file is corrupt or was "
                    "modified. Nothing was decompressed.")
        if info.file_size > MAX_MODEL_BYTES:
            raise ModelFileError(
                f"Array {name!r} in the model file holds {info.file_size:,} bytes, more than "
                f"densitykit.persist.MAX_MODEL_BYTES ({MAX_MODEL_BYTES:,}); raise that limit "
                "to load a model this large.")
        try:
            with self.zf.open(info) as fh:
                _check_npy_header(name, fh, info.file_size, declared)
            with self.zf.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (zlib.error, zipfile.BadZipFile, EOFError) as exc:
            raise ModelFileError(f"Array {name!r} cannot be decompressed ({exc}): the model "
                                 "file is corrupt. Save the model again.") from None
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
            return [self._at(f"[{i}]", v, depth + 1) for i, v in enumerate(node)]
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

    def _at(self, step: str, node: Any, depth: int) -> Any:
        """Decode ``node``, found at ``step`` below the current place (for messages)."""
        self.where.append(step)
        try:
            return self.decode(node, depth)
        finally:
            self.where.pop()

    def _estimator(self, node: dict, depth: int) -> Any:
        cls = _class_for(node["$estimator"])
        if not self.where:
            self.where.append(cls.__name__)
            try:
                return self._build(cls, node, depth)
            finally:
                self.where.pop()
        return self._build(cls, node, depth)

    def _fields(self, cls: type | None, node: Any, depth: int) -> dict[str, Any]:
        """Parameters (``cls`` None) or fitted state, one by one, each decoded at its name."""
        if not isinstance(node, dict) or set(node) != {"$dict"}:
            raise ModelFileError("The model file has a malformed estimator entry.")
        out: dict[str, Any] = {}
        for k, v in (self._pair(p) for p in self._list(node["$dict"])):
            if not isinstance(k, str) or not k.isidentifier() or k.startswith("__"):
                what = "parameter" if cls is None else "attribute"
                raise ModelFileError(f"The model file holds a forbidden {what} name {k!r}.")
            if cls is not None:
                _refuse_shadowing(cls, k)
            out[k] = self._at(f".{k}", v, depth + 1)
        return out

    def _build(self, cls: type, node: dict, depth: int) -> Any:
        params = self._fields(None, node.get("params", {"$dict": []}), depth)
        state = self._fields(cls, node.get("state", {"$dict": []}), depth)
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
        est.__dict__.update(state)
        if _state.is_fitted_state(state):
            self._check_state(est, node["$estimator"])
        return est

    def _check_state(self, est: Any, name: str) -> None:
        """The estimator's declared fitted state (``_check_fitted_state``), or a
        ModelFileError naming the first attribute that breaks it."""
        check = getattr(type(est), "_check_fitted_state", None)
        if check is None:
            check = _state.EXTERNAL_CHECKS.get(name)
        if check is None:
            return
        where = "".join(self.where)
        kind = type(est).__name__
        about = "" if where == kind else f" (a {kind})"
        try:
            check(est)
        except _state.StateError as exc:
            raise ModelFileError(
                f"invalid model: {where}.{exc.attribute} {exc.problem}{about}. The file is "
                "corrupt or was modified; save the model again.") from None
        except (TypeError, ValueError, AttributeError, KeyError, IndexError,
                np.linalg.LinAlgError) as exc:
            raise ModelFileError(
                f"invalid model: {where}{about} does not hold a valid fitted state "
                f"({type(exc).__name__}: {exc}). The file is corrupt or was modified; save "
                "the model again.") from None

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


def _refuse_shadowing(cls: type, key: str) -> None:
    """A stored attribute may not hide a method or property of the class it is set on."""
    for klass in cls.__mro__:
        if key in vars(klass):
            member = vars(klass)[key]
            if callable(member) or hasattr(member, "__get__"):
                kind = "property" if isinstance(member, property) else "method"
                raise ModelFileError(
                    f"The model file gives {cls.__name__} an attribute {key!r}, which would "
                    f"hide its {kind} of that name; the file was modified. densitykit does "
                    "not load it.")
            return


def _is_top_level(name: str | None) -> bool:
    """densitykit's models (and registered ones) head a model file; the scikit-learn
    classes densitykit nests are only ever parts of one."""
    return name is not None and not name.startswith("sklearn.")


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
    if not _is_top_level(_name_for(model)):
        tops = sorted(n for n in MODEL_CLASSES if _is_top_level(n))
        raise ModelFileError(
            f"Cannot save a {type(model).__name__}: densitykit model files hold densitykit "
            f"models ({', '.join(tops)}); scikit-learn's transformers only inside one of "
            "them."
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
        "array_info": writer.info,
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


#: what a model file is and where it comes from: the fix named for every file that is not one
_GIVE_A_MODEL = ("Give a .dkm file written by densitykit.save() or the densitykit command "
                 "line")


def _sniff(head: bytes) -> str:
    if (head[:1] == b"\x80" or head[:2] in (b"(d", b"(l", b"}q", b"]q")
            or re.match(rb"c[A-Za-z_][\w.]*\n[A-Za-z_]\w*\n", head)):
        return ("a Python pickle (joblib/pickle); densitykit never loads pickles. Fit the "
                "model again and save it with densitykit.save()")
    if head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00":
        return ("a gzip, bz2 or xz compressed file (a compressed joblib dump, or a model "
                f"file compressed again: decompress it). {_GIVE_A_MODEL}")
    if head[:4] == b"\x89HDF":
        return "an HDF5 file (Keras/h5py?)"
    if head[:6] == b"\x93NUMPY":
        return "a bare NumPy .npy array"
    if head[:1] in (b"{", b"["):
        return "a JSON or text file"
    if not head:
        return "an empty file"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head[:8]):
        return "a text file (a table? model files come from 'densitykit fit' or save())"
    return f"not a zip archive. {_GIVE_A_MODEL}"


class _ModelZip(zipfile.ZipFile):
    """A zip archive read from a file object it owns (closed with the archive)."""

    def __init__(self, fh: Any) -> None:
        self._own = fh
        try:
            super().__init__(fh)
        except BaseException:
            fh.close()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._own.close()


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def _open_regular(path: Path) -> Any:
    """``path`` opened for reading, refusing at once anything but a regular file.

    The file is opened without blocking (a FIFO would otherwise wait for a writer) and its
    kind is read from the open descriptor, so what is checked is what is read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ModelFileError(f"Cannot load {path}: no such file.") from None
    except IsADirectoryError:
        raise ModelFileError(f"Cannot load {path}: it is a directory, not a model file.") \
            from None
    except OSError as exc:
        raise ModelFileError(f"Cannot load {path}: {exc.strerror or exc}.") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = next((k for test, k in _KINDS if test(mode)), "not a regular file")
        raise ModelFileError(f"Cannot load {path}: it is {kind}, not a model file. Give the "
                             "path of a .dkm file.")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _check_sizes(path: Path, zf: zipfile.ZipFile) -> None:
    """The members' sizes from the zip headers, before anything is decompressed."""
    total = sum(i.file_size for i in zf.infolist())
    if total > MAX_MODEL_BYTES:
        raise ModelFileError(
            f"{path} holds {total:,} bytes once decompressed, more than "
            f"densitykit.persist.MAX_MODEL_BYTES ({MAX_MODEL_BYTES:,}); it was not read. Raise "
            "that limit to load a model this large.")


def _open_manifest(path: str | os.PathLike[str]) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    path = Path(path)
    fh = _open_regular(path)
    try:
        head = fh.read(64)
        if head[:4] != b"PK\x03\x04":
            raise ModelFileError(f"{path} is not a densitykit model file: {_sniff(head)}.")
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    try:
        zf = _ModelZip(fh)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelFileError(
            f"{path} is not a readable densitykit model file ({exc}); it may be truncated "
            "(an interrupted copy or download): copy it again, or save the model again."
        ) from None
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        zf.close()
        raise ModelFileError(
            f"{path} is a zip archive but not a densitykit model file (no {MANIFEST})."
        ) from None
    try:
        _check_sizes(path, zf)
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
    declared = manifest.get("array_info")
    if (not isinstance(manifest.get("arrays"), dict) or not isinstance(manifest.get("model"), dict)
            or not (declared is None or isinstance(declared, dict))):
        zf.close()
        raise ModelFileError(f"{path}: the model manifest is incomplete.")
    return zf, manifest


def _check_top_level(path: Path, manifest: dict[str, Any]) -> None:
    """The file must hold a densitykit model at its top level (checked before decoding)."""
    name = manifest["model"].get("$estimator")
    if not isinstance(name, str):
        raise ModelFileError(f"{path}: the model file does not hold a model at its top level.")
    if not _is_top_level(name):
        cls = name.split(".")[-1]
        raise ModelFileError(
            f"{path} holds a {cls} at its top level, not a densitykit model (a density, "
            "model selector, classifier or synthesizer); scikit-learn's transformers are "
            "only ever parts of one. Load a model file written by densitykit.")


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
    try:
        model, metadata = _decode(path, zf, manifest)
    except ModelFileError as exc:
        note = _newer_note(manifest)
        if not note:
            raise
        raise ModelFileError(f"{exc}{note}") from None
    if return_metadata:
        meta = dict(metadata) if isinstance(metadata, dict) else {}
        meta.setdefault("library_version", manifest.get("library_version"))
        meta.setdefault("created", manifest.get("created"))
        return model, meta
    return model


def _decode(path: str | os.PathLike[str], zf: zipfile.ZipFile,
            manifest: dict[str, Any]) -> tuple[Any, Any]:
    """The model and the metadata of an opened model file (the archive is closed after)."""
    with zf:
        _check_top_level(Path(path), manifest)
        reader = _Reader(zf, manifest["arrays"], manifest.get("array_info"))
        try:
            model = reader.decode(manifest["model"])
            metadata = reader.decode(manifest.get("metadata", {"$dict": []}))
        except ModelFileError as exc:
            raise ModelFileError(f"{path}: {exc}") from None
        except DensityKitError:
            raise
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, TypeError, KeyError,
                RecursionError, AttributeError) as exc:
            raise ModelFileError(f"{path}: the model file is corrupt ({exc}).") from None
    if not _is_top_level(_name_for(model)):
        raise ModelFileError(f"{path}: the model file does not hold a model at its top level.")
    if isinstance(metadata, dict) and isinstance(metadata.get("synth"), dict):
        model = _legacy_synthesizer(path, model, metadata)
    return model, metadata


def _version_key(version: str) -> tuple[int, ...]:
    """The release numbers of a version string ('0.2.1rc1' -> (0, 2, 1))."""
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def _newer_note(manifest: dict[str, Any]) -> str:
    """What to do about a file that does not load and was written by a newer densitykit
    (its classes, parameters or values may be new); empty for any other file."""
    theirs, ours = manifest.get("library_version"), _library_version()
    if not isinstance(theirs, str) or _version_key(theirs) <= _version_key(ours):
        return ""
    return (f" The file was written by densitykit {theirs[:40]}, newer than this one "
            f"({ours}): upgrade densitykit (pip install --upgrade densitykit) to load it.")


def _legacy_synthesizer(path: Any, model: Any, metadata: dict[str, Any]) -> Any:
    """Files written by ``densitykit synth`` before :class:`~densitykit.Synthesizer` existed
    hold a TableModel with the synthesizer's settings in the metadata."""
    from .synth import Synthesizer

    try:
        synth = Synthesizer._from_legacy(model, metadata)
        synth._check_fitted_state()
    except _state.StateError as exc:
        raise ModelFileError(f"{path}: invalid model: Synthesizer.{exc.attribute} "
                             f"{exc.problem}. The file is corrupt or was modified.") from None
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration) as exc:
        raise ModelFileError(f"{path}: the synthetic-data model in the file is incomplete "
                             f"({type(exc).__name__}: {exc}).") from None
    return synth


def read_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe a model file without building the model.

    Returns a dict with ``class``, ``format_version``, ``library_version``, ``created``,
    ``metadata``, ``params`` (the top-level constructor parameters, nested estimators shown
    by class name), ``n_arrays`` and ``size_bytes``.
    """
    zf, manifest = _open_manifest(path)
    with zf:
        reader = _Reader(zf, manifest["arrays"], manifest.get("array_info"))
        try:
            metadata = reader.decode(manifest.get("metadata", {"$dict": []}))
        except ModelFileError as exc:
            raise ModelFileError(f"{path}: {exc}") from None
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
