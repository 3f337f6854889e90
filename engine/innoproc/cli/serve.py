"""``innoproc serve``: the store as a read-only SPARQL endpoint, and ``POST /advise``."""

from __future__ import annotations

from typing import Annotated

import typer

from innoproc.server.options import (
    DEFAULT_HOST,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT_S,
)

from .app import KbOption, app, err, guarded, load_kb
from .store import StoreOption

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@app.command()
@guarded
def serve(
    store: StoreOption = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless you say so).")
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = DEFAULT_PORT,
    kb: KbOption = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.1, help="Seconds a query may run before it is stopped."),
    ] = DEFAULT_TIMEOUT_S,
    max_rows: Annotated[
        int,
        typer.Option("--max-rows", min=1, help="Rows (or triples) an answer may hold."),
    ] = DEFAULT_MAX_ROWS,
    max_body: Annotated[
        int,
        typer.Option("--max-body", min=1, help="Bytes a request body (query or case) may hold."),
    ] = DEFAULT_MAX_BODY_BYTES,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Queries run at once (default: one per core)."),
    ] = None,
) -> None:
    """Serve the store read-only: SPARQL 1.1 Protocol at /sparql, advice on a posted case at
    /advise. Updates, LOAD and SERVICE are refused; stop it with Ctrl-C."""
    import uvicorn

    from innoproc.server.app import create_app
    from innoproc.server.options import ServerOptions
    from innoproc.server.worker import check_store
    from innoproc.store.library import default_location

    location = store or default_location()
    check_store(location)
    knowledge = load_kb(kb)
    options = ServerOptions(
        store=location,
        max_body_bytes=max_body,
        timeout_s=timeout,
        max_rows=max_rows,
        workers=workers or 0,
    )
    if host not in _LOOPBACK:
        err(f"innoproc serve: listening on {host}: anyone who can reach it can query the store")
    err(f"innoproc serve: {location} at http://{host}:{port}/sparql (Ctrl-C stops it)")
    uvicorn.run(create_app(options, knowledge), host=host, port=port, log_level="warning")
