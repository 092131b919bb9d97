"""Imports point down the layers of docs/architecture.md ("The layers").

Every import in ``src/densitykit`` is read from the source, those inside functions included,
and each names the package it reaches: a top-level module (``data``, ``_validation``) or a
subpackage (``gaussian``, ``scale``). A package may import its own layer or the layers below
it, never one above, and the packages import one another without a cycle. Across packages
no private name and no private module of a subpackage (``gaussian._driver``) is imported:
another package uses what the subpackage's ``__init__`` exports. The private top-level
modules (``_state``, ``_validation``, ``_columns``) are packages of the table themselves,
shared by design. No private method or function of another package is called, and the
scale-out adapters and the binned KDE evaluator use no other object's private attributes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import densitykit

ROOT = Path(densitykit.__file__).parent

#: docs/architecture.md's layers, bottom first (engines and estimators share a package)
LAYERS = [
    {"__init__", "_adapters", "_columns", "_estimator", "_fastmath", "_files", "_linalg",
     "_parallel", "_results", "_state", "_validation", "exceptions"},
    {"classify", "compose", "density", "gaussian", "kde", "latent", "preprocess"},
    {"_impute_loops", "data", "datasets", "evaluate", "impute", "persist", "plotting",
     "report", "selection", "synth"},
    {"scale"},
    {"__main__", "cli"},
]
LAYER = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}
#: the layers' names in docs/architecture.md (its "Numerical engines" and "Estimators" are
#: the one layer here)
LAYER_NAMES = ["foundations", "engines and estimators", "workflows", "scale-out",
               "command line"]
#: where no object's private attribute is read, only ``self``'s (they use what the
#: estimators hand them)
NO_FOREIGN_PRIVATES = ("scale/*.py", "kde/_binned.py")
#: where no private method is called on anything but ``self``, ``cls``, a class of the file
#: or a module of its own package (they use what the estimators export for them); elsewhere
#: the receiver's package is told from the method's name
OWN_PRIVATES_ONLY = ("selection.py",)
#: calls of another package's private methods, each with the reason it is allowed
KNOWN_FOREIGN_CALLS = {
    ("persist.py", "_check_fitted_state"):
        "the model-file protocol: every class in model files checks a state read from a "
        "file with it (docs/architecture.md, 'A model class in model files')",
    ("persist.py", "_from_legacy"):
        "the model-file protocol: a file written before Synthesizer existed is read into "
        "one by the class itself",
}


def _module_name(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _is_module(parts: list[str]) -> bool:
    base = ROOT.joinpath(*parts) if parts else ROOT
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _from_target(node: ast.ImportFrom, package: list[str]) -> list[str] | None:
    """The densitykit module a ``from ... import`` names (relative ones resolved against
    ``package``), as parts below densitykit; ``None`` for another library."""
    if node.level:
        base = package[: len(package) - node.level + 1]
        return base + (node.module.split(".") if node.module else [])
    if node.module and node.module.split(".")[0] == "densitykit":
        return node.module.split(".")[1:]
    return None


def _imports(path: Path):
    """``(line, target module parts, imported name or None)`` of every import of densitykit."""
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "densitykit":
                    yield node.lineno, alias.name.split(".")[1:], None
        elif isinstance(node, ast.ImportFrom):
            target = _from_target(node, package)
            if target is None:
                continue
            for alias in node.names:
                sub = [*target, alias.name]
                if _is_module(sub):
                    yield node.lineno, sub, None
                else:
                    yield node.lineno, target, alias.name


def _package(parts: list[str]) -> str:
    return parts[0] if parts else "__init__"


def _edges():
    for path in sorted(ROOT.rglob("*.py")):
        src = _package(_module_name(path))
        for line, target, name in _imports(path):
            yield path, line, src, _package(target), target, name


def test_every_package_has_a_layer():
    packages = {_package(_module_name(p)) for p in ROOT.rglob("*.py")}
    assert packages - set(LAYER) == set(), "add the new package to LAYERS (and the docs)"


def test_imports_point_down_the_layers():
    up = [f"{path.relative_to(ROOT)}:{line} imports {'.'.join(target)} ({dst}: "
          f"{LAYER_NAMES[LAYER[dst]]}) from the {LAYER_NAMES[LAYER[src]]}"
          for path, line, src, dst, target, _ in _edges()
          if src != dst and LAYER[dst] > LAYER[src]]
    assert up == []


def test_packages_import_one_another_without_a_cycle():
    graph: dict[str, set[str]] = {}
    for _, _, src, dst, _, _ in _edges():
        if src != dst:
            graph.setdefault(src, set()).add(dst)
    done: set[str] = set()

    def visit(pkg: str, trail: list[str]) -> None:
        if pkg in trail:
            pytest.fail("import cycle: " + " -> ".join([*trail[trail.index(pkg):], pkg]))
        if pkg in done:
            return
        for nxt in sorted(graph.get(pkg, ())):
            visit(nxt, [*trail, pkg])
        done.add(pkg)

    for pkg in sorted(graph):
        visit(pkg, [])


def test_no_private_name_is_imported_from_another_package():
    private = [f"{path.relative_to(ROOT)}:{line} imports {name} from {'.'.join(target)}"
               for path, line, src, dst, target, name in _edges()
               if src != dst and name is not None and name.startswith("_")
               and not name.startswith("__")]
    assert private == []


def test_no_private_module_of_another_package_is_imported():
    private = [f"{path.relative_to(ROOT)}:{line} imports {'.'.join(target)}"
               + (f".{name}" if name else "")
               for path, line, src, dst, target, name in _edges()
               if src != dst and any(_is_private(part) for part in target[1:])]
    assert private == [], "import it from the package (its __init__ exports what others use)"


@pytest.mark.parametrize("pattern", NO_FOREIGN_PRIVATES)
def test_no_private_attribute_of_another_object_is_used(pattern):
    found = []
    for path in sorted(ROOT.glob(pattern)):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id == "self")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} uses .{node.attr}")
    assert found == []


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _module_aliases(path: Path) -> dict[str, list[str]]:
    """Names that the imports of ``path`` bind to modules of densitykit -> the modules' parts."""
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod[:-1]
    out = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "densitykit" and alias.asname:
                    out[alias.asname] = parts[1:]
        elif isinstance(node, ast.ImportFrom):
            target = _from_target(node, package)
            if target is None:
                continue
            for alias in node.names:
                if _is_module([*target, alias.name]):
                    out[alias.asname or alias.name] = [*target, alias.name]
    return out


def _private_methods() -> dict[str, set[str]]:
    """Package -> the private method names its classes define."""
    out: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        names = out.setdefault(_package(_module_name(path)), set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names.update(f.name for f in node.body if isinstance(
                    f, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_private(f.name))
    return out


def _private_calls(path: Path):
    """``(line, receiver, name)`` of every call ``receiver._name(...)`` but on ``self``,
    ``cls``, ``super()`` or a class of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = {"self", "cls"} | {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and _is_private(node.func.attr)):
            continue
        value = node.func.value
        if isinstance(value, ast.Name) and value.id in own:
            continue
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id == "super"):
            continue
        yield node.lineno, value, node.func.attr


def _foreign_calls():
    """``(path, line, name, why)`` of the calls of another package's private methods or
    functions: on a module of another package, on an object in the files of
    ``OWN_PRIVATES_ONLY``, elsewhere of a method that only other packages' classes define."""
    methods = _private_methods()
    strict = {p for pattern in OWN_PRIVATES_ONLY for p in ROOT.glob(pattern)}
    for path in sorted(ROOT.rglob("*.py")):
        pkg = _package(_module_name(path))
        aliases = _module_aliases(path)
        for line, value, name in _private_calls(path):
            target = aliases.get(value.id) if isinstance(value, ast.Name) else None
            if target is not None:
                if _package(target) != pkg:
                    yield path, line, name, f"of module {'.'.join(target)}"
            elif path in strict:
                yield path, line, name, f"on {ast.unparse(value)}"
            elif name not in methods[pkg] and any(
                    name in names for p, names in methods.items() if p != pkg):
                yield path, line, name, f"on {ast.unparse(value)}, a method of another package"


def test_no_private_method_of_another_package_is_called():
    found = [f"{path.relative_to(ROOT)}:{line} calls {name} {why}"
             for path, line, name, why in _foreign_calls()
             if (path.relative_to(ROOT).as_posix(), name) not in KNOWN_FOREIGN_CALLS]
    assert found == [], "use what the package exports, or give it a public name"


def test_the_known_foreign_calls_still_exist():
    seen = {(path.relative_to(ROOT).as_posix(), name) for path, _, name, _ in _foreign_calls()}
    assert set(KNOWN_FOREIGN_CALLS) - seen == set(), "remove the exceptions no longer needed"


#: functions longer than the rule, each with its reason (docs/architecture.md, "Function
#: length")
LONG_FUNCTIONS = {
    "gaussian/_compiled.py:_rows": "compiled per-row loop: up to 50 % slower when split",
}


def _function_lengths() -> dict[str, int]:
    """Lines of every function, ``def`` to last line, by ``path:name``."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                where = f"{path.relative_to(ROOT).as_posix()}:{node.name}"
                out[where] = max(out.get(where, 0), node.end_lineno - node.lineno + 1)
    return out


def test_functions_are_at_most_60_lines():
    lengths = _function_lengths()
    long = [f"{w} ({n} lines)" for w, n in lengths.items() if n > 60 and w not in LONG_FUNCTIONS]
    assert long == [], "split these into named steps"
    # an exception that no longer applies is taken off the list
    assert [w for w in LONG_FUNCTIONS if lengths.get(w, 0) <= 60] == []
