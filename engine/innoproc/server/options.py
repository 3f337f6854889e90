"""The server's limits and their defaults, each overridable from ``innoproc serve``.

The defaults are generous for the library's real queries (the saved queries answer in well under
a second with at most a few thousand rows) and small enough that one client cannot hold the
machine: a request body of 1 MB holds a case of 1-5 KB or a query of a few KB many times over.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_MAX_BODY_BYTES = 1_000_000
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class ServerOptions:
    """How the server runs: the store, the limits, and how many queries run at once."""

    store: str
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_rows: int = DEFAULT_MAX_ROWS
    workers: int = 0  # 0: one per core

    @property
    def worker_count(self) -> int:
        return self.workers or max(1, min(os.cpu_count() or 1, 8))
