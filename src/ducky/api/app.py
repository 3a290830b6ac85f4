"""The FastAPI app: audiences over one engine connection kept for the app's lifetime.

Request bodies are read and parsed here rather than by FastAPI so that one endpoint accepts
both the v1 spec and the seed's flat payload, the size limit applies before any parsing, and
every problem comes back as {"error", "problems": [{"path", "message"}]} with a 4xx status.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from ducky.api.body import BodyTooLarge, read_body
from ducky.api.models import AudiencePage, ErrorOut, ExampleOut, ExplainOut, HealthOut
from ducky.audience.budget import SpecTooComplex
from ducky.audience.parse import Parsed, Problem, SpecError, parse_json
from ducky.audience.service import ServerBusy
from ducky.errors import DuckyError, QueryOutOfMemory, QueryTimeout, UserError
from ducky.version import __version__

if TYPE_CHECKING:
    from ducky.audience.service import AudienceService
    from ducky.datasets import DataDir

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "malformed JSON"},
    413: {
        "model": ErrorOut,
        "description": "body larger than the limit, or spec over the "
        "complexity budget (nodes, sequences, passes over events)",
    },
    422: {"model": ErrorOut, "description": "invalid spec: path and reason of each problem"},
    503: {
        "model": ErrorOut,
        "description": "every query slot busy, or the query timed out or hit the memory limit",
    },
}
BODY_SCHEMA = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "anyOf": [
                    {"$ref": "#/components/schemas/AudienceSpec"},
                    {"$ref": "#/components/schemas/LegacyPayload"},
                ]
            }
        }
    },
}


def error_response(
    status: int, message: str, problems: list[Problem] | None = None
) -> JSONResponse:
    from ducky.redact import redact

    # an engine error may quote its DSN: never hand a password to an API client
    body = {"error": redact(message), "problems": [p.to_dict() for p in problems or []]}
    return JSONResponse(body, status_code=status)


async def read_spec(request: Request) -> Parsed:
    """Read at most MAX_BODY bytes and parse them as a v1 spec or a seed payload."""
    return parse_json(await read_body(request))


def _open_service(datadir: DataDir, engine: str, options: dict[str, Any]) -> AudienceService:
    from ducky.audience.service import AudienceService
    from ducky.engines import open_engine

    datadir.validate(deep=False)
    eng = open_engine(engine, datadir, **options)
    eng.connect()
    eng.load()
    return AudienceService(eng)


def create_app(
    datadir: DataDir | str | os.PathLike[str], engine: str = "duckdb", **engine_options: Any
) -> FastAPI:
    """The audience API over `datadir` on `engine` (opened now, closed at shutdown)."""
    from ducky.datasets import DataDir

    dd = datadir if isinstance(datadir, DataDir) else DataDir(Path(datadir))
    service = _open_service(dd, engine, engine_options)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            service.engine.close()

    app = FastAPI(
        title="ducky audience API",
        version=__version__,
        description="Describe an audience in JSON (v1 spec or the DuckMart seed's flat "
        "payload); ducky compiles it to SQL for the engine and returns the users. "
        "See docs/AUDIENCE.md.",
        lifespan=lifespan,
    )
    app.state.service = service

    @app.exception_handler(SpecError)
    async def _spec_error(request: Request, exc: SpecError) -> JSONResponse:
        malformed = any(
            p.message.startswith(("malformed JSON", "JSON nested")) for p in exc.problems
        )
        return error_response(400 if malformed else 422, str(exc), exc.problems)

    @app.exception_handler(SpecTooComplex)
    async def _too_complex(request: Request, exc: SpecTooComplex) -> JSONResponse:
        return error_response(413, str(exc), exc.problems)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return error_response(413, str(exc))

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError) -> JSONResponse:
        return error_response(422, str(exc))

    @app.exception_handler(ServerBusy)
    async def _busy(request: Request, exc: ServerBusy) -> JSONResponse:
        return error_response(503, str(exc))

    # A query past its timeout or its memory limit: the limit did its job, a resource answer
    # (retry later or with other settings), not a server fault.
    @app.exception_handler(QueryTimeout)
    @app.exception_handler(QueryOutOfMemory)
    async def _limit_reached(request: Request, exc: DuckyError) -> JSONResponse:
        return error_response(503, str(exc))

    @app.exception_handler(DuckyError)
    async def _engine_error(request: Request, exc: DuckyError) -> JSONResponse:
        # the engine failed on a valid spec: a server fault, reported without a traceback
        return error_response(500, str(exc))

    @app.post(
        "/audiences/query",
        response_model=AudiencePage,
        responses=ERRORS,
        openapi_extra={"requestBody": BODY_SCHEMA},
        summary="Users matching an audience spec (one page, or only the count)",
    )
    async def query(request: Request) -> AudiencePage:
        parsed = await read_spec(request)
        result = await run_in_threadpool(service.query, parsed.spec)
        from ducky.tabular import jsonable

        users = [{k: jsonable(v) for k, v in u.items()} for u in result.users]
        return AudiencePage(
            legacy=parsed.legacy,
            as_of=result.as_of,
            total_count=result.total_count,
            count=len(users),
            user_ids=result.user_ids,
            users=users,
            next_cursor=result.next_cursor,
            spec=parsed.spec.model_dump(mode="json", exclude_none=True),
            seconds=round(result.seconds, 6),
        )

    @app.post(
        "/audiences/explain",
        response_model=ExplainOut,
        responses=ERRORS,
        openapi_extra={"requestBody": BODY_SCHEMA},
        summary="The generated SQL and how many users each node of the spec keeps",
    )
    async def explain(request: Request) -> ExplainOut:
        parsed = await read_spec(request)
        ex = await run_in_threadpool(service.explain, parsed.spec)
        return ExplainOut(
            legacy=parsed.legacy,
            as_of=ex.as_of,
            sql=ex.sql,
            dialect=service.dialect,
            total_count=ex.total_count,
            nodes=[n.__dict__ for n in ex.nodes],  # type: ignore[misc]
            spec=parsed.spec.model_dump(mode="json", exclude_none=True),
            seconds=round(ex.seconds, 6),
        )

    @app.get("/audiences/examples", response_model=list[ExampleOut], summary="Example specs")
    async def examples() -> list[ExampleOut]:
        from ducky.audience.examples import EXAMPLES

        return [ExampleOut(name=k, **v) for k, v in EXAMPLES.items()]

    @app.get("/audiences/schema", summary="JSON Schema of the v1 audience spec")
    async def schema() -> dict[str, Any]:
        from ducky.audience.spec import json_schema

        return json_schema()

    @app.get("/health", response_model=HealthOut, summary="Liveness and the engine in use")
    async def health() -> HealthOut:
        end = await run_in_threadpool(service.end_of_data)
        return HealthOut(
            status="ok",
            engine=service.engine.name,
            dialect=service.dialect,
            version=__version__,
            end_of_data=end,
        )

    from ducky.api.seed004 import router as seed004_router

    app.include_router(seed004_router(service))  # seed 004's own POST /segment, GET /examples
    app.openapi = _openapi_with_specs(app)  # type: ignore[method-assign]
    return app


def _openapi_with_specs(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """OpenAPI plus the request models (bodies are parsed by hand, so FastAPI cannot see them)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from pydantic.json_schema import models_json_schema

        from ducky.audience.legacy import LegacyPayload
        from ducky.audience.spec import AudienceSpec

        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        _, defs = models_json_schema(
            [(AudienceSpec, "validation"), (LegacyPayload, "validation")],
            ref_template="#/components/schemas/{model}",
        )
        schema.setdefault("components", {}).setdefault("schemas", {}).update(defs["$defs"])
        app.openapi_schema = schema
        return schema

    return build
