"""The README's command-line block runs as written, top to bottom, in an empty folder; its
Python example, the Python examples of docs/ and its other commands run as written too."""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _command_block() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Command line"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return [line for line in lines if line]


def test_the_block_is_the_commands_users_see():
    lines = _command_block()
    assert len(lines) >= 10 and all(line.startswith("densitykit ") for line in lines)
    assert any(" synth " in line for line in lines)


@pytest.mark.slow
def test_every_line_runs_top_to_bottom(tmp_path):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    outputs = {}
    for line in _command_block():
        argv = [sys.executable, "-m", "densitykit", *shlex.split(line)[1:]]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600, check=False)
        assert done.returncode == 0, f"{line}\n{done.stderr[-2000:]}"
        outputs[line] = done.stdout
    assert (tmp_path / "plant-synthetic.html").exists()
    classify = next(v for k, v in outputs.items() if "classify fit" in k)
    assert "accuracy 0.9907 on 540 held-out rows" in classify  # the chapter's figure


DOCS = [README, *sorted((README.parent / "docs").glob("*.md"))]


def _python_blocks() -> list[tuple[str, str]]:
    """(file name, code) of every Python block of the README and docs/*.md."""
    return [(path.name, code) for path in DOCS
            for code in re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)]


def _run_block(code: str) -> str:
    """Run a documentation block statement by statement and return what it prints; an
    expression whose comment is a Python literal (``x  # ['a']``) must equal that literal."""
    lines = code.splitlines()
    names: dict = {"__name__": "__doc_example__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for node in ast.parse(code).body:
            source = ast.get_source_segment(code, node)
            expected = _literal(lines[node.end_lineno - 1].partition("#")[2].strip())
            if isinstance(node, ast.Expr) and expected is not None:
                got = eval(compile(ast.Expression(node.value), "<doc>", "eval"), names)
                assert got == expected[0], source
            else:
                exec(compile(source, "<doc>", "exec"), names)
    return out.getvalue()


def _literal(comment: str) -> tuple | None:
    """``(value,)`` of a comment that is a Python literal, None for prose."""
    try:
        return (ast.literal_eval(comment),) if comment else None
    except (ValueError, SyntaxError):
        return None


def test_the_docs_have_python_examples():
    assert {name for name, _ in _python_blocks()} == {"README.md", "scikit-learn.md"}


@pytest.mark.parametrize(("name", "code"), _python_blocks(),
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(_python_blocks())])
def test_every_python_example_runs_as_written(name, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    printed = _run_block(code)
    if name == "README.md":  # the BIC table of 15 sizes, 3 log-densities, 13 conditional means
        assert re.search(r"n_components\s+bic\s+heldout_loglik", printed)
        assert printed.count("\n") >= 16 + 1 + 13


def test_the_readme_states_the_demos_row_counts():
    """The Dow table's rows, and the test rows synth sets aside from them (its test_size)."""
    from densitykit import Synthesizer, read_table
    from densitykit.datasets import dow_path

    text = README.read_text(encoding="utf-8")
    n_rows = int(re.search(r"Dow process table \(([\d,]+) rows", text).group(1).replace(",", ""))
    n_test = int(re.search(r"measured on ([\d,]+) test rows", text).group(1).replace(",", ""))
    assert n_rows == len(read_table(dow_path(), policy="keep", kinds="mixed").data)
    assert n_test == round(Synthesizer().test_size * n_rows)


def test_the_readmes_streamed_fit_command_runs(tmp_path, monkeypatch):
    """`densitykit fit big.parquet --chunksize ...` in the prose runs on a file of that name."""
    from densitykit.cli import main

    pytest.importorskip("pyarrow")
    import numpy as np
    import pandas as pd

    commands = [c for c in re.findall(r"`(densitykit fit [^`]*)`", README.read_text("utf-8"))
                if "--chunksize" in c]
    assert commands
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    for command in commands:
        argv = shlex.split(command)[1:]
        table = pd.DataFrame(rng.normal(size=(3000, 3)) + rng.integers(0, 4, (3000, 1)) * 4,
                             columns=["a", "b", "c"])
        table.to_parquet(tmp_path / argv[1])
        assert main([*argv, "-q", "--seed", "0"]) == 0, command
