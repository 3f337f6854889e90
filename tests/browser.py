"""A real headless Chromium driven over the DevTools protocol, for tests that load pages.

One browser is started for many pages (a browser per page would cost seconds each): commands go
as JSON over the pipe Chromium opens with ``--remote-debugging-pipe`` (it reads fd 3, writes fd
4). For each page the test gets the values a script computed in the loaded DOM, a PNG
screenshot, and every URL the page asked the network layer for, which is how "loads nothing
from the internet" is checked rather than assumed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
#: what a test says when it cannot run
NO_BROWSER = f"{CHROMIUM} is not installed (Debian package chromium): no browser check"


def _high(fd: int) -> int:
    """``fd`` moved to a number above 9, so that making the child's 3 and 4 overwrites none."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


@dataclass
class Loaded:
    """One page as the browser loaded it."""

    values: Any
    screenshot: bytes
    requests: list[str] = field(default_factory=list)


class Browser:
    """A headless Chromium; ``load`` opens a page in a fresh tab and closes it after."""

    def __init__(self, width: int = 1280, height: int = 1600, timeout: float = 60.0):
        self.width, self.height, self.timeout = width, height, timeout
        self._profile = tempfile.mkdtemp(prefix="innoproc-chromium-")
        to_browser_r, self._to_browser = (_high(fd) for fd in os.pipe())
        self._from_browser, from_browser_w = (_high(fd) for fd in os.pipe())

        def plumb() -> None:  # in the child: the pipe ends become fds 3 and 4 (inheritable)
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self._process = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={self._profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            # Python's own fds are not inheritable (PEP 446): only 3 and 4 reach Chromium
            close_fds=False,
            preexec_fn=plumb,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    # -- the protocol ---------------------------------------------------------------------
    def _send(self, method: str, params: dict[str, Any] | None = None,
              session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self._events.append(reply)

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], self.timeout)
            if not ready:
                raise RuntimeError(f"chromium did not answer within {self.timeout:g} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        found: dict[str, Any] = json.loads(message)
        return found

    def _wait_for(self, method: str, session: str) -> dict[str, Any]:
        while True:
            for index, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self._events.pop(index)
            self._events.append(self._receive())

    # -- pages ----------------------------------------------------------------------------
    def load(self, url: str, script: str) -> Loaded:
        """Open ``url``, wait for its load event, evaluate ``script`` (an expression whose
        value is returned as JSON) and take a screenshot of the viewport."""
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        try:
            self._send("Network.enable", {}, session)
            self._send("Page.enable", {}, session)
            self._send(
                "Emulation.setDeviceMetricsOverride",
                {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                 "mobile": False},
                session,
            )
            self._events.clear()
            self._send("Page.navigate", {"url": url}, session)
            self._wait_for("Page.loadEventFired", session)
            evaluated = self._send(
                "Runtime.evaluate",
                {"expression": script, "returnByValue": True},
                session,
            )
            if "exceptionDetails" in evaluated:
                raise RuntimeError(f"the page script failed: {evaluated['exceptionDetails']}")
            shot = self._send("Page.captureScreenshot", {"format": "png"}, session)
            requests = [
                e["params"]["request"]["url"]
                for e in self._events
                if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == session
            ]
            return Loaded(
                evaluated["result"].get("value"), base64.b64decode(shot["data"]), requests
            )
        finally:
            self._send("Target.closeTarget", {"targetId": target})
            self._events = [e for e in self._events if e.get("sessionId") != session]

    def close(self) -> None:
        try:
            self._send("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)
