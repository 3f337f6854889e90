"""The HTTP application: a read-only SPARQL 1.1 Protocol endpoint and ``POST /advise``.

Routes:

- ``GET /sparql?query=...`` and ``POST /sparql`` (a form with ``query=``, or the query itself as
  ``application/sparql-query``), with ``default-graph-uri`` and ``named-graph-uri``; the answer's
  format by ``Accept`` (or ``format=``). Updates (``update=``, ``application/sparql-update`` or
  update text as a query), ``LOAD`` and ``SERVICE`` are refused with 403. Queries run in killable
  worker processes (:mod:`.pool`) under the time limit.
- ``POST /advise``: one case in the case form (YAML or JSON by ``Content-Type``), answered with
  the JSON contract of ``innoproc advise --format json``; nothing is stored. A case with
  problems gets 422 and the problems, each as the line ``innoproc validate`` prints.
- ``GET /``: what the server offers and its limits, as JSON.

Every refusal is one line of text (the ``X-Innoproc-Code`` header gives its stable code).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .errors import Refused, update_refused
from .options import ServerOptions
from .pool import WorkerPool

if TYPE_CHECKING:
    from innoproc.explain import KnowledgeBase

_FORM = "application/x-www-form-urlencoded"
_QUERY = "application/sparql-query"
_UPDATE = "application/sparql-update"
_YAML = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
_JSON = ("application/json",)


def create_app(options: ServerOptions, kb: KnowledgeBase | None = None) -> Starlette:
    """The application for ``options``; its query workers start and stop with it (lifespan)."""
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from innoproc.explain import default_kb

        state["kb"] = kb or await anyio.to_thread.run_sync(default_kb)
        state["pool"] = await anyio.to_thread.run_sync(
            WorkerPool, options.store, options.worker_count
        )
        state["advising"] = anyio.CapacityLimiter(options.worker_count)
        try:
            yield
        finally:
            state["pool"].close()

    async def index(request: Request) -> Response:
        return JSONResponse(
            {
                "sparql": str(request.url_for("sparql")),
                "advise": str(request.url_for("advise")),
                "read_only": True,
                "limits": {
                    "max_body_bytes": options.max_body_bytes,
                    "timeout_s": options.timeout_s,
                    "max_rows": options.max_rows,
                    "workers": options.worker_count,
                },
            }
        )

    async def sparql(request: Request) -> Response:
        query, default_graphs, named_graphs, named_format = await _protocol_request(
            request, options
        )
        job = {
            "query": query,
            "accept": request.headers.get("accept"),
            "format": named_format,
            "max_rows": options.max_rows,
            "default_graphs": default_graphs,
            "named_graphs": named_graphs,
        }
        pool: WorkerPool = state["pool"]
        answer = await anyio.to_thread.run_sync(pool.run, job, options.timeout_s)
        return Response(answer.body, media_type=answer.media_type, headers={"Vary": "Accept"})

    async def advise(request: Request) -> Response:
        syntax = _case_syntax(request.headers.get("content-type"))
        body = await _body(request, options.max_body_bytes)
        knowledge: KnowledgeBase = state["kb"]
        result = await anyio.to_thread.run_sync(
            _advise, knowledge, body, syntax, limiter=state["advising"]
        )
        if isinstance(result, list):
            return JSONResponse({"problems": result}, status_code=422)
        return Response(result, media_type="application/json")

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/sparql", sparql, methods=["GET", "POST"], name="sparql"),
            Route("/advise", advise, methods=["POST"], name="advise"),
        ],
        exception_handlers={Refused: _refused},  # type: ignore[dict-item]
        lifespan=lifespan,
    )
    return app


async def _refused(request: Request, exc: Refused) -> Response:
    return PlainTextResponse(
        exc.message + "\n", status_code=exc.status, headers={"X-Innoproc-Code": exc.code}
    )


def _media_type(header: str | None) -> str:
    return (header or "").split(";")[0].strip().lower()


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> Refused:
    return Refused(
        413,
        "server/too-large",
        f"the request body is larger than the server's limit of {limit:,} bytes",
    )


async def _protocol_request(
    request: Request, options: ServerOptions
) -> tuple[str, list[str], list[str], str | None]:
    """The query text, the dataset and the format named (``format=``) of a SPARQL 1.1
    Protocol request."""
    params = request.query_params
    if "update" in params:
        raise update_refused("an update (update=)")
    query_values = params.getlist("query")
    default_graphs = params.getlist("default-graph-uri")
    named_graphs = params.getlist("named-graph-uri")
    named_format = params.get("format")
    if request.method == "POST":
        media = _media_type(request.headers.get("content-type"))
        body = await _body(request, options.max_body_bytes)
        if media == _UPDATE:
            raise update_refused("an update (application/sparql-update)")
        if media == _QUERY:
            query_values.append(_text(body, "the query"))
        elif media == _FORM:
            from urllib.parse import parse_qs

            try:
                form = parse_qs(_text(body, "the form"), keep_blank_values=True)
            except ValueError as exc:
                raise Refused(
                    400, "server/bad-request", f"the form cannot be read: {exc}"
                ) from None
            if "update" in form:
                raise update_refused("an update (update=)")
            query_values += form.get("query", [])
            default_graphs += form.get("default-graph-uri", [])
            named_graphs += form.get("named-graph-uri", [])
            named_format = named_format or next(iter(form.get("format", [])), None)
        else:
            raise Refused(
                415,
                "server/media-type",
                f"found Content-Type {media or 'none'!r}; allowed: {_QUERY}, or {_FORM} with "
                "query=",
            )
    if len(query_values) != 1:
        raise Refused(
            400,
            "server/bad-request",
            f"found {len(query_values)} query parameters; allowed: exactly one query "
            "(GET ?query=, or POST)",
        )
    if len(query_values[0]) > options.max_body_bytes:
        raise _too_large(options.max_body_bytes)
    return query_values[0], default_graphs, named_graphs, named_format


def _text(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "server/bad-request", f"{what} is not UTF-8 text") from None


def _case_syntax(content_type: str | None) -> str:
    media = _media_type(content_type)
    if media in _YAML:
        return "yaml"
    if media in _JSON:
        return "json"
    raise Refused(
        415,
        "server/media-type",
        f"found Content-Type {media or 'none'!r}; allowed: application/yaml or "
        "application/json (a case in the case form)",
    )


def _advise(kb: KnowledgeBase, body: bytes, syntax: str) -> str | list[dict[str, Any]]:
    """The advice as the JSON contract, or the case's problems."""
    from innoproc.case import load_case_text
    from innoproc.errors import InputError
    from innoproc.export import export
    from innoproc.reading.files import decode

    source = "request"
    try:
        case = load_case_text(decode(body, source), syntax, source, kb.vocabulary)
    except InputError as exc:
        return [
            {
                "message": str(problem),
                "code": problem.code,
                "line": problem.line,
                "key": problem.key,
            }
            for problem in exc.problems
        ]
    return export(kb.advise(case), "json")
