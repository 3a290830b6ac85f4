"""`ducky rollup`: build, refresh, inspect and drop the maintained rollups."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from ducky.cli.context import get_settings

if TYPE_CHECKING:
    from ducky.engines.base import Engine
    from ducky.rollups import RollupStatus


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.argument("queries", nargs=-1)(fn)
    fn = click.option(
        "--engine",
        "-e",
        default="duckdb",  # the one default of every command (issue 18)
        show_default=True,
        envvar="DUCKY_ENGINE",
        # which engines keep rollups is each engine's capability (supports_rollups), checked
        # when the engine opens, so a third-party engine with a rollup store works here too
        help="duckdb (its native database file) or postgres (triggers keep it current).",
    )(fn)
    fn = click.option(
        "--dsn",
        default=None,
        envvar="DUCKY_PG_DSN",
        help="PostgreSQL DSN (env DUCKY_PG_DSN; default: the local server).",
    )(fn)
    return fn


@contextmanager
def _engine(engine: str, dsn: str | None, load: bool) -> Iterator[Engine]:
    """The engine holding the rollups; `load`: make sure the source tables are there."""
    from ducky.engines import engine_class, open_engine
    from ducky.schema import REQUIRED_TABLES

    datadir = get_settings().datadir
    cls = engine_class(engine)
    if not cls.supports_rollups:
        from ducky.errors import UserError

        raise UserError(
            f"engine {engine!r} keeps no rollups: use -e with one that does "
            f"({', '.join(engines_keeping_rollups())})"
        )
    # Before the engine opens its storage: DuckDB's would create <data>/.ducky, so a typo in
    # --data used to leave a new folder behind and report every rollup "missing", exit 0.
    datadir.manifest()
    eng = open_engine(engine, datadir, dsn=dsn, **cls.storage_options)
    with eng:
        if load:
            datadir.validate(REQUIRED_TABLES)
            eng.load()
        yield eng


def engines_keeping_rollups() -> list[str]:
    """The installed engines that keep ducky's rollups, for error messages."""
    from ducky.engines.registry import engine_names

    return [n for n in engine_names() if _keeps_rollups(n)]


def _keeps_rollups(name: str) -> bool:
    from ducky.engines import engine_class

    try:
        return engine_class(name).supports_rollups
    except Exception:  # a broken third-party engine is not one to suggest
        return False


def _emit(statuses: list[RollupStatus], title: str, extra: dict[str, Any] | None = None) -> None:
    from rich.table import Table

    from ducky.cli.output import dumps

    if get_settings().json:
        click.echo(dumps({"rollups": [s.to_dict() for s in statuses], **(extra or {})}))
        return
    t = Table(title=title)
    for col in ("query", "engine", "state", "built", "build", "rows", "size", "maintained"):
        t.add_column(
            col, justify="right" if col in ("build", "rows", "size") else "left", no_wrap=True
        )
    for s in statuses:
        state = {"fresh": "[green]fresh[/green]", "stale": "[red]stale[/red]"}.get(
            s.state, "[yellow]missing[/yellow]"
        )
        t.add_row(
            s.query,
            s.engine,
            state + (f" ({s.reason})" if s.reason else ""),
            s.built_at or "",
            f"{s.build_s:.2f} s" if s.build_s is not None else "",
            f"{s.rows:,}" if s.rows is not None else "",
            f"{s.bytes / 1e6:,.1f} MB" if s.bytes is not None else "n/a" if s.size_note else "",
            "insert triggers" if s.maintained else "no",
        )
    from ducky.tables import show_rich_table

    # The shared printer fits 80 columns (split or vertical) and never cuts a number.
    notes = [f"size n/a: {n}" for n in dict.fromkeys(s.size_note for s in statuses if s.size_note)]
    show_rich_table(t, wrap=("state",), notes=notes)


def _build_all(eng: Engine, queries: list[str], only_if_needed: bool) -> dict[str, Any]:
    import time

    from rich.console import Console

    from ducky.engines.rollups import store_for

    store = store_for(eng)
    console = Console(stderr=True)
    done: dict[str, Any] = {}
    for q in queries:
        before = store.status(q)
        if only_if_needed and before.state == "fresh":
            done[q] = {"action": "none (fresh)", "seconds": 0.0}
            continue
        t0 = time.perf_counter()
        with console.status(f"building the {q} rollup on {store.engine_label}"):
            store.build(q)
        secs = time.perf_counter() - t0
        action = "built" if before.state == "missing" else "rebuilt"
        # The store records the time of the rollup's SQL alone (what `rollup status` shows as
        # build); this command's time also counts copying tables in and saving. Say both, or
        # the two numbers look like a contradiction.
        sql_s = store.status(q).build_s
        done[q] = {"action": action, "seconds": round(secs, 4), "was": before.state}
        if sql_s is not None:
            done[q]["sql_seconds"] = round(sql_s, 4)
        if not get_settings().json:
            why = f" ({before.reason})" if before.reason else ""
            sql = f", {sql_s:.2f} s of it the rollup's SQL (status's build)" if sql_s else ""
            console.print(f"{action} the {q} rollup in {secs:.2f} s{sql}{why}")
    return done


@click.group()
def rollup() -> None:
    """Build, refresh, inspect or drop the maintained rollups of wau, revenue and cohort."""


@rollup.command()
@_common
def build(queries: tuple[str, ...], engine: str, dsn: str | None) -> None:
    """Build (or rebuild) rollups in full; on postgres also their insert triggers."""
    from ducky.engines.rollups import store_for
    from ducky.rollups import check_queries

    qs = check_queries(queries)
    with _engine(engine, dsn, load=True) as eng:
        actions = _build_all(eng, qs, only_if_needed=False)
        store = store_for(eng)
        _emit([store.status(q) for q in qs], f"rollups on {store.engine_label}", {"built": actions})


@rollup.command()
@_common
def refresh(queries: tuple[str, ...], engine: str, dsn: str | None) -> None:
    """Rebuild the rollups that are missing or stale; fresh ones are left as they are."""
    from ducky.engines.rollups import store_for
    from ducky.rollups import check_queries

    qs = check_queries(queries)
    with _engine(engine, dsn, load=True) as eng:
        actions = _build_all(eng, qs, only_if_needed=True)
        store = store_for(eng)
        _emit([store.status(q) for q in qs], f"rollups on {store.engine_label}", {"built": actions})


@rollup.command()
@_common
def status(queries: tuple[str, ...], engine: str, dsn: str | None) -> None:
    """Show each rollup: fresh, stale (and why) or missing, build time, rows, size.

    On duckdb the size is the native file's, under the table: DuckDB gives none per table."""
    from ducky.engines.rollups import store_for
    from ducky.rollups import check_queries

    qs = check_queries(queries)
    with _engine(engine, dsn, load=False) as eng:
        store = store_for(eng)
        _emit([store.status(q) for q in qs], f"rollups on {store.engine_label}")


@rollup.command()
@_common
def drop(queries: tuple[str, ...], engine: str, dsn: str | None) -> None:
    """Drop rollups with their triggers and state (inserts into events stop paying for them)."""
    from ducky.engines.rollups import store_for
    from ducky.rollups import check_queries

    qs = check_queries(queries)
    with _engine(engine, dsn, load=False) as eng:
        store = store_for(eng)
        dropped = {q: store.drop(q) for q in qs}
        if get_settings().json:
            from ducky.cli.output import dumps

            click.echo(dumps({"dropped": dropped}))
            return
        for q, had in dropped.items():
            click.echo(f"dropped the {q} rollup" if had else f"no {q} rollup to drop")
