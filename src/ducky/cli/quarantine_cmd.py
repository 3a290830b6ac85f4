"""`ducky quarantine [TABLE]`: the rows ingest rejected, with the reason for each."""

from __future__ import annotations

import click

from ducky.cli.context import get_settings

TABLE_CHOICES = ("users", "products", "events", "search_logs")


@click.command()
@click.argument("table", required=False, type=click.Choice(TABLE_CHOICES))
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Rows to show in the table view (--json lists every row).",
)
def quarantine(table: str | None, limit: int) -> None:
    """List the rows ingest quarantined (table, record, check, reason), all tables or TABLE."""
    from ducky.cli.output import dumps
    from ducky.errors import UserError
    from ducky.ingest.quarantine import read_quarantine

    settings = get_settings()
    if settings.source:
        raise UserError("quarantine reads a data directory, not a database (--data postgresql)")
    if not settings.data.is_dir():
        raise UserError(f"data directory {settings.data} does not exist")
    rows = (
        read_quarantine(settings.data, table)
        .sort_by([("table", "ascending"), ("source", "ascending"), ("record", "ascending")])
        .to_pylist()
    )
    if settings.json:
        click.echo(dumps({"data": str(settings.data), "count": len(rows), "rows": rows}))
        return
    if not rows:
        click.echo(f"no quarantined rows{' in ' + table if table else ''} under {settings.data}")
        return
    for r in rows[:limit]:
        click.echo(
            f"{r['table']}  {r['source']}  {r['record_kind']} {r['record']}  "
            f"[{r['checks']}]  {r['reason']}"
        )
    more = len(rows) - limit
    click.echo(
        f"{len(rows)} quarantined row(s)"
        + (f" ({more} more: --limit or --json)" if more > 0 else "")
    )
