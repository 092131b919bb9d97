"""Every public method of every public estimator has type hints and a full numpydoc
docstring (Parameters, Returns, Examples); the examples themselves run as doctests."""

import inspect

import pytest

import densitykit

ESTIMATORS = ["Normal", "GaussianMixture", "BayesianGaussianMixture", "KernelDensity",
              "DensityMixture", "ModelSelector", "LatentDensity", "GenerativeClassifier",
              "TableModel", "Synthesizer"]


def public_methods(cls):
    """The public methods, classmethods included, that densitykit defines."""
    members = inspect.getmembers(cls, lambda m: inspect.isfunction(m) or inspect.ismethod(m))
    for name, fn in members:
        if name.startswith("_") or not fn.__module__.startswith("densitykit"):
            continue
        yield name, fn


CASES = [(est, name) for est in ESTIMATORS
         for name, _ in public_methods(getattr(densitykit, est))]


def test_the_estimators_have_public_methods():
    assert len(CASES) > 80


@pytest.mark.parametrize(("est", "name"), CASES, ids=[f"{e}.{n}" for e, n in CASES])
def test_method_has_hints_and_numpydoc(est, name):
    fn = getattr(getattr(densitykit, est), name)
    params = [p for p in inspect.signature(fn).parameters if p not in ("self", "cls")]
    hints = getattr(fn, "__annotations__", {})
    assert [p for p in params if p not in hints] == [], "parameters without a type hint"
    assert "return" in hints, "no return type hint"
    doc = inspect.getdoc(fn) or ""
    sections = ["Returns\n-------", "Examples\n--------"]
    if params:
        sections.insert(0, "Parameters\n----------")
    missing = [s.split("\n")[0] for s in sections if s not in doc]
    assert missing == [], f"docstring sections missing: {missing}"
    assert ">>> " in doc.split("Examples\n--------")[1], "the Examples section has no example"
    documented = documented_parameters(doc)
    plain = [p for p in params if inspect.signature(fn).parameters[p].kind not in (
        inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)]
    assert [p for p in plain if p not in documented] == [], "not in the Parameters section"


def documented_parameters(doc: str) -> set[str]:
    """The names the numpydoc Parameters section lists (``name : type`` entries, also
    ``a, b : type``), up to the next section."""
    if "Parameters\n----------" not in doc:
        return set()
    section = doc.split("Parameters\n----------", 1)[1]
    names: set[str] = set()
    for line in section.splitlines():
        if not line or line.startswith(" "):
            continue  # a description
        if " : " not in line and not line.rstrip().endswith(":"):
            break  # the next section's title
        head = line.split(" : ")[0].rstrip(":")
        names.update(n.strip().lstrip("*") for n in head.split(","))
    return names


def test_documented_parameters_reads_the_section():
    doc = ("Intro.\n\nParameters\n----------\nX : array\n    Rows.\nlo, hi : float\n"
           "    Bounds.\n**kw : dict\n    More.\n\nReturns\n-------\nout : float\n")
    assert documented_parameters(doc) == {"X", "lo", "hi", "kw"}
    assert documented_parameters("X, the rows, are used.\n") == set()
