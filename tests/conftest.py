"""Fixtures shared by the test modules."""

import builtins

import pytest


@pytest.fixture
def hide_module(monkeypatch):
    """``hide_module("pyarrow")``: importing that package (or a submodule) fails from now
    on in this test, as on an install without it."""

    def hide(package: str) -> None:
        real_import = builtins.__import__

        def guarded(name, *args, **kwargs):
            if name == package or name.startswith(package + "."):
                raise ImportError(f"No module named {name!r}")
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", guarded)

    return hide
