"""The Python API for notebooks and scripts: `shop = ducky.open("data")`.

    import ducky
    shop = ducky.open("data")                       # a data directory (ducky gen / ingest)
    shop.query("wau", event_type="purchased")       # a Polars DataFrame
    shop.query("revenue", date_from="2025-03", date_to="2025-03")   # March, both ends inclusive
    shop.cohort(weeks=8)                            # a Cohort: .frame, .matrix, heatmap in Jupyter
    shop.audience({"where": {...}})                 # every matching user, a Polars DataFrame
    shop.segment(k=6)                               # with the segment plugin installed

Errors are `ducky.DuckyError` subclasses whose messages name the Python arguments, never CLI
flags. Heavy libraries (polars, pyarrow, engines) are imported when a method runs.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ducky.errors import UserError

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

    from ducky.audience.spec import AudienceSpec
    from ducky.cohort import CohortResult
    from ducky.datasets import DataDir

# The parameters each canonical query takes from Python (the CLI's options, by argument name).
QUERY_PARAMS: dict[str, tuple[str, ...]] = {
    "wau": ("event_type",),
    "revenue": ("date_from", "date_to"),
    "cohort": ("event_type", "weeks"),
}

# URL scheme -> opener; a source package (e.g. a PostgreSQL source) adds itself here.
SOURCES: dict[str, Callable[..., Shop]] = {}


def register_source(scheme: str, opener: Callable[..., Shop]) -> None:
    """Let `ducky.open("<scheme>://...")` build a Shop with `opener(url, **options)`."""
    SOURCES[scheme] = opener


def open(
    source: str | os.PathLike[str] | None = None,
    *,
    engine: str | None = None,
    **engine_options: Any,
) -> Shop:
    """Open a shop: a data directory path, or a URL whose scheme a source registered.

    Without `source`: DUCKY_DATA, then `data` in the nearest ducky.toml, then ./data. `engine`
    runs the queries (default: DUCKY_ENGINE, then ducky.toml, then duckdb); `engine_options`
    are the engine's keyword options (the CLI's `-o KEY=VALUE`).
    """
    from ducky.config import load_config

    config = load_config() if source is None or engine is None else {}
    if source is None:
        source = os.environ.get("DUCKY_DATA") or config.get("data") or "data"
    engine = engine or os.environ.get("DUCKY_ENGINE") or config.get("engine") or "duckdb"
    _check_engine(engine)
    text = os.fspath(source)
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        opener = SOURCES.get(scheme) or SOURCES.get(scheme.split("+", 1)[0])
        if opener is None:
            known = ", ".join(sorted(SOURCES)) or "none registered"
            raise UserError(
                f"cannot open {scheme}:// sources here (URL schemes: {known}); "
                "give a data directory path"
            )
        return opener(text, engine=engine, **engine_options)
    path = Path(text).expanduser()
    if not path.is_dir():
        raise UserError(f"{text}: no such data directory (create one with `ducky gen` or ingest)")
    return Shop(path, engine=engine, engine_options=dict(engine_options))


def _check_engine(engine: str) -> None:
    """An unknown engine is an error when the shop is opened, not at its first query."""
    from ducky.cohort import POLARS
    from ducky.engines.registry import registered_names

    known = registered_names()
    if engine not in known and engine != POLARS:
        raise UserError(f"engine: unknown engine {engine!r}; installed engines are "
                        f"{', '.join(known)} (and {POLARS} for cohort)")  # fmt: skip


def _audience_spec(spec: object, *, count_only: bool = False) -> AudienceSpec:
    """A dict or its JSON text, validated exactly as the CLI and the API validate it.

    Anything else (a list, None, a number) is a UserError: read loosely, `[]` would have
    matched every user, the worst answer for an export.
    """
    from ducky.audience.parse import decode_json, parse_payload

    if isinstance(spec, (str, bytes)):
        raw = decode_json(spec)
    elif isinstance(spec, Mapping):
        raw = dict(spec)
    else:
        kind = "None" if spec is None else type(spec).__name__
        raise UserError(f"an audience spec is a dict or its JSON text, not {kind}")
    if count_only and isinstance(raw, dict):
        raw = {**raw, "count_only": True}
    return parse_payload(raw).spec


def _polars(table: pa.Table) -> pl.DataFrame:
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


@dataclass
class Shop:
    """A shop's data and the engine that answers questions about it."""

    path: Path
    engine: str = "duckdb"
    engine_options: dict[str, Any] = field(default_factory=dict)

    @property
    def datadir(self) -> DataDir:
        from ducky.datasets import DataDir

        return DataDir(self.path)

    def __repr__(self) -> str:
        return f"ducky.Shop({str(self.path)!r}, engine={self.engine!r})"

    def query(
        self,
        name: str,
        *,
        variant: str = "optimized",
        engine: str | None = None,
        arrow: bool = False,
        **params: Any,
    ) -> pl.DataFrame | pa.Table:
        """Run a canonical metric: "wau" (event_type), "revenue" (date_from, date_to, both
        inclusive; "YYYY-MM" = the whole month) or "cohort" (event_type, weeks).

        Returns a Polars DataFrame, or a pyarrow Table with `arrow=True`.
        """
        from ducky.dateranges import date_range
        from ducky.queries import check_event_type, run_query

        if name not in QUERY_PARAMS:
            raise UserError(f"unknown query {name!r}; queries: {', '.join(QUERY_PARAMS)}")
        allowed = QUERY_PARAMS[name]
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise UserError(
                f"query {name!r} takes no parameter {unknown[0]!r}; it takes: {', '.join(allowed)}"
            )
        args: dict[str, Any] = {}
        if "event_type" in allowed:
            args["event_type"] = check_event_type(params.get("event_type"))
        if name == "revenue":
            args["date_from"], args["date_to"] = date_range(
                params.get("date_from"), params.get("date_to"), ("date_from", "date_to")
            )
        if name == "cohort":
            weeks = int(params.get("weeks", 8))
            if not 0 <= weeks <= 52:
                raise UserError(f"weeks must be between 0 and 52, not {weeks}")
            args["weeks"] = weeks
        table = run_query(
            self.datadir, name, engine or self.engine, variant, dict(self.engine_options), **args
        )
        return table if arrow else _polars(table)

    def cohort(
        self,
        weeks: int = 8,
        event_type: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        *,
        engine: str | None = None,
    ) -> Cohort:
        """Monthly signup cohorts x weeks since signup. `date_from`/`date_to`: the first and
        last signup month shown ("YYYY-MM", both inclusive)."""
        from ducky.cohort import compute
        from ducky.dateranges import parse_day

        if not 0 <= weeks <= 52:
            raise UserError(f"weeks must be between 0 and 52, not {weeks}")
        start = parse_day(date_from, "date_from", end=False) if date_from else None
        last = parse_day(date_to, "date_to", end=False) if date_to else None
        if start is not None and last is not None and start > last:
            raise UserError(f"date_from {date_from} is after date_to {date_to}")
        result = compute(
            self.datadir,
            engine=engine or self.engine,
            weeks=weeks,
            event_type=event_type,
            date_from=start.replace(day=1) if start else None,
            date_to=last.replace(day=1) if last else None,
            engine_options=dict(self.engine_options),
        )
        return Cohort(result)

    def audience(
        self,
        spec: Mapping[str, Any] | str,
        *,
        limit: int | None = None,
        engine: str | None = None,
        arrow: bool = False,
    ) -> pl.DataFrame | pa.Table:
        """Every user matching an audience spec (a dict, or its JSON text; docs/AUDIENCE.md),
        or the first `limit` of them, as a Polars DataFrame (a pyarrow Table with `arrow=True`)."""
        import pyarrow as pa

        from ducky.audience.compiler import USER_COLUMNS
        from ducky.audience.service import AudienceService
        from ducky.audience.spec import MAX_LIMIT
        from ducky.engines import open_engine

        # bool is an int to Python, but `limit=True` is a mistake, not "one user".
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
        ):
            raise UserError(f"limit must be a whole number of at least 1, not {limit!r}")
        parsed = _audience_spec(spec)
        rows: list[dict[str, Any]] = []
        cursor = parsed.cursor
        with open_engine(engine or self.engine, self.datadir, **self.engine_options) as eng:
            eng.load()
            service = AudienceService(eng)
            while True:
                want = MAX_LIMIT if limit is None else min(MAX_LIMIT, limit - len(rows))
                page = service.query(parsed.model_copy(update={"limit": want, "cursor": cursor}))
                rows.extend(page.users)
                cursor = page.next_cursor
                if cursor is None or (limit is not None and len(rows) >= limit):
                    break
        if rows:
            table = pa.Table.from_pylist(rows)
        else:
            table = pa.table({c: pa.array([], pa.string()) for c in USER_COLUMNS})
        return table if arrow else _polars(table)

    def audience_count(self, spec: Mapping[str, Any] | str, *, engine: str | None = None) -> int:
        """How many users match an audience spec."""
        from ducky.audience.service import AudienceService
        from ducky.engines import open_engine

        parsed = _audience_spec(spec, count_only=True)
        with open_engine(engine or self.engine, self.datadir, **self.engine_options) as eng:
            eng.load()
            return AudienceService(eng).query(parsed).total_count

    def segment(
        self,
        k: int | None = None,
        *,
        seed: int = 42,
        embedder: str = "auto",
        model: str | None = None,
        balance: float | None = None,
        save: bool = True,
    ) -> pl.DataFrame:
        """Users by segment from their search history (the optional segment plugin).

        `k=None` picks the number of segments; `balance=None` is the CLI's default (the
        behaviour block's weight against the searches, docs/SEGMENTATION.md); `save` writes
        <data>/segments as `ducky segment` does, replacing the last run's segments (pass
        save=False to look without replacing them). Returns user_id, segment_id and segment.
        """
        try:
            from ducky.plugins.segment import outputs, pipeline
            from ducky.plugins.segment.embed import make_embedder
            from ducky.plugins.segment.store.parquet import read_search_logs
        except ImportError as e:
            raise UserError(
                f"segmentation needs the segment extra (pip install 'ducky[segment]'): {e}"
            ) from None
        import polars as pl

        datadir = self.datadir
        datadir.manifest()
        emb = make_embedder(embedder, model)
        logs = read_search_logs(datadir, None, None)
        # The same default as `ducky segment --balance` (pipeline.BALANCE): a notebook run and
        # a CLI run of the same shop give the same segments.
        weight = pipeline.BALANCE if balance is None else balance
        result = pipeline.segment(logs, datadir, emb, k=k, seed=seed, balance=weight)
        if save:
            result.quality = pipeline.evaluate(result, datadir)
            outputs.write_segments(datadir, result)
        return pl.DataFrame(
            {
                "user_id": result.user_ids,
                "segment_id": result.labels,
                "segment": result.segment_of_user,
            }
        )


class Cohort:
    """A cohort retention result; Jupyter shows it as a heatmap table."""

    def __init__(self, result: CohortResult) -> None:
        self.result = result

    @property
    def arrow(self) -> pa.Table:
        """The tidy table (cohort_month, cohort_size, week, retained, rate, complete)."""
        return self.result.tidy

    @property
    def frame(self) -> pl.DataFrame:
        """The tidy table as a Polars DataFrame."""
        return _polars(self.result.tidy)

    @property
    def matrix(self) -> pl.DataFrame:
        """One row per cohort: cohort, size, w0..wN retention rates (None = not yet observable)."""
        import polars as pl

        m = self.result.matrix
        return pl.DataFrame(
            {
                "cohort": [f"{c.month:%Y-%m}" for c in m.cohorts],
                "size": [c.size for c in m.cohorts],
                **{
                    f"w{k}": pl.Series([c.rates[k] for c in m.cohorts], dtype=pl.Float64)
                    for k in range(m.weeks + 1)
                },
            }
        )

    @property
    def insights(self) -> list[str]:
        return list(self.result.insights)

    @property
    def definition(self) -> str:
        return self.result.definition

    def __repr__(self) -> str:
        m = self.result.matrix
        return (
            f"<ducky.Cohort {len(m.cohorts)} cohorts x {m.weeks + 1} weeks, {self.result.engine}>"
        )

    def _repr_html_(self) -> str:
        m = self.result.matrix
        head = "".join(f"<th>w{k}</th>" for k in range(m.weeks + 1))
        body = []
        rows = [(f"{c.month:%Y-%m}", f"{c.size:,}", c.rates) for c in m.cohorts]
        rows.append(("avg (weighted)", "", tuple(a.rate for a in m.average)))
        for label, size, rates in rows:
            cells = []
            for r in rates:
                if r is None:  # censored: unknown, never 0 %
                    cells.append('<td style="color:#999;text-align:center">·</td>')
                    continue
                # white -> blue by rate; dark cells get white text
                shade = int(255 - 180 * r)
                color = "#fff" if r > 0.55 else "#000"
                cells.append(
                    f'<td style="background:rgb({shade},{shade + 20 if shade < 235 else 255},255);'
                    f'color:{color};text-align:right">{100 * r:.1f} %</td>'
                )
            body.append(
                f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
                f"<td style='text-align:right'>{size}</td>{''.join(cells)}</tr>"
            )
        notes = "".join(f"<li>{html.escape(s)}</li>" for s in self.result.insights)
        return (
            f"<div><b>Cohort retention by week since signup</b> "
            f"{html.escape(self.result.subtitle())}"
            f"<table><thead><tr><th>cohort</th><th>size</th>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
            f"<p style='color:#666;font-size:smaller'>{html.escape(self.result.definition)}</p>"
            f"<ul>{notes}</ul></div>"
        )
