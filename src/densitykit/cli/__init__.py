"""The ``densitykit`` command: one sub-command per step of the workflow.

Each command lives in its own module ``densitykit.cli.<name>`` listed in :data:`COMMANDS`
and defines ``HELP`` (one line), ``configure(parser)`` and ``run(args) -> int``. Modules
import heavy libraries only inside ``run``, so ``densitykit --help`` is fast. A listed
module that is not installed is left out of the parser.

Exit codes: 0 success, 1 a data or model error, 2 a usage error (130 when interrupted).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import re
import signal
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

from ._common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    UsageError,
    common_options,
)

__all__ = ["COMMANDS", "build_parser", "main"]

#: command name -> module defining HELP, configure(parser) and run(args)
COMMANDS: dict[str, str] = {
    "fit": "densitykit.cli.fit",
    "sample": "densitykit.cli.sample",
    "score": "densitykit.cli.score",
    "select": "densitykit.cli.select",
    "info": "densitykit.cli.info",
    "classify": "densitykit.cli.classify",
    "synth": "densitykit.cli.synth",
    "report": "densitykit.cli.report",
    "impute": "densitykit.cli.impute",
    "dataset": "densitykit.cli.dataset",
}

_EPILOG = """\
examples:
  densitykit fit plant.xlsx --exclude -5: --components 1-10     # plant.xlsx -> plant.dkm
  densitykit sample plant.dkm -n 1000 --seed 0                  # -> plant-samples.csv
  densitykit score plant.dkm new_week.csv                       # -> new_week-scores.csv
  densitykit info plant.dkm

Run 'densitykit COMMAND --help' for the options of a command."""


def _load_command(name: str, module_name: str) -> Any:
    """Import a command module; None when it is not part of this installation.

    A module that exists but fails to import is replaced by a stub that reports the failure
    when the command is run, so one broken command never breaks the others.
    """
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        return _broken(name, exc)
    except Exception as exc:
        return _broken(name, exc)


def _broken(name: str, exc: BaseException) -> Any:
    import types

    def run(args: argparse.Namespace) -> int:
        raise CommandError(f"the {name} command is unavailable in this installation: "
                           f"{type(exc).__name__}: {exc}")

    return types.SimpleNamespace(HELP=f"(unavailable: {type(exc).__name__})",
                                 configure=lambda parser: None, run=run)


# '-5:' (the last five columns) and '-3' are values, not options
_NEGATIVE = re.compile(r"^-\d+$|^-\d*\.\d+$|^-\d+:-?\d*$")


def _accept_negative_specs(parser: argparse.ArgumentParser) -> None:
    if hasattr(parser, "_negative_number_matcher"):
        parser._negative_number_matcher = _NEGATIVE
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _accept_negative_specs(sub)


class _Parser(argparse.ArgumentParser):
    """A parser whose usage errors are one line naming the option, and exit code 2."""

    def error(self, message: str) -> Any:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available command."""
    from .. import __version__

    common = common_options()
    parser = _Parser(
        prog="densitykit",
        description="Fit densities to tables, draw synthetic rows, score and classify.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"densitykit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = _load_command(name, module_name)
        if module is None:
            continue
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP,
                             parents=[common])
        module.configure(cmd)
        cmd.set_defaults(_run=module.run, _command=name)
    _accept_negative_specs(parser)
    return parser


def _report(prog: str, exc: BaseException, debug: bool) -> None:
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    text = " ".join(str(exc).split("\n")[0].split()) or type(exc).__name__
    print(f"{prog}: error: {text}", file=sys.stderr)


class _Terminated(BaseException):
    """SIGTERM, raised where the command is, so that its clean-up code runs."""


@contextlib.contextmanager
def _terminate_as_exception() -> Iterator[None]:
    """While a command runs, SIGTERM unwinds it like Ctrl-C does: temporaries are removed
    and no output is published (outputs appear together, at the very end)."""
    def handler(signum: int, frame: Any) -> None:
        raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error reported by argparse
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    if not hasattr(args, "_run"):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args.argv = [str(a) for a in (sys.argv[1:] if argv is None else argv)]
    args.debug = getattr(args, "debug", False)
    args.quiet = getattr(args, "quiet", False)
    prog = f"densitykit {args._command}"
    try:
        with _terminate_as_exception():
            return int(args._run(args) or EXIT_OK)
    except UsageError as exc:
        _report(prog, exc, args.debug)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except _Terminated:
        print(f"{prog}: terminated; nothing was written", file=sys.stderr)
        return 143
    except CommandError as exc:
        _report(prog, exc, args.debug)
        return EXIT_ERROR
    except Exception as exc:
        from ..exceptions import DensityKitError

        if isinstance(exc, (DensityKitError, OSError, MemoryError)):
            _report(prog, exc, args.debug)
        else:  # a bug: say so, and how to see it
            if args.debug:
                traceback.print_exc(file=sys.stderr)
            print(f"{prog}: error: unexpected {type(exc).__name__}: {exc} (this is a bug in "
                  "densitykit; run with --debug for the traceback and please report it)",
                  file=sys.stderr)
        return EXIT_ERROR
