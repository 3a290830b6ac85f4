"""`ducky gen`: generate a synthetic shop (or describe an existing data directory)."""

from __future__ import annotations

from typing import Any

import click

from ducky.cli.context import get_settings


@click.command(context_settings={"show_default": True})
@click.option("--months", default="12", metavar="N", help="Months of activity to generate (1-120).")
@click.option(
    "--start", default="2025-01-01", metavar="DATE", help="First day (YYYY-MM-DD or YYYY-MM)."
)
@click.option(
    "--users",
    default=None,
    metavar="N",
    help="Users [default: events / 50, so 30,000 for 12 months].",
)
@click.option(
    "--events",
    default=None,
    metavar="N",
    help="Approximate number of events [default: 125,000 per month, 1.5M for 12 months].",
)
@click.option(
    "--scale",
    default=None,
    metavar="X",
    help="Multiply the default events and users (e.g. 10 -> 15M events for 12 months).",
)
@click.option("--products", default=None, metavar="N", help="Catalog size [default: 5,000].")
@click.option("--seed", default="42", metavar="N", help="Random seed (same seed, same data).")
@click.option(
    "--orders",
    is_flag=True,
    help="Purchases carry order_id (baskets of 1-4 lines), quantity, amount and currency.",
)
@click.option(
    "--second-currency",
    default=None,
    metavar="CODE",
    help="With --orders: a fifth of the users pay in this currency (e.g. EUR).",
)
@click.option(
    "--string-ids", is_flag=True, help='Write ids as text ("u000123", "p0042"), not integers.'
)
@click.option("--force", is_flag=True, help="Replace an existing data directory.")
@click.option(
    "--describe",
    "describe_only",
    is_flag=True,
    help="Only print the summary of the existing data directory.",
)
def gen(
    months: str,
    start: str,
    users: str | None,
    events: str | None,
    scale: str | None,
    products: str | None,
    seed: str,
    orders: bool,
    second_currency: str | None,
    string_ids: bool,
    force: bool,
    describe_only: bool,
) -> None:
    """Generate a realistic synthetic shop (users, catalog, events, searches, personas)."""
    import time

    from ducky.datasets.generator import describe, generate
    from ducky.engines.duckdb.idhash import manifest_entry

    settings = get_settings()
    target = settings.data
    if describe_only:
        _show(describe(target), settings.json, None)
        return
    _check_target(target, force)
    began = time.perf_counter()
    generate(
        target,
        months=_int(months, "--months"),
        start=start,
        users=_int(users, "--users"),
        events=_int(events, "--events"),
        products=_int(products, "--products"),
        seed=_int(seed, "--seed", minimum=0),
        scale=_float(scale, "--scale"),
        progress=not settings.json,
        overwrite=force,
        orders=orders,
        second_currency=second_currency,
        string_ids=string_ids,
        finish=manifest_entry,
    )
    _show(describe(target), settings.json, time.perf_counter() - began)


def _int(value: str | None, name: str, minimum: int = 1) -> Any:
    from ducky.errors import UserError

    if value is None:
        return None
    try:
        number = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise UserError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise UserError(f"{name} must be at least {minimum}, not {number}")
    return number


def _float(value: str | None, name: str) -> float | None:
    from ducky.errors import UserError

    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise UserError(f"{name} must be a number, not {value!r}") from None


def _check_target(target: Any, force: bool) -> None:
    """Refuse to replace data without --force, and never replace a non-ducky directory."""
    from ducky.datasets.datadir import MANIFEST
    from ducky.errors import UserError

    if not target.exists():
        return
    if not target.is_dir():
        raise UserError(f"{target} exists and is not a directory")
    if not any(target.iterdir()):
        return
    if not force:
        raise UserError(f"{target} already exists and is not empty: pass --force to replace it")
    if not (target / MANIFEST).is_file():
        raise UserError(
            f"{target} is not a ducky data directory (no {MANIFEST}): refusing to replace it, "
            "even with --force; choose another --data directory"
        )


def _show(summary: dict[str, Any], as_json: bool, seconds: float | None) -> None:
    import sys

    from ducky.cli.output import dumps

    if seconds is not None:
        summary = {**summary, "seconds": round(seconds, 2)}
    if as_json:
        sys.stdout.write(dumps(summary) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    from ducky.tables import show_rich_table

    console = Console()
    rows = summary["rows"]
    head = f"[bold]{summary['path']}[/bold]"
    if seconds is not None:
        events = rows.get("events", 0)
        head += f": generated in {seconds:.1f} s ({events / max(seconds, 1e-9):,.0f} events/s)"
    console.print(head)
    dr = summary["date_range"]
    console.print(f"events from {dr.get('first_event')} to {dr.get('last_event')}")

    t = Table(title="rows", show_header=False)
    for name, n in rows.items():
        t.add_row(name, f"{n:,}")
    t.add_row("bytes on disk", f"{summary['bytes_on_disk']:,}")
    show_rich_table(t)

    f = summary["funnel"]
    t = Table(title="funnel")
    t.add_column("step")
    t.add_column("events", justify="right")
    t.add_column("users", justify="right")
    t.add_row("viewed", f"{f['events'].get('viewed', 0):,}", f"{f['users_viewing']:,}")
    t.add_row("add-to-cart", f"{f['events'].get('add-to-cart', 0):,}", f"{f['users_carting']:,}")
    t.add_row("purchased", f"{f['events'].get('purchased', 0):,}", f"{f['users_buying']:,}")
    t.add_row("login", f"{f['events'].get('login', 0):,}", "")
    show_rich_table(t)
    console.print(
        f"cart/view {_pct(f['cart_per_view'])}, purchase/cart {_pct(f['purchase_per_cart'])}, "
        f"purchase/view {_pct(f['purchase_per_view'])}, "
        f"cart abandonment {_pct(f['cart_abandonment'])}"
    )
    e = summary["events_per_user"]
    console.print(
        f"events per user: mean {e['mean']}, p50 {e['p50']}, p90 {e['p90']}, p99 {e['p99']}, "
        f"max {e['max']:,}; users without events {e['users_without_events']:,}"
    )
    s = summary.get("searches")
    if s:
        console.print(
            f"searches: {s['users_searching']:,} users search "
            f"(min {s['per_searching_user_min']}, median {s['per_searching_user_p50']:g} each), "
            f"{s['users_never_searching']:,} never search; "
            f"{s['clicks_per_search']} clicks per search"
        )
    personas = summary.get("personas")
    if personas:
        t = Table(title="personas (truth/personas.parquet)")
        t.add_column("persona")
        t.add_column("users", justify="right")
        t.add_column("share", justify="right")
        for name, p in personas.items():
            t.add_row(name, f"{p['users']:,}", _pct(p["share"]))
        show_rich_table(t)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f} %"
