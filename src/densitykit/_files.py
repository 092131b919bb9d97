"""File helpers shared by model files and the command line."""

from __future__ import annotations

import os

__all__ = ["publish"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Give a finished temporary file the usual permissions and rename it onto ``path``.

    Temporary files are created private (0600); the result gets what a plain ``open`` would
    give (0666 less the umask), then appears atomically under its final name.
    """
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)
