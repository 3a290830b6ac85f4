"""`SearchLogStore`: what segmentation needs from a search cluster, written once against the
request bodies in `queries.py`. Backends (`es.py`, `opensearch.py`) supply the client, its
helpers module, error translation and point-in-time calls, the only APIs that differ."""

from __future__ import annotations

import contextlib
import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ducky.errors import EngineError, UserError
from ducky.plugins.segment.store import queries

if TYPE_CHECKING:
    import pyarrow as pa

Progress = Callable[[int], None]


@dataclass
class BulkReport:
    ok: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)  # the first few, for the message


class SearchLogStore(ABC):
    backend: str = "?"

    def __init__(self, url: str, client: Any, helpers: Any) -> None:
        self.url = url
        self.client = client
        self.helpers = helpers

    # -- backend specifics -------------------------------------------------------------------
    @abstractmethod
    def errors(self) -> AbstractContextManager[None]:
        """Translate the client's exceptions into ducky's one-line errors."""

    @abstractmethod
    def _open_pit(self, index: str, keep_alive: str) -> str: ...

    @abstractmethod
    def _close_pit(self, pit_id: str) -> None: ...

    def close(self) -> None:
        self.client.close()

    # -- basics ------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        with self.errors():
            return dict(self.client.info())

    def exists(self, index: str) -> bool:
        with self.errors():
            return bool(self.client.indices.exists(index=index))

    def create_index(self, index: str, mapping: dict[str, Any], replace: bool = False) -> None:
        with self.errors():
            if self.client.indices.exists(index=index):
                if not replace:
                    raise UserError(f"index {index} already exists")
                self.client.indices.delete(index=index)
            body = {"settings": {"number_of_replicas": 0}, "mappings": mapping}
            self.client.indices.create(index=index, body=body)

    def delete_index(self, index: str) -> None:
        with self.errors():
            self.client.indices.delete(index=index)

    def alias_targets(self, alias: str) -> list[str]:
        """The indexes `alias` points at now (empty when there is no such alias)."""
        with self.errors():
            if not self.client.indices.exists_alias(name=alias):
                return []
            return sorted(self.client.indices.get_alias(name=alias).keys())

    def refresh(self, index: str) -> None:
        with self.errors():
            self.client.indices.refresh(index=index)

    def count(self, index: str, query: dict[str, Any] | None = None) -> int:
        with self.errors():
            body = {"query": query or {"match_all": {}}}
            return int(self.client.count(index=index, body=body)["count"])

    # -- writing -----------------------------------------------------------------------------
    def bulk(
        self,
        actions: Iterable[dict[str, Any]],
        progress: Progress | None = None,
        chunk_size: int = 1000,
        max_retries: int = 3,
    ) -> BulkReport:
        """streaming_bulk with retries on 429; every failed document is counted, none dropped."""
        report = BulkReport()
        with self.errors():
            for ok, item in self.helpers.streaming_bulk(
                self.client,
                actions,
                chunk_size=chunk_size,
                max_retries=max_retries,
                initial_backoff=1,
                raise_on_error=False,
                raise_on_exception=False,
            ):
                if ok:
                    report.ok += 1
                else:
                    report.failed += 1
                    if len(report.errors) < 5:
                        op = next(iter(item.values()))
                        err = op.get("error")
                        reason = err.get("reason") if isinstance(err, dict) else err
                        report.errors.append(f"{op.get('_id')}: {reason}")
                if progress:
                    progress(1)
        return report

    # -- reading -----------------------------------------------------------------------------
    def iter_hits(
        self,
        index: str,
        query: dict[str, Any],
        fields: list[str] | None = None,
        pagination: str = "scroll",
        page_size: int = 5000,
    ) -> Iterator[dict[str, Any]]:
        """Every matching document once. `scroll` (helpers.scan) or `pit` (PIT+search_after)."""
        if pagination == "scroll":
            with self.errors():
                yield from self.helpers.scan(
                    self.client,
                    query=queries.scroll_body(query, fields),
                    index=index,
                    size=page_size,
                    scroll="5m",
                    clear_scroll=True,
                )
            return
        if pagination != "pit":
            raise UserError(f"unknown pagination {pagination!r}: use scroll or pit")
        with self.errors():
            pit_id = self._open_pit(index, "5m")
            try:
                after: list[Any] | None = None
                while True:
                    body = queries.search_after_body(query, page_size, after, fields)
                    body["pit"] = {"id": pit_id, "keep_alive": "5m"}
                    res = self.client.search(body=body)
                    hits = res["hits"]["hits"]
                    if not hits:
                        break
                    pit_id = res.get("pit_id", pit_id)
                    yield from hits
                    after = hits[-1]["sort"]
            finally:
                self._close_pit(pit_id)

    def extract(
        self,
        index: str,
        date_from: dt.datetime | None = None,
        date_to: dt.datetime | None = None,
        pagination: str = "scroll",
        progress: Progress | None = None,
    ) -> pa.Table:
        """The search logs in `index` as an Arrow table with the search_logs columns."""
        import pyarrow as pa

        if not self.exists(index):
            raise UserError(f"index {index} not found at {self.url}: load it with `ducky es load`")
        cols: dict[str, list[Any]] = {f: [] for f in queries.LOG_FIELDS}
        n = 0
        for hit in self.iter_hits(index, queries.time_filter(date_from, date_to), None, pagination):
            src = hit["_source"]
            for f in queries.LOG_FIELDS:
                cols[f].append(src.get(f))
            n += 1
            if progress and n % 1000 == 0:
                progress(1000)
        if progress:
            progress(n % 1000)
        clicked = [
            c if c is None or isinstance(c, list) else [c] for c in cols["clicked_product_ids"]
        ]
        t = pa.table(
            {
                "user_id": _ids_array(cols["user_id"]),
                "search_query": pa.array(cols["search_query"], pa.string()),
                "clicked_product_ids": _clicked_array(clicked),
                "timestamp": _timestamps(cols["timestamp"], index),
            }
        )
        from ducky.schema import arrow_schema

        # the canonical schema (not-null flags included) whenever the documents fit it; text
        # ids (seed 000's "abc123") keep their own type instead of being cast to numbers
        schema = arrow_schema("search_logs")
        same_types = all(schema.field(f).type == t.schema.field(f).type for f in t.column_names)
        if same_types:
            with contextlib.suppress(pa.ArrowInvalid):
                return t.cast(schema)
        return t

    # -- segments ----------------------------------------------------------------------------
    def swap_alias(self, alias: str, new_index: str) -> list[str]:
        """Point `alias` at `new_index` in one atomic update_aliases call; delete the versioned
        indexes it left (`<alias>-<12 hex run id>` other than the new one: the earlier runs and
        what killed pushes left; an index a user named `<alias>-backup` is not ducky's).
        Returns the deleted names."""
        import re

        from ducky.atomic import _pause

        ours = re.compile(re.escape(alias) + r"-[0-9a-f]{12}")
        with self.errors():
            if self.client.indices.exists(index=alias) and not self.client.indices.exists_alias(
                name=alias
            ):
                raise UserError(
                    f"{alias} is a concrete index, not an alias: delete it or pick another "
                    "--segments-index"
                )
            current: list[str] = []
            if self.client.indices.exists_alias(name=alias):
                current = sorted(self.client.indices.get_alias(name=alias).keys())
            actions: list[dict[str, Any]] = [
                {"remove": {"index": i, "alias": alias}} for i in current if i != new_index
            ]
            actions.append({"add": {"index": new_index, "alias": alias}})
            self.client.indices.update_aliases(body={"actions": actions})
            _pause("es-alias-switched")  # kill -9 tests: live on the new index, old ones kept
            versioned = sorted(self.client.indices.get(index=f"{alias}-*").keys())
            stale = [i for i in versioned if i != new_index and ours.fullmatch(i)]
            for i in stale:
                self.client.indices.delete(index=i)
            return stale

    def tag_logs(
        self,
        index: str,
        segment_of: dict[str, str],
        progress: Progress | None = None,
        pagination: str = "scroll",
    ) -> BulkReport:
        """Set `segment` on every log document of a segmented user (partial-doc bulk updates:
        portable where update_by_query scripts are not, and retried like any bulk)."""
        hits = list(self.iter_hits(index, {"match_all": {}}, ["user_id"], pagination))

        def actions() -> Iterator[dict[str, Any]]:
            for h in hits:
                # ids compared as text: "abc123" and 42 both pass through unchanged
                seg = segment_of.get(str(h["_source"]["user_id"]))
                if seg is not None:
                    yield {
                        "_op_type": "update",
                        "_index": index,
                        "_id": h["_id"],
                        "doc": {"segment": seg},
                    }

        report = self.bulk(actions(), progress=progress)
        self.refresh(index)
        return report


def _ids_array(ids: list[Any]) -> pa.Array:
    """User ids as the documents hold them: all integers -> int64, else text, never cast to a
    number ("abc123" stays "abc123"; an id that only looks numeric in a text field stays text)."""
    import pyarrow as pa

    if all(isinstance(v, int) and not isinstance(v, bool) for v in ids if v is not None):
        return pa.array(ids, pa.int64())
    return pa.array([None if v is None else str(v) for v in ids], pa.string())


def _clicked_array(clicked: list[Any]) -> pa.Array:
    import pyarrow as pa

    flat = [v for c in clicked if c for v in c]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in flat):
        return pa.array(clicked, pa.list_(pa.int64()))
    return pa.array(
        [None if c is None else [str(v) for v in c] for c in clicked], pa.list_(pa.string())
    )


def _timestamps(values: list[Any], index: str) -> pa.Array:
    """ISO strings, naive (read as UTC) or zoned ("...Z", "+02:00"), as naive UTC timestamps."""
    import pyarrow as pa

    arr = pa.array(values, pa.string())
    try:
        return arr.cast(pa.timestamp("us"))
    except pa.ArrowInvalid:
        pass
    try:  # zoned strings: parse as UTC instants, then drop the zone (ducky's naive-UTC convention)
        return arr.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
    except pa.ArrowInvalid as e:
        raise EngineError(f"index {index}: unreadable timestamp ({e})") from e
