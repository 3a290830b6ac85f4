"""`ducky audience`: run an audience spec (v1 or the seed's flat payload) from a file or stdin."""

from __future__ import annotations

from typing import Any

import click

from ducky.cli.context import get_settings
from ducky.cli.options import engine_option, engine_options, format_option


@click.command()
@click.argument("spec_file", metavar="SPEC.json|-", required=False)
@engine_option()
@format_option()
@click.option("--explain", is_flag=True, help="Print the SQL and the users each node keeps.")
@click.option("--count-only", is_flag=True, help="Print only the number of matching users.")
@click.option(
    "--limit",
    type=click.IntRange(1, None),
    default=None,
    help="At most this many users (csv/json export: default every matching user; table: the "
    "page size, default the spec's limit, at most 10,000).",
)
@click.option("--cursor", default=None, help="Start after this user_id (a page's next_cursor).")
@click.option("--schema", "show_schema", is_flag=True, help="Print the spec's JSON Schema.")
@engine_options
def audience(
    spec_file: str | None,
    engine: str,
    fmt: str | None,
    explain: bool,
    count_only: bool,
    limit: int | None,
    cursor: str | None,
    show_schema: bool,
    engine_opts: tuple[str, ...],
) -> None:
    """Run an audience spec (JSON file or - for stdin) and print the matching users."""
    import sys
    from pathlib import Path

    from ducky.audience.parse import parse_json, parse_payload
    from ducky.cli.output import dumps
    from ducky.errors import UserError

    if show_schema:
        from ducky.audience.spec import json_schema

        sys.stdout.write(dumps(json_schema()) + "\n")
        return
    if spec_file is None:
        raise UserError("give a spec file (or - for stdin); see docs/AUDIENCE.md")
    if spec_file == "-":
        text = sys.stdin.read()
    else:
        path = Path(spec_file)
        if path.is_dir():
            raise UserError(f"spec file {spec_file} is a directory: give a JSON file, or -")
        if not path.is_file():
            raise UserError(f"spec file {spec_file} does not exist")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"cannot read {spec_file}: {e}") from e
    parsed = parse_json(text)
    from ducky.audience.spec import MAX_LIMIT

    page = min(limit, MAX_LIMIT) if limit is not None else None
    overrides = {
        k: v
        for k, v in {"limit": page, "cursor": cursor, "count_only": count_only or None}.items()
        if v is not None
    }
    spec = parsed.spec
    if overrides:  # re-validate so a bad --cursor is reported like a bad spec field
        spec = parse_payload({**spec.model_dump(mode="json", exclude_none=True), **overrides}).spec
    _run(spec, parsed.legacy, engine, engine_opts, fmt, explain, limit)


def _run(
    spec: object,
    legacy: bool,
    engine: str,
    engine_opts: tuple[str, ...],
    fmt: str | None,
    explain: bool,
    limit: int | None = None,
) -> None:
    import sys

    import pyarrow as pa

    from ducky.audience.service import AudienceService
    from ducky.audience.spec import AudienceSpec
    from ducky.cli.output import dumps, emit
    from ducky.engines import open_engine
    from ducky.queries import parse_engine_options
    from ducky.tabular import jsonable

    assert isinstance(spec, AudienceSpec)
    settings = get_settings()
    fmt = fmt or ("json" if settings.json else "table")
    datadir = settings.datadir
    datadir.validate(deep=False)
    with open_engine(engine, datadir, **parse_engine_options(engine_opts)) as eng:
        eng.load()
        # The engine that actually runs (a postgresql:// source runs on PostgreSQL in place
        # whatever the default -e says), so the output never names the wrong one.
        engine = eng.name
        service = AudienceService(eng)
        if explain:
            ex = service.explain(spec)
            nodes = pa.Table.from_pylist(
                [n.__dict__ for n in ex.nodes]
                or [
                    {"path": "(all users)", "type": "-", "users": ex.total_count, "description": ""}
                ]
            )
            meta = {
                "engine": engine,
                "as_of": ex.as_of,
                "total_count": ex.total_count,
                "sql": ex.sql,
                "legacy": legacy,
            }
            if fmt == "table":
                emit(nodes, fmt, title=f"audience explain ({engine}, as_of {ex.as_of})")
                sys.stdout.write(ex.sql + "\n")
            else:
                emit(nodes, fmt, meta=meta)
            return
        if fmt in ("csv", "json") and not spec.count_only:
            _export(
                service,
                spec,
                fmt,
                limit,
                {"engine": engine, "source": _source(datadir), "legacy": legacy},
            )
            return
        result = service.query(spec)
        if spec.count_only:
            if fmt == "json":
                meta = {
                    "engine": engine,
                    "source": _source(datadir),
                    "as_of": result.as_of,
                    "legacy": legacy,
                }
                sys.stdout.write(dumps({**meta, "total_count": result.total_count}) + "\n")
            elif fmt == "csv":
                emit(pa.table({"total_count": [result.total_count]}), "csv")
            else:  # once, as a sentence (it used to print a table and the same number again)
                click.echo(f"{_users(result.total_count)} in the audience (as_of {result.as_of})")
            return
        from ducky.audience.compiler import USER_COLUMNS

        table = (
            pa.Table.from_pylist([{k: jsonable(v) for k, v in u.items()} for u in result.users])
            if result.users
            else pa.table({c: pa.array([], pa.string()) for c in USER_COLUMNS})
        )
        footer = f"{_users(result.total_count)} in the audience (as_of {result.as_of})"
        if result.next_cursor:
            footer += f"; next page: --cursor {result.next_cursor}"
        from ducky.cli.output import print_table

        print_table(table, title=f"audience ({engine})", footer=footer)


def _users(n: int) -> str:
    return f"{n:,} user" if n == 1 else f"{n:,} users"


def _export(service: Any, spec: Any, fmt: str, limit: int | None, meta: dict[str, Any]) -> None:
    """Write every matching user (or the first `limit`) as CSV or JSON, page by page.

    Pages of MAX_LIMIT users are fetched with the cursor and written as they come, so memory
    stays flat whatever the audience size; a cut by --limit is said on stderr.
    """
    import csv
    import json
    import sys
    from array import array

    from ducky.audience.compiler import USER_COLUMNS
    from ducky.audience.spec import MAX_LIMIT
    from ducky.tabular import jsonable

    out = sys.stdout
    written = 0
    # Integer ids packed (8 bytes each: a million-user export stays small); string ids in a list.
    ids: array[int] | list[Any] = array("q")
    cursor = spec.cursor
    result = None
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    header_done = False
    while True:
        want = MAX_LIMIT if limit is None else min(MAX_LIMIT, limit - written)
        page_spec = spec.model_copy(update={"limit": want, "cursor": cursor})
        result = service.query(page_spec)
        if writer is not None:
            if not header_done:
                cols = list(result.users[0]) if result.users else list(USER_COLUMNS)
                writer.writerow(cols)
                header_done = True
            for u in result.users:
                writer.writerow(["" if v is None else jsonable(v) for v in u.values()])
        else:
            if not header_done:
                head = {**meta, "as_of": jsonable(result.as_of), "total_count": result.total_count}
                out.write(json.dumps(head, indent=2, default=jsonable)[:-2] + ',\n  "users": [')
                header_done = True
            for u in result.users:
                out.write(("," if written or ids else "") + "\n    ")
                out.write(json.dumps({k: jsonable(v) for k, v in u.items()}, default=jsonable))
                uid = u["user_id"]
                if isinstance(ids, array) and not isinstance(uid, int):
                    ids = list(ids)  # a shop's string ids: kept as they are, never int()
                ids.append(uid)
        written += len(result.users)
        cursor = result.next_cursor
        if cursor is None or (limit is not None and written >= limit):
            break
    if fmt == "json":
        out.write("\n  ],\n")
        listed = ids.tolist() if isinstance(ids, array) else ids
        out.write(f'  "user_ids": {json.dumps(listed, default=jsonable)},\n')
        out.write(f'  "next_cursor": {json.dumps(cursor)}\n}}\n')
    total = result.total_count if result is not None else 0
    if written < total:
        more = f"; next page: --cursor {cursor}" if cursor else ""
        click.echo(f"wrote {written:,} of {total:,} users (--limit {limit}){more}", err=True)


def _source(datadir: object) -> str:
    """The data source for machine output: a directory's path, or a postgresql:// URL with
    its password redacted (PgSource.description never holds it)."""
    return str(getattr(datadir, "description", None) or getattr(datadir, "path", datadir))
