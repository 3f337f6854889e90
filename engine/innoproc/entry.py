"""The ``innoproc`` console script: start the command line, and end it cleanly whatever happens.

Kept apart from :mod:`innoproc.cli`, and first to run, so that Ctrl-C at any moment (while the
command line is still being imported, inside typer, inside a command) ends the command at once
with one line and exit status 130, never a traceback; a reader that closes the pipe early
(``innoproc advise ... | head``) ends it silently with status 141, as a killed pipe would; a full
disk is one line and status 74.
"""

from __future__ import annotations

import errno
import os
import signal
import sys

INTERRUPTED = 130
BROKEN_PIPE = 141
CANNOT_WRITE = 74  # EX_IOERR


def main() -> None:
    # Ctrl-C ends the command at once, wherever it is: in an import, in a weakref callback of
    # the import machinery (where Python would swallow it), in typer, or in a command
    signal.signal(signal.SIGINT, _on_interrupt)
    try:
        from innoproc.cli import app

        app(prog_name="innoproc")
    except KeyboardInterrupt:
        _interrupted()
        # not sys.exit: a KeyboardInterrupt still unwinding through an import would make the
        # interpreter end itself by SIGINT instead of with the status we give
        os._exit(INTERRUPTED)
    except SystemExit as exc:  # typer turns Ctrl-C during its own work into a silent 130
        if exc.code == INTERRUPTED:
            _interrupted()
            os._exit(INTERRUPTED)
        raise
    except BrokenPipeError:
        quiet_stdout()
        sys.exit(BROKEN_PIPE)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT):
            raise
        quiet_stdout()
        print(f"innoproc: cannot write the output: {exc.strerror}", file=sys.stderr)
        sys.exit(CANNOT_WRITE)


def _on_interrupt(signum: int, frame: object) -> None:
    _interrupted()
    os._exit(INTERRUPTED)


def _interrupted() -> None:
    quiet_stdout()
    print("innoproc: interrupted", file=sys.stderr)
    sys.stderr.flush()


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
