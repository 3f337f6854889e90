"""A bounded pool of query workers (:mod:`.worker`), each a child process that can be killed.

A request takes an idle worker (waiting at most the query time limit for one), sends the query
and waits for the answer until the limit; past it the worker is killed (SIGKILL: the query
stops at once, whatever Oxigraph is doing) and replaced, and the client gets HTTP 503. A worker
that dies for any other reason is replaced the same way. Workers are started when the pool is,
so the first query does not pay for starting Python.
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from .errors import Refused
from .worker import frame


@dataclass(frozen=True)
class Answer:
    """A worker's answer: the media type of ``body``, or a refusal."""

    media_type: str
    body: bytes


class _Worker:
    def __init__(self, location: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "innoproc.server.worker", location],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.ready = False

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(frame(data))
        self.process.stdin.flush()

    def receive(self, deadline: float) -> bytes:
        """One frame, or TimeoutError when ``deadline`` passes first."""
        head = self._read(4, deadline)
        return self._read(int.from_bytes(head, "big"), deadline)

    def _read(self, size: int, deadline: float) -> bytes:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        chunks = []
        while size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(size, 1 << 20))
            if not chunk:
                raise EOFError("the query worker ended")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class WorkerPool:
    """``size`` query workers on the store at ``location`` (a folder or a SPARQL server URL)."""

    def __init__(self, location: str, size: int, start_timeout: float = 60.0) -> None:
        self.location = location
        self.size = size
        self.start_timeout = start_timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self.location)
        with self._lock:
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            if self._closed:
                return
        self._idle.put(self._spawn())

    def run(self, request: dict[str, Any], timeout: float) -> Answer:
        """Answer ``request`` within ``timeout`` seconds (waiting for a free worker included)."""
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise Refused(
                503,
                "server/busy",
                f"every query worker stayed busy for {timeout:g} s; try again later",
            ) from None
        try:
            if not worker.ready:  # its first frame says it has started
                worker.receive(time.monotonic() + self.start_timeout)
                worker.ready = True
            worker.send(json.dumps(request).encode())
            header = json.loads(worker.receive(deadline))
            body = worker.receive(deadline)
        except TimeoutError:
            self._retire(worker)
            raise Refused(
                503,
                "server/timeout",
                f"the query ran longer than the server's limit of {timeout:g} s and was "
                "stopped; narrow it or ask for fewer results",
            ) from None
        except (EOFError, OSError, ValueError) as exc:
            self._retire(worker)
            raise Refused(500, "server/worker", f"the query worker failed: {exc}") from None
        self._idle.put(worker)
        if not header.get("ok"):
            raise Refused(int(header["status"]), str(header["code"]), str(header["message"]))
        return Answer(str(header["media_type"]), body)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()
