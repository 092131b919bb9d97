"""Hostile model files (tests/hostile_models.py): each gives a ModelFileError naming the first
thing wrong, never an unexpected exception, and an oversized member is refused before it is
decompressed."""

from __future__ import annotations

import os
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import densitykit.persist as persist
from densitykit import GaussianMixture, TableModel
from densitykit.exceptions import DensityKitError, ModelFileError
from densitykit.persist import load, save
from hostile_models import CASES, find_mixture, read, write, write_cases, write_oversized

X = np.random.default_rng(0).normal(size=(120, 2)) * [1.0, 30.0] + [0.0, 500.0]
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module", params=["mixture", "table"])
def good(request, tmp_path_factory) -> Path:
    """A good file holding a 2-component mixture of 2 columns, alone or in a TableModel."""
    path = tmp_path_factory.mktemp("good") / "good.dkm"
    gm = GaussianMixture(2, random_state=0)
    save(gm.fit(X) if request.param == "mixture" else TableModel(gm).fit(X), path)
    return path


@pytest.fixture(scope="module")
def cases(good, tmp_path_factory) -> tuple[Path, list]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, write_cases(good, folder)


def test_the_good_file_loads(good):
    model = load(good)
    assert np.all(np.isfinite(model.score_samples(X)))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.file for c in CASES])
def test_hostile_case(cases, index):
    folder, written = cases
    file, _, pattern = written[index]
    with pytest.raises(ModelFileError) as info:
        load(folder / file)
    message = str(info.value)
    assert message.startswith(str(folder / file)), message  # names the file
    assert re.search(pattern, message), (pattern, message)
    assert "\n" not in message


def test_every_case_is_a_change_the_checks_catch(good, cases):
    """Each file differs from the good one only in the content the checks read: with the
    checks of fitted states switched off, the files that keep the class load."""
    folder, written = cases
    loaded = 0
    check = GaussianMixture._check_fitted_state
    try:
        del GaussianMixture._check_fitted_state
        for file, _, _ in written:
            try:
                load(folder / file)
                loaded += 1
            except ModelFileError:
                pass
    finally:
        GaussianMixture._check_fitted_state = check
    assert loaded >= 6  # the array and attribute edits pass every check but the state's


@pytest.fixture(scope="module")
def mixture_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("one") / "gm.dkm"
    save(GaussianMixture(2, random_state=0).fit(X), path)
    return path


@pytest.mark.parametrize("declare", [True, False], ids=["declared", "undeclared"])
def test_oversized_member_refused_before_decompression(mixture_file, tmp_path, declare):
    path = tmp_path / "big.dkm"
    pattern = write_oversized(mixture_file, path, declare=declare)
    assert path.stat().st_size < 64 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError) as info:
            load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert re.search(pattern, str(info.value)), str(info.value)
    assert peak < 16 * 2**20  # nothing near the member's 2 GiB was decompressed


def test_total_size_cap(mixture_file, monkeypatch):
    monkeypatch.setattr(persist, "MAX_MODEL_BYTES", 1000)
    with pytest.raises(ModelFileError, match=r"bytes once decompressed, more than "
                       r"densitykit\.persist\.MAX_MODEL_BYTES \(1,000\); it was not read"):
        load(mixture_file)


def test_member_larger_than_its_header_declares(mixture_file, tmp_path):
    manifest, members = read(mixture_file)
    manifest.pop("array_info")
    node, _ = find_mixture(manifest["model"])
    name = dict(node["state"]["$dict"])["weights_"]["$array"]
    members[name] += bytes(4096)  # trailing bytes the .npy header does not account for
    write(tmp_path / "padded.dkm", manifest, members)
    with pytest.raises(ModelFileError, match=r"holds 4,2\d\d bytes, but its header declares "
                       r"16 bytes of data"):
        load(tmp_path / "padded.dkm")


def test_declaration_and_header_must_agree(mixture_file, tmp_path):
    manifest, members = read(mixture_file)
    node, _ = find_mixture(manifest["model"])
    name = dict(node["state"]["$dict"])["weights_"]["$array"]
    manifest["array_info"][name]["dtype"] = "<i8"
    write(tmp_path / "retyped.dkm", manifest, members)
    with pytest.raises(ModelFileError, match=r"is a float64 array of shape \(2,\), but the "
                       r"manifest declares int64 of shape \(2,\)"):
        load(tmp_path / "retyped.dkm")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_fifo_is_refused_at_once(tmp_path):
    pipe = tmp_path / "pipe.dkm"
    os.mkfifo(pipe)
    with pytest.raises(ModelFileError, match=r"it is a named pipe \(FIFO\), not a model file"):
        load(pipe)  # would block for a writer if it were opened for reading


def test_directory_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="it is a directory, not a model file"):
        load(tmp_path)


@pytest.mark.parametrize("key", ["score_samples", "n_parameters", "bic", "sample"])
def test_no_attribute_hides_a_method(mixture_file, tmp_path, key):
    manifest, members = read(mixture_file)
    node, _ = find_mixture(manifest["model"])
    node["state"]["$dict"].append([key, 1])
    write(tmp_path / "s.dkm", manifest, members)
    with pytest.raises(ModelFileError, match=rf"an attribute '{key}', which would hide its "
                       "method"):
        load(tmp_path / "s.dkm")


def test_no_attribute_hides_a_property(tmp_path):
    from densitykit import Synthesizer

    assert isinstance(vars(Synthesizer)["codecs_"], property)
    path = DATA / "synth_kde_before_preserve_covariance.dkm"
    manifest, members = read(path)
    manifest["model"] = {"$estimator": "densitykit.Synthesizer", "params": {"$dict": []},
                         "state": {"$dict": [["codecs_", []]]}}
    write(tmp_path / "p.dkm", manifest, members)
    with pytest.raises(ModelFileError, match="an attribute 'codecs_', which would hide its "
                       "property"):
        load(tmp_path / "p.dkm")


@pytest.mark.parametrize("path", sorted(DATA.glob("*.dkm")), ids=lambda p: p.name)
def test_fixture_model_files_still_load(path):
    model = load(path)
    assert hasattr(model, "sample")


def test_state_errors_are_library_errors():
    """A broken fitted state is a ModelFileError (a DensityKitError), never a bug report."""
    from densitykit._state import StateError

    assert issubclass(StateError, ModelFileError) and issubclass(StateError, DensityKitError)
