"""`ducky segment` and `ducky es load`. Only click is imported here; the work is imported inside
the commands so `ducky --help` stays light."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ducky.cli.context import get_settings
from ducky.errors import UserError

if TYPE_CHECKING:
    from ducky.datasets import DataDir
    from ducky.plugins.segment.store.base import SearchLogStore


def _parse_ts(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(value + "-01")
    except ValueError:
        raise UserError(
            f"{name}: {value!r} is not a date (YYYY-MM-DD[THH:MM:SS] or YYYY-MM)"
        ) from None


def _search_range(
    date_from: str | None, date_to: str | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """`--from/--to` as every command reads them: a day or month is included whole.

    A value with a time of day is an exact instant (`--to` then ends just before it). The result
    is the half-open [start, end) the log readers take; a reversed range is an error.
    """
    from ducky.dateranges import date_range

    def timed(v: str | None) -> bool:
        return v is not None and len(v.strip()) > 10

    if timed(date_from) or timed(date_to):
        t_from, t_to = _parse_ts(date_from, "--from"), _parse_ts(date_to, "--to")
    else:
        start, end = date_range(date_from, date_to)
        t_from = dt.datetime.fromisoformat(start) if start else None
        t_to = dt.datetime.fromisoformat(end) if end else None
    if t_from is not None and t_to is not None and t_from >= t_to:
        raise UserError(f"--from {date_from} is after --to {date_to}")
    return t_from, t_to


def _parse_k(value: str) -> int | None:
    if value == "auto":
        return None
    try:
        k = int(value)
    except ValueError:
        raise UserError(f"--k: {value!r} is not a number or 'auto'") from None
    if k < 2:
        raise UserError(f"--k {k}: at least 2 segments (or auto)")
    return k


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int | None], None]]:
    """A rich progress bar on stderr; `update(stage, advance, total)` adds a task per stage."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not enabled or not console.is_terminal,
    )
    tasks: dict[str, Any] = {}

    def update(stage: str, advance: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], advance=advance, total=total)

    with bar:
        yield update


def es_options(f: Callable[..., Any]) -> Callable[..., Any]:
    # Secrets: read from the environment or the option, never echoed (no show_default, and
    # the Credentials repr hides them).
    f = click.option(
        "--es-password",
        envvar="DUCKY_ES_PASSWORD",
        default=None,
        help="Password for --es-user (env DUCKY_ES_PASSWORD; prefer the env var).",
    )(f)
    f = click.option(
        "--es-user",
        envvar="DUCKY_ES_USER",
        default=None,
        help="User for basic auth, Elasticsearch or OpenSearch (env DUCKY_ES_USER).",
    )(f)
    f = click.option(
        "--es-api-key",
        envvar="DUCKY_ES_API_KEY",
        default=None,
        help="Elasticsearch API key, base64 'id:key' (env DUCKY_ES_API_KEY; prefer the env var).",
    )(f)
    f = click.option(
        "--es-backend",
        type=click.Choice(["auto", "elasticsearch", "opensearch"]),
        default="auto",
        show_default=True,
        help="Client library: auto asks the server (OpenSearch -> opensearch-py).",
    )(f)
    f = click.option(
        "--es-url",
        envvar="DUCKY_ES_URL",
        default=None,
        help="Elasticsearch/OpenSearch URL (env DUCKY_ES_URL).",
    )(f)
    return f


def _open(
    url: str | None,
    backend: str,
    api_key: str | None = None,
    user: str | None = None,
    password: str | None = None,
) -> SearchLogStore:
    from ducky.plugins.segment.store import open_store
    from ducky.plugins.segment.store.auth import Credentials

    if not url:
        raise UserError("no cluster given: pass --es-url or set DUCKY_ES_URL")
    return open_store(url, backend, Credentials(api_key=api_key, user=user, password=password))


@click.command("segment")
@click.option(
    "--source",
    type=click.Choice(["parquet", "es"]),
    default=None,
    help="Search logs from local Parquet or a cluster (default: es when --es-url).",
)
@es_options
@click.option(
    "--index", "es_index", default="user_logs", show_default=True, help="Index of search logs."
)
# The old spelling keeps working, unadvertised: `--index` is the name on `es load` too (issue 18).
@click.option("--es-index", "es_index_old", default=None, hidden=True)
@click.option(
    "--pagination",
    type=click.Choice(["scroll", "pit"]),
    default="scroll",
    show_default=True,
    help="How to page through the index (see docs/SEGMENTATION.md).",
)
@click.option(
    "--embedder",
    type=click.Choice(["auto", "hf", "local"]),
    default="auto",
    show_default=True,
    help="auto = Hugging Face API when HF_TOKEN is set, else local.",
)
@click.option("--model", default=None, help="Embedding model id (default all-MiniLM-L6-v2).")
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="auto",
    show_default=True,
    help="Local embedder device: auto = CUDA (fp16) when torch sees one.",
)
@click.option(
    "--hf-endpoint",
    envvar="DUCKY_HF_ENDPOINT",
    default=None,
    help="URL of an endpoint speaking the HF feature-extraction protocol.",
)
@click.option("--k", "k_opt", default="auto", show_default=True, help="Segments: N or auto.")
@click.option("--k-min", default=2, show_default=True, type=int, help="Smallest k for --k auto.")
@click.option("--k-max", default=20, show_default=True, type=int, help="Largest k for --k auto.")
@click.option(
    "--labels",
    "labels_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Extra segment labels (JSON like the shipped taxonomy, or 'id: description' lines).",
)
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed.")
@click.option(
    "--balance",
    default=0.3,
    show_default=True,
    type=click.FloatRange(0, 100),
    help="Behaviour block variance relative to the query block.",
)
@click.option("--push-es", is_flag=True, help="Index the segments behind an alias.")
@click.option(
    "--segments-index",
    default="user_segments",
    show_default=True,
    help="Alias for the pushed segments (versioned index behind it).",
)
@click.option("--tag-logs", is_flag=True, help="With --push-es: add `segment` to each log doc.")
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a PNG projection of users coloured by segment.",
)
@click.option(
    "--from",
    "date_from",
    default=None,
    metavar="YYYY-MM[-DD]",
    help="First day or month of searches included (both ends inclusive; YYYY-MM means the "
    "whole month; a value with a time is that exact instant).",
)
@click.option(
    "--to",
    "date_to",
    default=None,
    metavar="YYYY-MM[-DD]",
    help="Last day or month of searches included (both ends inclusive; YYYY-MM means the "
    "whole month).",
)
def segment(
    source: str | None,
    es_url: str | None,
    es_backend: str,
    es_api_key: str | None,
    es_user: str | None,
    es_password: str | None,
    es_index: str,
    es_index_old: str | None,
    pagination: str,
    embedder: str,
    model: str | None,
    device: str,
    hf_endpoint: str | None,
    k_opt: str,
    k_min: int,
    k_max: int,
    labels_file: str | None,
    seed: int,
    balance: float,
    push_es: bool,
    segments_index: str,
    tag_logs: bool,
    plot_path: str | None,
    date_from: str | None,
    date_to: str | None,
) -> None:
    """Segment users from their search history (embeddings + K-means) and name the segments."""
    es_index = es_index_old or es_index
    from ducky.plugins.segment import outputs, pipeline
    from ducky.plugins.segment.embed import make_embedder
    from ducky.plugins.segment.store.parquet import read_search_logs
    from ducky.tabular import dumps

    settings = get_settings()
    datadir = settings.datadir
    k = _parse_k(k_opt)
    if k_min < 2 or k_max < k_min:
        raise UserError(f"--k-min {k_min} / --k-max {k_max}: need 2 <= k-min <= k-max")
    labels_path = Path(labels_file) if labels_file else None
    if labels_path is not None:
        from ducky.plugins.segment.naming import load_taxonomy

        load_taxonomy(labels_path)  # a bad file is one line before any work
    t_from, t_to = _search_range(date_from, date_to)
    source = source or ("es" if es_url else "parquet")
    if (push_es or tag_logs) and not es_url:
        raise UserError("--push-es/--tag-logs need a cluster: pass --es-url or set DUCKY_ES_URL")
    if tag_logs and not push_es:
        raise UserError("--tag-logs goes with --push-es")
    if source == "es":
        # seed 000's flow: the logs live in the cluster only; the data directory is just where
        # segments/ and the embedding cache go, so it need not hold a ducky dataset
        datadir.path.mkdir(parents=True, exist_ok=True)
    else:
        datadir.manifest()  # a clear error for a missing data directory before any work
    emb = make_embedder(embedder, model, endpoint=hf_endpoint, device=device)
    need_store = source == "es" or push_es
    store = _open(es_url, es_backend, es_api_key, es_user, es_password) if need_store else None
    extra: dict[str, Any] = {"source": source}
    if getattr(emb, "device", None):
        extra["device"] = emb.device  # type: ignore[attr-defined]
    try:
        with _progress(not settings.json) as progress:
            if source == "es":
                assert store is not None
                extra.update({"es_backend": store.backend, "es_index": es_index})
                logs = store.extract(
                    es_index,
                    t_from,
                    t_to,
                    pagination,
                    progress=lambda n: progress("extract", n, None),
                )
            else:
                logs = read_search_logs(datadir, t_from, t_to)
            result = pipeline.segment(
                logs,
                datadir,
                emb,
                k=k,
                seed=seed,
                balance=balance,
                progress=progress,
                k_min=k_min,
                k_max=k_max,
                labels_file=labels_path,
            )
            outputs.match_previous_run(datadir, result)  # names follow their segments
            result.quality = pipeline.evaluate(result, datadir)
            outputs.write_segments(datadir, result, plot=Path(plot_path) if plot_path else None)
            if push_es:
                assert store is not None
                extra["push"] = outputs.push_segments(
                    store, result, segments_index, progress=lambda n: progress("push", n, None)
                )
                if tag_logs:
                    segs = {
                        str(u): n
                        for u, n in zip(
                            result.user_ids.tolist(), result.segment_of_user, strict=True
                        )
                    }
                    rep = store.tag_logs(
                        es_index,
                        segs,
                        progress=lambda n: progress("tag", n, None),
                        pagination=pagination,
                    )
                    extra["tagged"] = {"ok": rep.ok, "failed": rep.failed}
                    if rep.failed:
                        from ducky.errors import EngineError

                        raise EngineError(
                            f"tagging {es_index}: {rep.failed} of {rep.ok + rep.failed} updates "
                            "failed: " + "; ".join(rep.errors)
                        )
    finally:
        if store is not None:
            store.close()
    doc = {**outputs.summary(result), **extra, "output": str(datadir.path / "segments")}
    if plot_path:
        doc["plot"] = plot_path
    if settings.json:
        click.echo(dumps(doc))
    else:
        _print_summary(doc)


def _print_summary(doc: dict[str, Any]) -> None:
    from rich.console import Console

    from ducky.tables import Column, Grid, print_grid

    # Through ducky.tables: on an 80-column terminal the free-text columns (evidence, terms,
    # queries) fold at spaces and the names and numbers stay whole; a plain rich table cut them
    # to "confid…", "pc_com…". Piped output keeps its natural width.
    grid = Grid(
        [
            Column("segment", key=True),  # names are identifiers: never cut or wrapped
            Column("users", justify="right"),
            Column("confidence", justify="right"),
            Column("evidence", wrap=True),
            Column("top terms", wrap=True),
            Column("representative queries", wrap=True),
            Column("avg order value", justify="right"),
        ],
        title=f"segments (k={doc['k']}, {doc['users']:,} users, model {doc['model']})",
    )
    for s in doc["segments"]:
        aov = "" if s["avg_order_value"] is None else f"{s['avg_order_value']:,.2f}"
        grid.add_row(
            s["segment"],
            f"{s['users']:,}",
            f"{s['confidence']:.0%}" if s["kind"] != "terms" else "-",
            _evidence(s),
            ", ".join(s["top_terms"]),
            "; ".join(s["representative_queries"]),
            aov,
        )
    print_grid(grid)
    c = Console()
    lines = [
        f"run {doc['run_id']} · {doc['distinct_queries']:,} distinct queries, "
        f"{doc['embedded_now']:,} embedded now ({doc['embedder']}) · written to {doc['output']}"
    ]
    sil = doc.get("silhouette") or {}
    if sil:
        best = max(sil, key=lambda kk: sil[kk])
        tried = f"{min(sil, key=int)}..{max(sil, key=int)}" if len(sil) > 1 else best
        chosen = doc.get("k")
        if (
            chosen is not None and str(chosen) in {str(k) for k in sil} and str(chosen) != str(best)
        ):  # the 1-SE rule picked a smaller k than the best silhouette: say both
            got = next(v for kk, v in sil.items() if str(kk) == str(chosen))
            lines.append(
                f"k={chosen} (silhouette {got:.3f}): the smallest k within one standard error "
                f"of the best, {sil[best]:.3f} at k={best} (k tried: {tried})"
            )
        else:
            lines.append(f"silhouette {sil[best]:.3f} at k={best} (k tried: {tried})")
    lines += [f"note: {n}" for n in doc.get("notes", [])]
    ch = doc.get("changes")
    if ch:
        parts = [
            f"{kind} {', '.join(x['segment'] for x in ch[kind])}"
            for kind in ("new", "grown", "shrunk", "gone")
            if ch.get(kind)
        ]
        renamed = [
            f"{x['was']} -> {x['segment']}"
            for kind in ("same", "grown", "shrunk")
            for x in ch.get(kind) or []
            if x.get("was")
        ]
        if renamed:
            parts.append("renamed " + ", ".join(renamed))
        lines.append("since the previous run: " + ("; ".join(parts) if parts else "same segments"))
    q = doc.get("quality")
    if q:
        lines.append(
            f"against truth/personas.parquet: ARI {q['ari']:.3f}, "
            f"name accuracy {q['name_accuracy']:.1%} ({q['users_evaluated']:,} users)"
        )
    if "push" in doc:
        p = doc["push"]
        lines.append(f"pushed {p['documents']:,} docs to {p['index']} (alias {p['alias']})")
    for line in lines:
        c.print(f"[dim]{line}[/dim]", soft_wrap=True)


def _evidence(s: dict[str, Any]) -> str:
    """Short for the terminal (the JSON and the report have the whole support table)."""
    if s["kind"] == "other_language":
        return "other languages"
    sup = ", ".join(f"{k} {v:.0%}" for k, v in list(s["support"].items())[:2])
    if s["kind"] == "terms":
        return f"no label fits ({sup or 'none near'})"
    return f"{sup} | {', '.join(s['agreeing_terms'][:3])}"


@click.group("es")
def es() -> None:
    """Elasticsearch/OpenSearch helpers for segmentation (serve locally, load search logs)."""


@es.command("serve")
@click.option("--port", default=9200, show_default=True, type=click.IntRange(0, 65535),
              help="Loopback port (0: a free one).")  # fmt: skip
def es_serve(port: int) -> None:
    """Run a local OpenSearch-compatible server (osmem-server, in memory) until Ctrl-C.

    For trying `es load` and `segment --push-es` without a cluster: it listens on 127.0.0.1
    only, keeps its indexes in memory (they end with it), and says how it stops.
    """
    import importlib.util
    import socket
    import sys

    if importlib.util.find_spec("osmem_server") is None:
        raise UserError("es serve needs osmem-server: pip install 'ducky[segment]'")
    from osmem_server import OsmemServer

    if port:
        with socket.socket() as s:  # a port in use is one line, not the server's own failure
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                raise UserError(f"--port {port}: in use on 127.0.0.1 (try --port 0)") from None
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    import signal

    def _stop(*_: object) -> None:  # `kill` (SIGTERM) stops it the way Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    # Everything from the start inside one try: a Ctrl-C that lands between the announcement
    # and the wait (a busy machine) still stops the server and exits 0, as one in the wait.
    server = None
    try:
        server = OsmemServer.start(japanese=False, addr=f"127.0.0.1:{port}")
        print(
            f"ducky: started a local search server (osmem-server, {server.url}, pid "
            f"{server.process.pid}); in memory, its indexes end with it; stop it with Ctrl-C\n"
            f"  try: ducky es load --es-url {server.url} && "
            f"ducky segment --es-url {server.url} --push-es",
            file=sys.stderr,
            flush=True,
        )
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        # a second Ctrl-C while stopping must not leave the server running
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if server is not None:
            server.close()
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait()
            print(f"ducky: stopped the local search server ({server.url})", file=sys.stderr)


def _log_actions(datadir: DataDir, index: str) -> Iterator[dict[str, Any]]:
    """One action per search-log row; `_id` is the row's ordinal in canonical file order, so
    loading the same data twice overwrites instead of duplicating."""
    import pyarrow.parquet as pq

    from ducky.plugins.segment.store.queries import iso

    n = 0
    for f in datadir.table_files("search_logs"):
        for batch in pq.ParquetFile(f).iter_batches(batch_size=10_000):
            for row in batch.to_pylist():
                yield {
                    "_index": index,
                    "_id": str(n),
                    "_source": {
                        "user_id": row["user_id"],
                        "search_query": row["search_query"],
                        "clicked_product_ids": row["clicked_product_ids"] or [],
                        "timestamp": iso(row["timestamp"]),
                    },
                }
                n += 1


@es.command("load")
@es_options
@click.option("--index", default="user_logs", show_default=True, help="Target index.")
@click.option("--replace", is_flag=True, help="Drop and recreate the index first.")
@click.option("--chunk-size", default=1000, show_default=True, type=click.IntRange(1, 50_000))
def es_load(
    es_url: str | None,
    es_backend: str,
    es_api_key: str | None,
    es_user: str | None,
    es_password: str | None,
    index: str,
    replace: bool,
    chunk_size: int,
) -> None:
    """Bulk-index the data directory's search_logs into a cluster (explicit mapping, retries)."""
    from ducky.errors import DataDirError, EngineError
    from ducky.plugins.segment.store.queries import LOGS_MAPPING
    from ducky.tabular import dumps

    settings = get_settings()
    datadir = settings.datadir
    datadir.manifest()
    if not datadir.has_table("search_logs"):
        raise DataDirError(f"{datadir.path}: no search logs to load (search_logs/ is missing)")
    total = datadir.manifest().rows("search_logs") or None
    store = _open(es_url, es_backend, es_api_key, es_user, es_password)
    try:
        if replace or not store.exists(index):
            store.create_index(index, LOGS_MAPPING, replace=True)
        with _progress(not settings.json) as progress:
            report = store.bulk(
                _log_actions(datadir, index),
                chunk_size=chunk_size,
                progress=lambda n: progress(f"indexing {index}", n, total),
            )
        store.refresh(index)
        count = store.count(index)
    finally:
        store.close()
    doc = {
        "index": index,
        "backend": store.backend,
        "indexed": report.ok,
        "failed": report.failed,
        "count": count,
        "errors": report.errors,
    }
    if report.failed:
        raise EngineError(
            f"{report.failed} of {report.ok + report.failed} documents failed to index into "
            f"{index}: " + "; ".join(report.errors)
        )
    if settings.json:
        click.echo(dumps(doc))
    else:
        click.echo(
            f"indexed {report.ok:,} documents into {index} ({store.backend}); "
            f"index now holds {count:,}"
        )
