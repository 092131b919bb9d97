"""What the command line shows: clean lines on a terminal, nothing but results elsewhere."""

from __future__ import annotations

import argparse
import os
import pty
import re
import sys
import time

import pytest

from densitykit.cli import _common


def _screen(raw: str) -> list[str]:
    """The lines a terminal ends up showing: each line's text after its last carriage
    return or erase (the clock redraws itself in place)."""
    lines = []
    for line in raw.replace("\r\n", "\n").split("\n"):
        lines.append(re.split(r"\r(?:\x1b\[K)?", line)[-1])
    return [line for line in lines if line]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_messages_never_land_on_the_running_clock(monkeypatch):
    master, slave = pty.openpty()
    tty = os.fdopen(slave, "w", buffering=1)
    monkeypatch.setattr(sys, "stderr", tty)
    monkeypatch.setattr(_common, "CLOCK_DELAY", 0.05)
    monkeypatch.setattr(_common, "CLOCK_FRAME", 0.01)
    args = argparse.Namespace(quiet=False)
    def clock_drawn() -> None:  # wait (on a busy machine too) until the clock is on screen
        deadline = time.monotonic() + 10
        while not _common._SCREEN["clock"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _common._SCREEN["clock"], "the clock never drew itself"

    with _common.progress(args, "Choosing the model"):
        for k in range(3):
            clock_drawn()
            time.sleep(0.03)  # a few more frames
            _common.info(args, f"  gmm {k}: held-out log-likelihood -1.00 per row")
        clock_drawn()
    tty.close()  # then read everything the terminal got, up to its end
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # Linux reports the closed other end as EIO
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    raw = b"".join(chunks).decode()
    assert "\x1b[K" in raw and "Choosing the model ..." in raw  # the clock did run
    shown = _screen(raw)
    assert shown[:3] == [f"  gmm {k}: held-out log-likelihood -1.00 per row" for k in range(3)]
    assert re.fullmatch(r"Choosing the model: done in \d+\.\ds", shown[3])
    assert len(shown) == 4


def test_no_clock_and_no_timing_lines_off_a_terminal(capsys):
    args = argparse.Namespace(quiet=False)
    with _common.progress(args, "Reading"):
        time.sleep(0.01)
    _common.info(args, "a summary line")
    assert capsys.readouterr().err == "a summary line\n"
    with _common.progress(argparse.Namespace(quiet=True), "Reading"):
        _common.info(argparse.Namespace(quiet=True), "hidden")
    assert capsys.readouterr().err == ""
