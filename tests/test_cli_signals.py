"""Stopping a command part-way (Ctrl-C or SIGTERM) leaves nothing new behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_synth_publishes_nothing(tmp_path, sig, code):
    rng = np.random.default_rng(0)
    table = tmp_path / "t.csv"
    X = rng.normal(size=(3000, 12))
    pd.DataFrame(X, columns=[f"c{j}" for j in range(12)]).to_csv(table, index=False)
    before = table.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    cmd = [sys.executable, "-m", "densitykit", "synth", str(table), "-o",
           str(out / "t-synthetic.csv"), "--seed", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60  # stop it once the search is under way
    line = ""
    while "gmm 1:" not in line and time.monotonic() < deadline and proc.poll() is None:
        line = proc.stderr.readline()
    assert proc.poll() is None, "synth finished before it could be stopped"
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "nothing was written" in err
    assert list(out.iterdir()) == []  # no outputs, no temporaries
    assert table.read_bytes() == before
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["out", "t.csv"]
