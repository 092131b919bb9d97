"""Model files: exact round trips for every model kind, and hostile files rejected safely."""

from __future__ import annotations

import importlib
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import PowerTransformer, QuantileTransformer, StandardScaler

from densitykit.exceptions import ModelFileError
from densitykit.persist import MANIFEST, load, read_info, save

RNG = np.random.default_rng(0)
X = RNG.normal(size=(240, 4)) * [1.0, 10.0, 0.1, 3.0] + [0.0, 100.0, -2.0, 5.0]
Y = np.where(X[:, 0] > 0, "hot", "cold")
FRAME = pd.DataFrame(X, columns=["flow", "level", "dp", "temp"])


def _optional(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        pytest.skip(f"{module}.{name} is not available")


def _models():
    """(id, factory) pairs: a factory returns a fitted model or skips."""

    def gmm():
        return _optional("densitykit.gaussian", "GaussianMixture")(3, random_state=0).fit(X)

    def gmm_diag():
        cls = _optional("densitykit.gaussian", "GaussianMixture")
        return cls(2, covariance_type="diag", random_state=0).fit(X)

    def normal():
        return _optional("densitykit.gaussian", "Normal")().fit(X)

    def kde():
        return _optional("densitykit.kde", "KernelDensity")().fit(X)

    def latent():
        return _optional("densitykit.latent", "LatentDensity")().fit(X)

    def selector():
        sel = _optional("densitykit.selection", "ModelSelector")
        gm = _optional("densitykit.gaussian", "GaussianMixture")
        try:
            return sel(gm(random_state=0), {"n_components": [1, 2]}).fit(X)
        except TypeError:
            return sel(gm(random_state=0)).fit(X)

    def table_gmm():
        gm = _optional("densitykit.gaussian", "GaussianMixture")
        tm = _optional("densitykit.preprocess", "TableModel")
        return tm(gm(2, random_state=0), column_transform="yeo-johnson").fit(FRAME)

    def table_kde():
        kd = _optional("densitykit.kde", "KernelDensity")
        tm = _optional("densitykit.preprocess", "TableModel")
        return tm(kd(), column_transform="quantile", clip=True).fit(FRAME)

    def blend():
        mix = _optional("densitykit.compose", "DensityMixture")
        kd = _optional("densitykit.kde", "KernelDensity")
        gm = _optional("densitykit.gaussian", "GaussianMixture")
        return mix([kd(bandwidth=0.3, preserve_covariance=True), gm(2, random_state=0)],
                   weights=[0.9, 0.1]).fit(X)

    return [("gmm", gmm), ("gmm-diag", gmm_diag), ("normal", normal), ("kde", kde),
            ("latent", latent), ("selector", selector), ("table-gmm", table_gmm),
            ("table-kde", table_kde), ("blend", blend)]


def _rows(out):
    out = out[0] if isinstance(out, tuple) else out
    return np.asarray(out)


@pytest.mark.parametrize(("kind", "factory"), _models(), ids=[k for k, _ in _models()])
def test_round_trip_is_exact(tmp_path, kind, factory):
    model = factory()
    path = tmp_path / f"{kind}.dkm"
    save(model, path)
    again = load(path)
    assert type(again) is type(model)
    assert again.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    data = FRAME if kind.startswith("table") else X
    np.testing.assert_array_equal(again.score_samples(data), model.score_samples(data))
    np.testing.assert_array_equal(_rows(again.sample(7, random_state=3)),
                                  _rows(model.sample(7, random_state=3)))
    # a second save of the loaded model gives the same content
    save(again, tmp_path / "again.dkm")
    assert _manifest(tmp_path / "again.dkm")["model"] == _manifest(path)["model"]


def test_classifier_round_trip(tmp_path):
    cls = _optional("densitykit.classify", "GenerativeClassifier")
    kd = _optional("densitykit.kde", "KernelDensity")
    model = cls(kd()).fit(X, Y)
    save(model, tmp_path / "c.dkm")
    again = load(tmp_path / "c.dkm")
    np.testing.assert_array_equal(again.predict_log_proba(X), model.predict_log_proba(X))
    assert list(again.classes_) == ["cold", "hot"]


@pytest.mark.parametrize(
    "est",
    [PCA(2), StandardScaler(), QuantileTransformer(n_quantiles=50), PowerTransformer()],
    ids=["pca", "scaler", "quantile", "power"],
)
def test_allowed_sklearn_transformers(tmp_path, est):
    est.fit(X)
    latent = _optional("densitykit.latent", "LatentDensity")
    save(latent(reducer=est), tmp_path / "t.dkm")  # a part of a model, never the top level
    again = load(tmp_path / "t.dkm").reducer
    assert type(again) is type(est)
    np.testing.assert_array_equal(again.transform(X), est.transform(X))


def test_sklearn_object_is_never_the_top_level(tmp_path):
    with pytest.raises(ModelFileError, match="Cannot save a PCA: densitykit model files hold "
                       "densitykit models"):
        save(PCA(2).fit(X), tmp_path / "p.dkm")
    latent = _optional("densitykit.latent", "LatentDensity")
    save(latent(reducer=PCA(2)).fit(X), tmp_path / "l.dkm")
    manifest = _manifest(tmp_path / "l.dkm")
    reducer = dict(manifest["model"]["state"]["$dict"])["reducer_"]
    manifest["model"] = reducer  # a fitted PCA alone
    manifest["class"] = "sklearn.PCA"
    _rewrite(tmp_path / "l.dkm", manifest)
    with pytest.raises(ModelFileError, match="holds a PCA at its top level, not a densitykit "
                       "model"):
        load(tmp_path / "l.dkm")


def test_metadata_and_info(tmp_path):
    tm = _optional("densitykit.preprocess", "TableModel")
    gm = _optional("densitykit.gaussian", "GaussianMixture")
    model = tm(gm(2, random_state=0)).fit(FRAME)
    meta = {"cleaning": {"n_rows_in": 10, "dropped_columns": {"Date": "date/time"}},
            "columns": list(FRAME.columns), "weights": np.arange(3.0), "nan": float("nan")}
    save(model, tmp_path / "m.dkm", metadata=meta)
    again, got = load(tmp_path / "m.dkm", return_metadata=True)
    assert got["cleaning"] == meta["cleaning"] and got["columns"] == meta["columns"]
    np.testing.assert_array_equal(got["weights"], meta["weights"])
    assert np.isnan(got["nan"]) and got["library_version"]
    info = read_info(tmp_path / "m.dkm")
    assert info["class"] == "densitykit.TableModel"
    assert info["params"]["column_transform"] == "standardize"
    assert info["params"]["density"]["class"] == "densitykit.GaussianMixture"
    assert info["metadata"]["columns"] == list(FRAME.columns)
    assert again.columns_ == list(FRAME.columns)


def test_save_refuses_foreign_objects_and_directories(tmp_path):
    from sklearn.neighbors import KernelDensity as SkKDE

    with pytest.raises(ModelFileError, match="Cannot save a KernelDensity"):
        save(SkKDE().fit(X), tmp_path / "x.dkm")
    normal = _optional("densitykit.gaussian", "Normal")
    with pytest.raises(ModelFileError, match="directory"):
        save(normal().fit(X), tmp_path)
    save(normal().fit(X), tmp_path / "p.dkm")
    with pytest.raises(ModelFileError, match="exists"):
        save(normal().fit(X), tmp_path / "p.dkm", overwrite=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.dkm"]  # no temporary left


def test_unsupported_attribute_is_named(tmp_path):
    est = _optional("densitykit.gaussian", "Normal")().fit(X)
    est.callback_ = print
    with pytest.raises(ModelFileError, match=r"model\.state\['callback_'\].*builtin"):
        save(est, tmp_path / "s.dkm")


# --- hostile and broken files -------------------------------------------------------


def _manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read(MANIFEST))


def _rewrite(path: Path, manifest: dict | None = None, arrays: dict | None = None) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if manifest is not None:
        members[MANIFEST] = json.dumps(manifest).encode()
    members.update(arrays or {})
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)


@pytest.fixture
def model_file(tmp_path) -> Path:
    path = tmp_path / "good.dkm"
    save(_optional("densitykit.gaussian", "Normal")().fit(X), path)
    return path


class _Boom:
    def __reduce__(self):
        return (Path.touch, (Path(_Boom.marker),))


@pytest.mark.parametrize("protocol", [0, 1, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_is_never_loaded(tmp_path, protocol):
    """Every pickle protocol (0 and 1 write text-like bytes) is named a pickle, with the fix,
    and nothing in it runs."""
    _Boom.marker = str(tmp_path / "pwned")
    path = tmp_path / "evil.dkm"
    path.write_bytes(pickle.dumps(_Boom(), protocol=protocol))
    with pytest.raises(ModelFileError, match=r"a Python pickle .* save it with densitykit\.save"):
        load(path)
    assert not (tmp_path / "pwned").exists()


def test_a_compressed_model_file_is_named_so(model_file):
    import gzip

    model_file.write_bytes(gzip.compress(model_file.read_bytes()))
    with pytest.raises(ModelFileError, match=r"compressed file .* decompress it"):
        load(model_file)


def test_pickled_array_inside_zip_is_refused(model_file, tmp_path):
    _Boom.marker = str(tmp_path / "pwned")
    evil = np.array([_Boom()], dtype=object)
    buf = io.BytesIO()
    np.save(buf, evil, allow_pickle=True)
    data = buf.getvalue()
    manifest = _manifest(model_file)
    name = next(iter(manifest["arrays"]))
    import hashlib

    manifest["arrays"][name] = hashlib.sha256(data).hexdigest()  # a consistent forgery
    _rewrite(model_file, manifest, {name: data})
    with pytest.raises(ModelFileError, match="unsupported dtype object"):
        load(model_file)
    assert not (tmp_path / "pwned").exists()


def test_tampered_array_fails_checksum(model_file):
    name = next(iter(_manifest(model_file)["arrays"]))
    buf = io.BytesIO()
    np.save(buf, np.zeros(4))
    _rewrite(model_file, arrays={name: buf.getvalue()})
    with pytest.raises(ModelFileError, match="checksum"):
        load(model_file)


@pytest.mark.parametrize("flip", [range(5, 25), [-1]], ids=["deflate-stream", "crc"])
def test_damaged_compressed_array_is_named_corrupt(model_file, flip):
    """Bytes changed inside an array's compressed data (a bad copy) break the deflate
    stream or its CRC; either is a corrupt model file, with the array named."""
    with zipfile.ZipFile(model_file) as zf:
        info = max((i for i in zf.infolist() if i.filename.startswith("arrays/")),
                   key=lambda i: i.compress_size)
    data = bytearray(model_file.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in flip:
        data[start + k % info.compress_size] ^= 0xFF
    model_file.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=rf"{model_file.name}: .*{info.filename}.* corrupt"):
        load(model_file)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m["model"].update({"$estimator": "os.system"}), "does not load"),
        (lambda m: m["model"]["state"]["$dict"].append(["__class__", 1]), "forbidden"),
        (lambda m: m["model"]["params"]["$dict"].append(["evil", 1]), "unknown parameter"),
        (lambda m: m.update({"format_version": 99}), "Upgrade densitykit"),
        (lambda m: m.update({"format": "other"}), "wrong format"),
        (lambda m: m["model"]["state"]["$dict"].append(["x_", {"$pickle": "..."}]), "Unknown"),
        (lambda m: m["model"]["state"]["$dict"].append(["x_", {"$array": "../../etc"}]),
         "unknown array"),
        (lambda m: m["model"]["state"]["$dict"].append(["x_", {"$dtype": "O"}]), "dtype"),
    ],
)
def test_tampered_manifest(model_file, edit, message):
    manifest = _manifest(model_file)
    edit(manifest)
    _rewrite(model_file, manifest)
    with pytest.raises(ModelFileError, match=message):
        load(model_file)


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["model"].update({"$estimator": "densitykit.CopulaModel"}),
        lambda m: m["model"]["params"]["$dict"].append(["new_option", 1]),
        lambda m: m["model"]["state"]["$dict"].append(["x_", {"$frozenset": [1]}]),
    ],
    ids=["class", "parameter", "entry"],
)
def test_a_file_from_a_newer_densitykit_says_to_upgrade(model_file, edit):
    """A class, parameter or entry this release does not know, in a file a newer release
    wrote, is named with the version that wrote it and the upgrade that loads it."""
    manifest = _manifest(model_file)
    edit(manifest)
    _rewrite(model_file, manifest)
    with pytest.raises(ModelFileError) as same:
        load(model_file)
    assert "upgrade densitykit" not in str(same.value)  # this release's file: no such advice
    manifest["library_version"] = "99.0.1"
    _rewrite(model_file, manifest)
    with pytest.raises(ModelFileError) as newer:
        load(model_file)
    message = str(newer.value)
    assert message.startswith(str(same.value))
    assert "written by densitykit 99.0.1, newer than this one" in message
    assert "pip install --upgrade densitykit" in message and "\n" not in message


def test_deeply_nested_manifest(model_file):
    manifest = _manifest(model_file)
    node: list = []
    deep = node
    for _ in range(200):
        deep.append([])
        deep = deep[0]
    manifest["metadata"] = {"$dict": [["k", node]]}
    _rewrite(model_file, manifest)
    with pytest.raises(ModelFileError):
        load(model_file)


def test_truncated_files(model_file):
    data = model_file.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        model_file.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match=r"truncated .*: copy it again, or save"):
            load(model_file)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\x93NUMPY\x01\x00", "NumPy"),
        (b'{"model": 1}', "JSON"),
        (b"\x89HDF\r\n\x1a\n", "HDF5"),
        (b"random bytes here", "a text file"),
        (b"\x00\x01\x02binary", "not a zip"),
    ],
)
def test_foreign_files(tmp_path, content, message):
    path = tmp_path / "f.dkm"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        load(path)


def test_zip_from_another_tool(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("model.onnx", b"\x00\x01")
    with pytest.raises(ModelFileError, match="not a densitykit model file"):
        load(path)


def test_missing_and_directory(tmp_path):
    with pytest.raises(ModelFileError, match="no such file"):
        load(tmp_path / "nope.dkm")
    with pytest.raises(ModelFileError, match="directory"):
        load(tmp_path)


def test_a_table_model_from_before_the_decimals_samples_as_it_did(tmp_path):
    """A TableModel file written before each column's decimals were recorded (fitted on a
    frame of two-decimal temperatures, whole counts and one-decimal flows with empty cells)
    loads without them and draws the rows it drew then, every digit kept."""
    data = Path(__file__).parent / "data"
    model = load(data / "table_model_before_decimals.dkm")
    assert not hasattr(model, "decimals_") and model.round_decimals
    got = model.sample(20, random_state=3)
    expected = pd.read_csv(data / "table_model_before_decimals_seed3.csv")
    assert got.columns.tolist() == expected.columns.tolist() == ["temp", "count", "flow"]
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    # the same numbers; only the count drawn as -0.0 then is 0.0 now
    zero = np.signbit(expected["count"]) & (expected["count"] == 0)
    assert zero.sum() == 1 and not np.signbit(got["count"][zero]).any()
    assert len(repr(float(got["temp"].iloc[0]))) > 8  # not rounded to two decimals
    # saved again, it still has no decimals and draws the same rows
    save(model, tmp_path / "again.dkm")
    again = load(tmp_path / "again.dkm")
    assert not hasattr(again, "decimals_")
    pd.testing.assert_frame_equal(again.sample(20, random_state=3), got)


def test_a_table_model_file_with_bad_decimals_is_refused(tmp_path):
    from densitykit import TableModel

    model = TableModel().fit(FRAME)
    model.decimals_ = np.array([2, -3, 1, 0])
    save(model, tmp_path / "m.dkm")
    with pytest.raises(ModelFileError, match="decimals_"):
        load(tmp_path / "m.dkm")


_LOAD_WITHOUT_PYARROW = """
import sys, importlib.abc
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, Hide())
import densitykit
rows = densitykit.load(sys.argv[1]).sample(5, random_state=0)
print(rows["site"].dtype.storage, list(rows["site"]))
"""


def test_a_synthesizer_with_arrow_text_loads_without_pyarrow(tmp_path):
    """A text column stored as 'string[pyarrow]' comes back as pandas' own string dtype where
    pyarrow is not installed (loading raised pandas' ImportError)."""
    import subprocess
    import sys

    from densitykit import Synthesizer

    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"flow": rng.normal(size=60),
                       "site": pd.array(rng.choice(["north", "south"], 60),
                                        dtype="string[pyarrow]")})
    synth = Synthesizer(model="gmm", n_components=[1]).fit(df)
    save(synth, tmp_path / "s.dkm")
    done = subprocess.run([sys.executable, "-c", _LOAD_WITHOUT_PYARROW, str(tmp_path / "s.dkm")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.split()[0] == "python"
    assert done.stdout.strip().endswith(str(list(synth.sample(5, random_state=0)["site"])))


def test_a_synthesizer_with_pandas_3_text_loads_under_pandas_2(tmp_path, monkeypatch):
    """pandas 3 keeps a text column as 'str', which pandas 2 reads as numpy's text dtype: the
    file loads there (it was refused as corrupt) and the column comes back as objects, the
    dtype pandas 2 gives text."""
    from densitykit import Synthesizer

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"flow": rng.normal(size=60), "site": rng.choice(["north", "south"], 60)})
    synth = Synthesizer(model="gmm", n_components=[1]).fit(df)
    if synth.dtypes_.get("site") != "str":
        pytest.skip("this pandas keeps text columns as objects")
    save(synth, tmp_path / "s.dkm")
    real = pd.api.types.pandas_dtype
    monkeypatch.setattr(pd.api.types, "pandas_dtype",
                        lambda d: np.dtype("str") if d == "str" else real(d))  # as pandas 2
    rows = load(tmp_path / "s.dkm").sample(5, random_state=0)
    assert rows["site"].dtype == object
    assert rows["site"].tolist() == synth.sample(5, random_state=0)["site"].tolist()
