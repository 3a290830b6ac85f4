"""A string-id copy of a data directory `ducky gen` wrote, for benchmarks/peers.py (issue 20).

Every Parquet file is rewritten with `user_id` and `product_id` (also inside
`clicked_product_ids`) as 16 hex digits of an md5 (`substr(md5('u' || id), 1, 16)`), the other
columns as they are, and the manifest copied: the same shop, with the ids a source system that
uses opaque string keys would have. Every metric's answer is the same as on the integer copy.
The manifest then gets what `ducky ingest` records when it writes string ids: the DuckDB
engine's check that no two ids share a 64-bit hash (ducky.engines.duckdb.idhash).

    flock /tmp/ducky-heavy.lock python benchmarks/string_id_copy.py /tmp/perf-10m /tmp/perf-10m-str
"""

from __future__ import annotations

import argparse
from pathlib import Path

USER = "substr(md5('u' || CAST(user_id AS VARCHAR)), 1, 16) AS user_id"
PRODUCT = "substr(md5('p' || CAST(product_id AS VARCHAR)), 1, 16) AS product_id"
CLICKED = (
    "list_transform(clicked_product_ids, "
    "lambda x: substr(md5('p' || CAST(x AS VARCHAR)), 1, 16)) AS clicked_product_ids"
)


def main() -> None:
    import duckdb

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    args = ap.parse_args()
    con = duckdb.connect()
    for f in sorted(args.src.rglob("*.parquet")):
        out = args.dst / f.relative_to(args.src)
        out.parent.mkdir(parents=True, exist_ok=True)
        src = str(f).replace("'", "''")
        read = f"read_parquet('{src}', hive_partitioning = false)"
        cols = [str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()]
        swap = {"user_id": USER, "product_id": PRODUCT, "clicked_product_ids": CLICKED}
        select = ", ".join(swap.get(c, f'"{c}"') for c in cols)
        dst = str(out).replace("'", "''")
        con.execute(
            f"COPY (SELECT {select} FROM {read}) TO '{dst}' (FORMAT parquet, ROW_GROUP_SIZE 262144)"
        )
    import json

    from ducky.engines.duckdb.idhash import manifest_entry

    manifest = json.loads((args.src / "manifest.json").read_text())
    manifest.update(manifest_entry(args.dst))
    (args.dst / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
