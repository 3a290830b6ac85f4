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
@click.option("--variant", default="optimized", show_default=True)
@click.option(
    "--dialect",
    default=None,
    help="Any sqlglot dialect (bigquery, snowflake, clickhouse, ...) instead of an engine's.",
)
def show(name: str, engine: str, variant: str, dialect: str | None) -> None:
    """Print the SQL that would run for NAME on an engine (or in a SQL dialect)."""
    from ducky.engines import engine_class

    if dialect:
        from ducky.sql.dialects import render_dialect

        click.echo(render_dialect(name, dialect, variant))
        return

    cls = engine_class(engine)
    click.echo(cls.render_sql(name, variant))


@sql.command("list")
def list_queries() -> None:
    """List canonical queries and their variants."""
    from ducky import sql as canonical

    for q in canonical.QUERIES:
        click.echo(f"{q}: {', '.join(canonical.variants(q))}")
