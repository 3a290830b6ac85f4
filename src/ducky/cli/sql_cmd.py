"""`ducky sql`: inspect the canonical SQL and its rendering per engine."""

from __future__ import annotations

import click

from ducky.cli.options import engine_option
from ducky.sql.catalog import QUERIES


@click.group()
def sql() -> None:
    """Show canonical SQL and what it becomes on each engine."""


@sql.command("show")
@click.argument("name", type=click.Choice(list(QUERIES)))
@engine_option()
@click.option(
    "--variant",
    default="optimized",
    show_default=True,
    help="baseline, optimized or rollup (`ducky sql list`); baseline is the portable SQL.",
)
@click.option(
    "--dialect",
    default=None,
    help="Any sqlglot dialect (bigquery, snowflake, clickhouse, ...) instead of an engine's.",
)
def show(name: str, engine: str, variant: str, dialect: str | None) -> None:
    """Print the SQL that would run for NAME on an engine (or in a SQL dialect)."""
    from ducky.cli.context import get_settings
    from ducky.cli.output import dumps
    from ducky.engines import engine_class
    from ducky.errors import UserError

    notes: list[str] = []
    if dialect:
        from ducky.sql.dialects import render_dialect

        text = render_dialect(name, dialect, variant)
        foreign = _untranslated_functions(name, variant, dialect)
        if foreign:
            # sqlglot passes functions it does not know through unchanged: the text would
            # not run there, and saying nothing would let a user find out in production.
            notes.append(
                f"{', '.join(foreign)} are DuckDB functions with no {dialect} translation, so "
                f"this text will not run on {dialect} as is; --variant baseline is the "
                "portable form"
            )
    else:
        cls = engine_class(engine)
        if variant == "rollup" and not cls.supports_rollups:
            from ducky.cli.rollup_cmd import engines_keeping_rollups

            raise UserError(
                f"engine {engine!r} keeps no rollups, so it never runs the rollup variant "
                f"(-e {' or -e '.join(engines_keeping_rollups())})"
            )
        text = cls.render_sql(name, variant)
    if get_settings().json:
        where = {"dialect": dialect} if dialect else {"engine": engine}
        click.echo(dumps({"query": name, "variant": variant, **where, "sql": text, "notes": notes}))
        return
    for n in notes:
        click.echo(f"note: {n}", err=True)
    click.echo(text)


def _untranslated_functions(name: str, variant: str, dialect: str) -> list[str]:
    """Functions in the canonical text of a variant that sqlglot does not know, so cannot map
    to `dialect` (none when `dialect` is the one the text is written in)."""
    import sqlglot
    from sqlglot import exp

    from ducky import sql as canonical

    text, written_in = canonical.source(name, variant)
    if sqlglot.Dialect.get_or_raise(dialect) == sqlglot.Dialect.get_or_raise(written_in):
        return []
    found = {
        node.name.upper()
        for tree in sqlglot.parse(text, read=written_in)
        if tree is not None
        for node in tree.find_all(exp.Anonymous)
    }
    return sorted(found)


@sql.command("list")
def list_queries() -> None:
    """List canonical queries and their variants."""
    from ducky import sql as canonical
    from ducky.cli.context import get_settings
    from ducky.cli.output import dumps

    if get_settings().json:
        click.echo(dumps({"queries": {q: canonical.variants(q) for q in canonical.QUERIES}}))
        return
    for q in canonical.QUERIES:
        click.echo(f"{q}: {', '.join(canonical.variants(q))}")
