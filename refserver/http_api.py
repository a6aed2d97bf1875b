"""The REST face of the reference server: a Starlette app over ``ContextService``.

Paths, fields and status codes follow ``shared/context-server-api.md``; every error is JSON
``{"error": ..., "status": "error"}``. Beyond the contract, ``GET /_faults`` reports what the
fault injector did (a testing aid; production servers don't have it).

Routing behaves like the production server's Flask/Werkzeug, not like Starlette's defaults:

* no trailing-slash redirects: ``/ctx/all/`` is 404, not a 307 to ``/ctx/all``;
* 405 answers carry an ``Allow`` header listing every method of the path;
* ``OPTIONS`` on a path that exists answers 200 with that ``Allow`` header;
* a repeated query parameter means its first value (``?key=a&key=b`` reads ``a``).

Usage::

    app = create_rest_app(service, broadcaster, max_body=1_048_576)
"""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from refserver import dumps, jsonio
from refserver.realtime import Broadcaster
from refserver.service import ContextService
from refserver.validation import ValidationError, check_dump_filename

DASHBOARD = (Path(__file__).parent / "dashboard.html").read_text(encoding="utf-8")


def json_response(body: dict, status: int = 200, background: BackgroundTask | None = None) -> Response:
    return Response(jsonio.dumps(body), status_code=status, media_type="application/json", background=background)


def error_response(message: str, status: int, headers: dict | None = None) -> Response:
    response = json_response({"error": message, "status": "error"}, status)
    if headers:
        response.headers.update(headers)
    return response


def first(params: QueryParams, name: str) -> str | None:
    """The first value of a query parameter, as Flask/Werkzeug reads it (Starlette's ``get`` takes the last)."""
    values = params.getlist(name)
    return values[0] if values else None


def first_values(params: QueryParams) -> dict[str, str]:
    """Every query parameter with its first value."""
    fields: dict[str, str] = {}
    for name, value in params.multi_items():
        fields.setdefault(name, value)
    return fields


Handler = Callable[[Request], Awaitable[Response]]


def by_method(handlers: dict[str, Handler]) -> tuple[Handler, list[str]]:
    """One endpoint for a path served by several methods, plus ``OPTIONS``, as Flask routes it.

    Returns the endpoint and its methods; one ``Route`` per path makes a 405's ``Allow`` list
    every method of the path, not only those of the first route that matched.
    """
    methods = {*handlers, "OPTIONS"} | ({"HEAD"} if "GET" in handlers else set())
    allow = ", ".join(sorted(methods))

    async def endpoint(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=200, headers={"Allow": allow})
        try:
            return await handlers["GET" if request.method == "HEAD" else request.method](request)
        except ClientDisconnect:  # the client left mid-body (a load test stopping): nobody to answer, no traceback
            return Response(status_code=400)

    return endpoint, sorted(methods)


def _is_json(request: Request) -> bool:
    """Flask's rule: application/json or application/*+json."""
    mimetype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ValidationError(f"request body over {limit} bytes", status=413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ValidationError(f"request body over {limit} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


async def _json_object(request: Request, limit: int) -> dict:
    body = await _read_body(request, limit)
    try:
        payload = jsonio.loads(body)
    except ValueError:
        raise ValidationError("malformed JSON body") from None
    if not isinstance(payload, dict):
        raise ValidationError("body must be a JSON object")
    return payload


def create_rest_app(service: ContextService, broadcaster: Broadcaster, max_body: int) -> Starlette:
    async def dashboard(request: Request) -> Response:
        return HTMLResponse(DASHBOARD)

    async def read_key(request: Request) -> Response:
        key = first(request.query_params, "key")
        if not key:
            return error_response("query parameter 'key' is required", 400)
        return json_response(service.read(key))

    async def write_key(request: Request) -> Response:
        if not _is_json(request):
            return error_response("Content-Type must be application/json", 400)
        try:
            result = service.write(await _json_object(request, max_body), default_who="api_client")
        except ValidationError as exc:
            return error_response(str(exc), exc.status)
        # Acknowledge first, then push: subscribers never hear of a write before its writer does.
        return json_response(result.response, background=BackgroundTask(broadcaster.context_updated, result.update))

    async def read_all(request: Request) -> Response:
        return json_response(service.read_all())

    async def history(request: Request) -> Response:
        params = request.query_params
        return json_response(service.history(first(params, "key"), first(params, "who")))

    async def dump(request: Request) -> Response:
        try:
            fields = await _json_object(request, max_body) if _is_json(request) else first_values(request.query_params)
            response = await service.dump(fields)
        except ValidationError as exc:
            return error_response(str(exc), exc.status)
        update = {key: response[key] for key in ("filename", "format", "who", "key_count", "timestamp")}
        return json_response(response, background=BackgroundTask(broadcaster.to_all, "context_dumped", update))

    async def list_dumps(request: Request) -> Response:
        return json_response(await service.list_dumps())

    async def download(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            path = service.dump_dir / check_dump_filename(name)
        except ValidationError:
            return error_response("Dump file not found", 404)
        found = await asyncio.to_thread(dumps.regular_file_stat, path)
        if found is None:  # absent, or a link, folder or device: only files the server wrote are served
            return error_response("Dump file not found", 404)
        return FileResponse(path, media_type=dumps.content_type(name), filename=name, stat_result=found)

    async def fault_counts(request: Request) -> Response:
        return json_response({"status": "success", **service.faults.counts})

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return error_response(exc.detail, exc.status_code, exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        return error_response(f"internal error: {type(exc).__name__}", 500)

    paths: dict[str, dict[str, Handler]] = {
        "/": {"GET": dashboard},
        "/ctx": {"GET": read_key, "POST": write_key},
        "/ctx/all": {"GET": read_all},
        "/ctx/history": {"GET": history},
        "/ctx/dump": {"POST": dump},
        "/ctx/dump/list": {"GET": list_dumps},
        "/ctx/dump/{name}": {"GET": download},
        "/_faults": {"GET": fault_counts},
    }
    routes = []
    for path, handlers in paths.items():
        endpoint, methods = by_method(handlers)
        routes.append(Route(path, endpoint, methods=methods))
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})
    app.router.redirect_slashes = False  # Flask answers /ctx/all/ with 404, not a redirect
    return app
