"""The ``innoproc`` console script: start the command line, and end it cleanly whatever happens.

Kept apart from :mod:`innoproc.cli` so that Ctrl-C while the command line is still being
imported ends with one line and exit status 130, not a traceback; a reader that closes the pipe
early (``innoproc advise ... | head``) ends it silently with status 141, as a killed pipe would;
a full disk is one line and status 74.
"""

from __future__ import annotations

import errno
import os
import sys

INTERRUPTED = 130
BROKEN_PIPE = 141
CANNOT_WRITE = 74  # EX_IOERR


def main() -> None:
    try:
        from innoproc.cli import app

        app(prog_name="innoproc")
    except KeyboardInterrupt:
        quiet_stdout()
        print("innoproc: interrupted", file=sys.stderr)
        sys.exit(INTERRUPTED)
    except BrokenPipeError:
        quiet_stdout()
        sys.exit(BROKEN_PIPE)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT):
            raise
        quiet_stdout()
        print(f"innoproc: cannot write the output: {exc.strerror}", file=sys.stderr)
        sys.exit(CANNOT_WRITE)


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
