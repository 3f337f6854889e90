"""Read an input file as text, or refuse it: the file-level half of the reading policy.

Only a regular file is read (never a FIFO, a device or a folder), only up to the size limit
(checked before reading, then enforced while reading), only as UTF-8, and only when it holds no
control characters but tab and line breaks. Inside a folder (a knowledge base), a symbolic link
that leads out of the folder is refused without being followed. A refusal is an
:class:`~innoproc.errors.InputError` whose problem names the file and, where there is one, the
line; it never quotes the file's content.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from innoproc.errors import InputError, Problem

from .limits import Limits, current_limits, over_limit

#: C0 controls but tab, line feed and carriage return; DEL; C1 controls
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: halves of a surrogate pair standing alone: not valid Unicode, and not writable as UTF-8
SURROGATE = re.compile("[\ud800-\udfff]")
#: the ASCII characters CONTROL does not match
_ALLOWED_ASCII = bytes(c for c in range(128) if not CONTROL.match(chr(c)))


def _refuse(source: str, message: str, code: str, line: int | None = None) -> InputError:
    return InputError([Problem(source, message, line, code=code)])


def read_text(path: Path, limits: Limits | None = None, folder: Path | None = None) -> str:
    """The text of ``path``, or an :class:`InputError` saying why it cannot be read.

    ``folder``, when given, is the folder the file was found in: a file that resolves outside
    it (through a symbolic link) is refused.
    """
    limits = limits or current_limits()
    source = str(path)
    try:
        info = os.stat(path)  # follows links: what would be read
    except FileNotFoundError:
        raise _refuse(source, "no such file", "input/not-a-file") from None
    except OSError as exc:
        raise _refuse(source, f"cannot be read ({exc.strerror})", "input/unreadable") from None
    if folder is not None and not _inside(path, folder):
        raise _refuse(
            source,
            f"leads outside the folder {folder} (a symbolic link); allowed: files inside it",
            "input/outside-folder",
        )
    if stat.S_ISDIR(info.st_mode):
        raise _refuse(source, "is a folder; expected a file", "input/not-regular-file")
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(
            source,
            "is not a regular file (a pipe, socket or device); allowed: a regular file",
            "input/not-regular-file",
        )
    if info.st_size > limits.max_file_bytes:
        raise _too_large(source, info.st_size, limits)
    try:
        with open(path, "rb") as handle:
            # as much as the file held when looked at, and one byte more to see if it grew: a
            # buffer of the size limit would cost more than reading a small file
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:
                data += handle.read(limits.max_file_bytes + 1 - len(data))
    except OSError as exc:
        raise _refuse(source, f"cannot be read ({exc.strerror})", "input/unreadable") from None
    if len(data) > limits.max_file_bytes:  # it grew while we looked
        raise _too_large(source, len(data), limits)
    return decode(data, source)


def _too_large(source: str, size: int, limits: Limits) -> InputError:
    return _refuse(
        source,
        over_limit(limits, "max_file_bytes", f"{size:,} bytes"),
        "input/too-large",
    )


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def decode(data: bytes, source: str) -> str:
    """UTF-8 text without control characters (a UTF-8 byte-order mark is dropped)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(source, "found UTF-16 text; allowed: UTF-8", "input/encoding")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _refuse(
            source,
            f"found a byte that is not UTF-8 (0x{data[exc.start]:02x}); allowed: UTF-8 text",
            "input/encoding",
            line,
        ) from None
    text = text.removeprefix("\ufeff")
    check_controls(text, source)
    return text


def check_controls(text: str, source: str, key: str | None = None) -> None:
    """Refuse text holding a control character other than tab and line breaks."""
    # ASCII text is checked by taking out what is allowed (a tenth of the time of the search);
    # the search finds the character when there is one, and checks any other text
    if text.isascii() and not text.encode().translate(None, _ALLOWED_ASCII):
        return
    found = CONTROL.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1 if key is None else None
        raise InputError(
            [
                Problem(
                    source,
                    f"found control character U+{ord(found.group()):04X}; allowed: text "
                    "without control characters (tab and line breaks are fine)",
                    line,
                    key,
                    code="input/control-character",
                )
            ]
        )
