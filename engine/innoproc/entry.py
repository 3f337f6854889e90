"""The ``innoproc`` console script: start the command line, and end it cleanly whatever happens.

Kept apart from :mod:`innoproc.cli`, and first to run, so that Ctrl-C at any moment (while the
command line is still being imported, inside typer, inside a command) ends the command at once
with one line and exit status 130, never a traceback; a reader that closes the pipe early
(``innoproc advise ... | head``) ends it silently with status 141, as a killed pipe would; a full
disk is one line and status 74.
"""

from __future__ import annotations

import atexit
import errno
import gc
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

INTERRUPTED = 130
BROKEN_PIPE = 141
CANNOT_WRITE = 74  # EX_IOERR


#: what to do first when Ctrl-C ends the command (save the work in progress ...): each returns
#: a few words for the one line printed, or None
_hooks: list[Callable[[], str | None]] = []
#: the words of hooks already run, waiting to be printed on that line
_notes: list[str] = []


@contextmanager
def on_interrupt(hook: Callable[[], str | None]) -> Iterator[None]:
    """Run ``hook`` before the command ends if Ctrl-C ends it inside the block.

    Ctrl-C reaches a command two ways: as a signal (the handler below ends the process at once,
    so it runs the hooks first), or as a key a prompt reads in a raw terminal and turns into a
    ``KeyboardInterrupt`` (run here, as it leaves the block). Either way the hook runs once and
    its words join the one line ``innoproc: interrupted`` printed on the way out.
    """
    _hooks.append(hook)
    try:
        yield
    except KeyboardInterrupt:
        _hooks.remove(hook)
        _run(hook)
        raise
    else:
        _hooks.remove(hook)


def _run(hook: Callable[[], str | None]) -> None:
    try:
        note = hook()
    except Exception as exc:  # a hook must not turn Ctrl-C into a traceback
        note = f"could not finish ({type(exc).__name__}: {exc})"
    if note:
        _notes.append(note)


def main() -> None:
    # Ctrl-C ends the command at once, wherever it is: in an import, in a weakref callback of
    # the import machinery (where Python would swallow it), in typer, or in a command
    signal.signal(signal.SIGINT, _on_interrupt)
    _ignore_interrupts_once_the_exit_handlers_ran()
    # Start-up allocates hundreds of thousands of long-lived objects (modules, classes, typer's
    # command tree) and frees almost none: Python's collector would trace them again and again
    # (about a tenth of `innoproc advise CASE`). It is off until the command starts, and what
    # exists then is set apart from collection (`cli.app.main`).
    gc.disable()
    try:
        from innoproc.cli import app
        from innoproc.cli.lazy import commands_on_demand

        commands_on_demand()  # a command's module is imported when it runs
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
        _end_without_teardown(exc.code)
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


#: modules whose objects must be freed before the process ends: an open store is closed by its
#: destructor (RocksDB then writes no recovery work for the next command), a server's by its own
_TEARDOWN_NEEDED = ("pyoxigraph", "uvicorn")


def _end_without_teardown(code: object) -> None:
    """End the process with ``code`` once its output is flushed and its exit handlers have run,
    without Python freeing every module and object first; return (to end the usual way) when
    that is not safe.

    After ``innoproc advise CASE`` the interpreter spends 70 to 100 ms freeing what start-up
    built (modules, the ontology's terms, the rules, the RETE network), a fifth of the command,
    for nothing the user can see. What the end of a process must still do is done here: the
    output is flushed (a failure there ends the usual way, with its message), and the exit
    handlers run (``multiprocessing``'s, a coverage tool's, the one ignoring a late Ctrl-C).
    Objects' destructors do not run, so a process that may hold a store or a server, or runs a
    second thread, ends the usual way.
    """
    if code is None:
        status = 0
    elif isinstance(code, int) and not isinstance(code, bool) and 0 <= code <= 255:
        status = code
    else:
        return  # Python prints a text code and gives 1: its way
    if any(name in sys.modules for name in _TEARDOWN_NEEDED):
        return
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # written by an exit handler after the command ended: as Python would, ignored
    os._exit(status)


def _ignore_interrupts_once_the_exit_handlers_ran() -> None:
    """Let a Ctrl-C that comes while the interpreter tears itself down change nothing.

    Once the exit handlers have run, Python puts back the operating system's default for every
    signal that has a handler in Python, and then frees the modules and objects of the process
    (tens of milliseconds after a batch). A Ctrl-C in that window would kill the process by the
    signal (status -2 to its parent, seen on CI) after the command had done all its work and
    written all its output. Ignored signals stay ignored, so this handler, registered first and
    therefore run last of the exit handlers, ignores Ctrl-C from then on: the command ends with
    the status it gave. Until then (the exit handlers of ``multiprocessing`` joining workers,
    say) Ctrl-C still ends it with one line and 130.
    """
    global _exit_handler_registered
    if not _exit_handler_registered:  # once, however often main runs in one process
        atexit.register(signal.signal, signal.SIGINT, signal.SIG_IGN)
        _exit_handler_registered = True


_exit_handler_registered = False


def _on_interrupt(signum: int, frame: object) -> None:
    _interrupted()
    os._exit(INTERRUPTED)


def _interrupted() -> None:
    while _hooks:
        _run(_hooks.pop())
    quiet_stdout()
    print("innoproc: interrupted" + "".join(f"; {note}" for note in _notes), file=sys.stderr)
    _notes.clear()
    sys.stderr.flush()


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
