"""Refusals of the server: each one an HTTP status, a stable code and one line for the client.

Kept apart from the Starlette application so the query worker (a child process that loads
neither Starlette nor the engine) raises the same refusals as the application does.
"""

from __future__ import annotations

from innoproc.errors import InnoprocError


class Refused(InnoprocError):
    """A request the server will not carry out; ``status`` is the HTTP status it answers."""

    code = "server/refused"

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad_query(message: str) -> Refused:
    return Refused(400, "server/bad-query", message)


def update_refused(what: str = "a SPARQL update") -> Refused:
    return Refused(
        403,
        "server/update",
        f"the request is {what}; this endpoint is read-only (SELECT, ASK, CONSTRUCT, DESCRIBE); "
        "change the library with `innoproc store ...`",
    )


def load_refused() -> Refused:
    return Refused(
        403,
        "server/load",
        "the request uses LOAD; this endpoint is read-only and fetches nothing on behalf of a "
        "client",
    )


def service_refused() -> Refused:
    return Refused(
        403,
        "server/service",
        "the query uses SERVICE; this endpoint sends no request to another server on behalf of "
        "a client; run the federated query from your own machine",
    )
