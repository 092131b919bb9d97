"""The README's command-line block runs as written, top to bottom, in an empty folder."""

from __future__ import annotations

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
