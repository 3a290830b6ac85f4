"""`ducky pg`: manage the local PostgreSQL server kept under <data>/.ducky/pg, and remove what
ducky put in a database (`ducky pg remove`: its own marked schema, never anything else)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ducky.cli.context import get_settings

if TYPE_CHECKING:
    from ducky.engines.postgres.ownership import RemovePlan
    from ducky.engines.postgres.server import LocalServer


def _server() -> LocalServer:
    from ducky.engines.postgres.server import local_server_for

    return local_server_for(get_settings().datadir.state_dir)


def _print_status(info: dict[str, Any], as_json: bool) -> None:
    from ducky.cli.output import dumps

    if as_json or get_settings().json:
        click.echo(dumps(info))
        return
    if info["running"]:
        click.echo(
            f"running: pid {info['pid']}, 127.0.0.1:{info['port']}, state in {info['state_dir']}"
        )
    elif info["initialized"]:
        click.echo(f"stopped: cluster in {info['state_dir']} (start with `ducky pg start`)")
    else:
        click.echo(f"not initialized: `ducky pg start` creates it in {info['state_dir']}")
    if info.get("stale_pid_file"):
        click.echo("note: a stale postmaster.pid was found (a killed server); start/stop clean it")


@click.group()
def pg() -> None:
    """Manage ducky's local PostgreSQL server (start, stop, status, dsn); remove ducky's schema."""


@pg.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def start(as_json: bool) -> None:
    """Start the local server (created on first use) unless it is already running."""
    from ducky.engines.postgres.announce import start_announced

    server = _server()
    start_announced(server, get_settings().data)  # stderr: started, and how to stop it
    _print_status(server.status().to_dict(), as_json)


@pg.command()
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def stop(as_json: bool) -> None:
    """Stop the local server (fast shutdown; kills it and cleans a stale pid file if needed)."""
    from ducky.cli.output import dumps

    server = _server()
    stale = server.status().stale_pid_file
    stopped = server.stop()
    left = server.leftover_processes()
    info = {"stopped": stopped, "stale_pid_file_removed": stale, "left_processes": left}
    if as_json or get_settings().json:
        click.echo(dumps(info))
    elif stopped:
        click.echo("stopped")
    elif stale:
        click.echo("not running (removed a stale postmaster.pid)")
    else:
        click.echo("not running")
    if left:
        from ducky.errors import EngineError

        raise EngineError(f"postgres processes still running: {', '.join(map(str, left))}")


@pg.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Say whether the local server runs (pid, port, state folder)."""
    _print_status(_server().status().to_dict(), as_json)


@pg.command()
@click.option("--database", default="ducky", show_default=True, help="Database name.")
def dsn(database: str) -> None:
    """Print the local server's DSN (starting the server if it is not running)."""
    from ducky.engines.postgres.announce import start_announced

    server = _server()
    start_announced(server, get_settings().data)  # stderr, so `$(ducky pg dsn)` stays the DSN
    click.echo(server.dsn(database))


@pg.command()
@click.option(
    "--dsn",
    default=None,
    envvar="DUCKY_PG_DSN",
    help="PostgreSQL DSN (env DUCKY_PG_DSN; default: the local server).",
)
@click.option(
    "-o",
    "--engine-option",
    "engine_opts",
    multiple=True,
    metavar="KEY=VALUE",
    help="schema=NAME: the schema ducky created (env DUCKY_PG_SCHEMA; default: ducky).",
)
@click.option("--yes", is_flag=True, help="Remove without asking (needed when not on a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def remove(dsn: str | None, engine_opts: tuple[str, ...], yes: bool, as_json: bool) -> None:
    """Remove ducky's schema and everything ducky put in it from a database, nothing else.

    Only a schema carrying ducky's ownership marker is removed. If any object outside it
    depends on something inside (a view or foreign key on ducky's tables, a function using
    its types, ...), nothing is changed and each is named. Otherwise ducky's objects are
    dropped without CASCADE, dependents first, then the schema, in one transaction that
    checks all of this again first.
    """
    import sys

    from ducky.engines.postgres import dsn as dsnlib
    from ducky.engines.postgres.ownership import removal_schema
    from ducky.errors import UserError
    from ducky.queries import parse_engine_options

    settings = get_settings()
    as_json = as_json or settings.json
    opts = parse_engine_options(engine_opts)
    unknown = sorted(set(opts) - {"schema", "dsn"})
    if unknown:
        raise UserError(f"ducky pg remove takes -o schema=NAME (or dsn=DSN), not -o {unknown[0]}=")
    schema = removal_schema(opts.get("schema"))  # public and pg_* are refused here
    target = dsn or opts.get("dsn") or dsnlib.env_dsn()
    if not target:
        server = _server()
        if not server.initialized:  # no cluster: nothing of ducky's anywhere to remove
            doc = _doc(None, schema, None, removed=False)
            doc["reason"] = f"no local PostgreSQL server in {server.state_dir}"
            _say(doc, as_json, f"nothing to remove: {doc['reason']}")
            return
        from ducky.engines.postgres.announce import start_announced

        target = start_announced(server, settings.data)
    where = dsnlib.describe(target)
    plan = _plan(target, schema)
    if not plan.exists:
        doc = _doc(where, schema, plan, removed=False)
        _say(doc, as_json, f'nothing to remove: no schema "{schema}" on {where}')
        return
    if not yes:
        holds = f'schema "{schema}" on {where} holds {_summary(plan)}'
        if not sys.stdin.isatty():
            raise UserError(f"{holds}: pass --yes to remove it (not asking: not a terminal)")
        click.echo(f"{holds}; nothing outside it depends on them.", err=True)
        if not click.confirm(
            f'Remove schema "{schema}" and everything in it?', default=False, err=True
        ):
            from ducky.errors import DuckyError

            raise DuckyError("nothing removed (not confirmed)")  # exit 1
    plan = _remove(target, schema)
    doc = _doc(where, schema, plan, removed=plan.exists)
    if plan.exists:
        _say(doc, as_json, f'removed schema "{schema}" from {where}: {_summary(plan)}')
    else:  # removed by someone else meanwhile
        _say(doc, as_json, f'nothing to remove: no schema "{schema}" on {where}')


def _say(doc: dict[str, Any], as_json: bool, line: str) -> None:
    from ducky.cli.output import dumps

    click.echo(dumps(doc) if as_json else line)


def _doc(where: str | None, schema: str, plan: RemovePlan | None, removed: bool) -> dict[str, Any]:
    return {
        "target": where,
        "schema": schema,
        "existed": bool(plan and plan.exists),
        "removed": removed,
        "marker": plan.marker if plan else None,
        "objects": dict(plan.objects) if plan else {},
        "bytes": plan.bytes if plan else 0,
        "statements": list(plan.statements) if removed and plan else [],
    }


def _summary(plan: RemovePlan) -> str:
    words = {"materialized_views": "materialized views", "foreign_tables": "foreign tables"}
    parts = []
    for kind, n in plan.objects.items():
        if n:
            word = words.get(kind, kind)
            parts.append(f"{n} {word if n != 1 else word[:-1]}")
    return f"{', '.join(parts) or 'no objects'} ({_size(plan.bytes)})"


def _size(n: int) -> str:
    for unit, div in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= div:
            return f"{n / div:,.1f} {unit}"
    return f"{n} bytes"


def _connect(dsn: str) -> Any:
    """A psycopg connection (a transaction until commit) whose search_path is only
    pg_catalog, or one line without the password."""
    from ducky.engines.postgres import dsn as dsnlib

    conn = dsnlib.connect(dsn)
    # Every name in messages and statements comes out schema-qualified (public.v, not v).
    conn.execute("SET search_path TO pg_catalog")
    conn.commit()
    return conn


def _sql_error(e: Exception, dsn: str, schema: str) -> Exception:
    import psycopg

    from ducky.engines.postgres import dsn as dsnlib
    from ducky.engines.postgres.ownership import NoPrivilege, NotOurs
    from ducky.errors import EngineError

    msg = dsnlib.scrub(dsnlib.first_line(e), dsn)
    if isinstance(e, psycopg.errors.DependentObjectsStillExist):  # the RESTRICT safety net
        detail = (getattr(e.diag, "message_detail", None) or "").strip().splitlines()
        if detail:  # which object: "view public.v depends on table ducky.events"
            msg += f" ({dsnlib.scrub(detail[0], dsn)}{', ...' if len(detail) > 1 else ''})"
        return NotOurs(f'postgres: {msg}: refusing to remove schema "{schema}" (nothing changed)')
    if isinstance(e, psycopg.errors.InsufficientPrivilege):
        return NoPrivilege(
            f'postgres: {msg}: only the owner of ducky\'s objects can remove schema "{schema}" '
            "(nothing changed)"
        )
    return EngineError(f"postgres: {msg}")


def _plan(dsn: str, schema: str) -> RemovePlan:
    """What removing the schema would take, read in a transaction that changes nothing;
    refused (exit 2) when the schema is not ducky's or something outside depends on it."""
    import psycopg

    from ducky.engines.postgres.ownership import removal_refusal, remove_plan

    with _connect(dsn) as conn:
        try:
            conn.read_only = True
            plan = remove_plan(lambda sql: list(conn.execute(sql).fetchall()), schema)
        except psycopg.Error as e:
            raise _sql_error(e, dsn, schema) from e
        finally:
            conn.rollback()
    if plan.foreign:
        raise removal_refusal(schema, plan.foreign)
    return plan


def _remove(dsn: str, schema: str) -> RemovePlan:
    """Check again and drop, in one transaction: the marker and the dependents are read again
    under the lock a load takes (`ducky load` waits, or this waits for it), and ducky's
    objects are dropped with RESTRICT (PostgreSQL itself refuses anything the check missed;
    the transaction then rolls back). Nothing is committed unless everything went."""
    import psycopg

    from ducky.engines.postgres.ownership import removal_refusal, remove_plan

    conn = _connect(dsn)
    try:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("ducky-load:" + schema,))
        plan = remove_plan(lambda sql: list(conn.execute(sql).fetchall()), schema)
        if plan.foreign:
            raise removal_refusal(schema, plan.foreign)
        for stmt in plan.statements:
            conn.execute(stmt)
        conn.commit()
        return plan
    except psycopg.Error as e:
        raise _sql_error(e, dsn, schema) from e
    finally:
        conn.close()  # without a commit: rolled back
