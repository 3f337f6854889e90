"""A knowledge base named on the command line: a folder, or the ``kb/`` folder of a git revision.

Reviewing a KB change means comparing the KB before and after it, and "before" is usually not on
disk: it is ``HEAD~1``, ``main`` or a commit. A revision's ``kb/`` is read straight from git's
object store (``git ls-tree`` and ``git cat-file``) into a temporary folder, so the work tree,
the index and the branches of the repository are never touched, and nothing in the repository's
attributes (``export-ignore``, ``export-subst``) alters what is read, as ``git archive`` would.
Git runs from the current folder, always with a list of arguments and never through a shell; a
revision is resolved to its commit before anything else is asked, so text that looks like an
option never reaches git as one.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path, PurePath, PurePosixPath

from innoproc.errors import InputError, Problem

#: where a revision keeps its knowledge base, from the repository's root
KB_PATH = "kb"
_REGULAR_FILE_MODES = {b"100644", b"100755"}
#: git reads the repository without taking the optional locks that refresh the index
_GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}


class RevisionError(InputError):
    """An argument that is neither a KB folder nor a revision with a ``kb/`` folder."""

    code = "input/revision"


@dataclass(frozen=True)
class KbSource:
    """A KB folder ready to load, and how the report names it and the files in it.

    ``checkout`` is set for a revision: the work tree of its repository, where a path written in
    the KB that leads out of ``kb/`` (a scenario's ``../../cases/x.yaml``) is read, since the
    temporary folder holds the revision's ``kb/`` only.
    """

    folder: Path
    label: str
    prefix: str
    checkout: Path | None = None

    def _inside(self, path: str | Path) -> PurePath | None:
        """``path`` relative to the KB folder, or None when it is not in the folder."""
        try:
            return Path(os.path.abspath(path)).relative_to(os.path.abspath(self.folder))
        except ValueError:
            return None

    def relative(self, path: str | Path) -> str:
        """``path`` relative to the KB folder (as given if it is not in the folder)."""
        inside = self._inside(path)
        return str(path) if inside is None else inside.as_posix()

    def holds(self, path: str | Path) -> bool:
        """Whether ``path`` is a file of this KB (in its folder)."""
        return self._inside(path) is not None

    def show(self, path: str | Path) -> str:
        """How the report names a file of this KB: ``kb-new/rules/x.yaml``, ``HEAD~1:kb/...``."""
        inside = self._inside(path)
        return str(path) if inside is None else self.prefix + inside.as_posix()

    def read_from(self, path: Path) -> Path:
        """Where a path written in the KB (already joined to its file's folder) is read."""
        path = Path(os.path.normpath(path))
        if self.checkout is None or self.holds(path):
            return path
        return self.checkout / os.path.relpath(path, self.folder.parent)

    def relabel(self, problems: list[Problem]) -> list[Problem]:
        """Problems of a revision's KB named by revision and path, not by the temporary folder."""
        if self.checkout is None:
            return problems
        return [replace(p, source=self.show(p.source)) for p in problems]


def kb_source(argument: str, scratch: Path) -> KbSource:
    """The KB an argument names: an existing folder is a folder; anything else a revision,
    whose ``kb/`` is written under ``scratch`` (which the caller removes)."""
    if Path(argument).is_dir():
        return KbSource(Path(argument), argument, argument.rstrip("/") + "/")
    return revision_kb(argument, scratch)


def repository_root(where: Path | None = None) -> Path | None:
    """The work tree root of the git repository holding ``where`` (default: the current folder),
    or None when there is none or git is not installed."""
    try:
        done = _git(["rev-parse", "--show-toplevel"], where)
    except FileNotFoundError:
        return None
    return Path(os.fsdecode(done.stdout.strip())) if done.returncode == 0 else None


def revision_kb(revision: str, scratch: Path) -> KbSource:
    """The revision's ``kb/`` folder, written to ``scratch/kb``."""
    root = repository_root()
    if root is None:
        raise _refuse(
            revision,
            f"not a KB folder, and {Path.cwd()} is not in a git repository to read it as a "
            "revision from (or git is not installed)",
        )
    commit = _commit(revision, root)
    if commit is None:
        raise _refuse(
            revision, f"not a KB folder, and no such revision in the git repository at {root}"
        )
    folder = scratch / KB_PATH
    _extract(revision, commit, root, folder)
    return KbSource(folder, f"{revision} ({commit[:12]})", f"{revision}:{KB_PATH}/", root)


def _commit(revision: str, root: Path) -> str | None:
    if not revision or revision.startswith("-"):
        return None
    done = _git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], root
    )
    return done.stdout.decode().strip() if done.returncode == 0 else None


def _extract(revision: str, commit: str, root: Path, folder: Path) -> None:
    """Write every file of the commit's ``kb/`` under ``folder``; only regular files."""
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", commit, "--", KB_PATH], root)
    files: list[tuple[PurePosixPath, str]] = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, raw_path = entry.split(b"\t", 1)
        mode, _kind, blob = meta.split()
        path = PurePosixPath(os.fsdecode(raw_path))
        if path.parts[:1] != (KB_PATH,) or len(path.parts) < 2:
            continue
        if mode not in _REGULAR_FILE_MODES:
            raise _refuse(
                f"{revision}:{path}",
                "is a link or a submodule; a KB read from a revision holds regular files only",
            )
        if any(part in ("", ".", "..") for part in path.parts):
            raise _refuse(f"{revision}:{path}", "has a path that leaves the kb/ folder")
        files.append((PurePosixPath(*path.parts[1:]), blob.decode()))
    if not files:
        raise _refuse(revision, f"revision {commit[:12]} has no {KB_PATH}/ folder")
    contents = _blobs([oid for _, oid in files], root)
    for relative, oid in files:
        target = folder.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(contents[oid])


def _blobs(oids: list[str], root: Path) -> dict[str, bytes]:
    """The content of each blob, read in one ``git cat-file --batch``."""
    done = _git(["cat-file", "--batch"], root, "".join(f"{oid}\n" for oid in oids).encode())
    out, at, found = done.stdout, 0, {}
    for oid in oids:
        header_end = out.index(b"\n", at)
        header = out[at:header_end].split()
        size = int(header[2])
        found[oid] = out[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1  # the content is followed by a line feed
    return found


def _git(
    args: list[str], cwd: Path | None, given: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=given,
        capture_output=True,
        check=False,
        env={**os.environ, **_GIT_ENV},
    )


def _refuse(source: str, message: str) -> RevisionError:
    return RevisionError([Problem(source, message, code=RevisionError.code)])
