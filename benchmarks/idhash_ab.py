"""WAU, revenue and cohort on string ids with and without the writer's `user_id_hash` fact, side
by side in one process (docs/BENCHMARKS.md, "One run: 10M and 100M events").

The second directory is a hard-linked copy of the first (the same files, sizes and times) whose
manifest lacks the fact, so ducky counts the strings themselves, as on files another tool wrote.

    flock /tmp/ducky-heavy.lock python benchmarks/idhash_ab.py /tmp/d100m-str --rounds 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path


def main() -> None:
    from ducky.datasets import DataDir
    from ducky.engines.duckdb import DuckDBEngine
    from ducky.engines.duckdb.idhash import KEY

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", type=Path, help="a data directory whose manifest has the fact")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    manifest = json.loads((args.data / "manifest.json").read_text())
    if not manifest.get(KEY):
        ap.error(f"{args.data}: the manifest has no {KEY} (written by gen --string-ids / ingest)")
    bare = args.data.with_name(args.data.name + "-nofact")
    shutil.rmtree(bare, ignore_errors=True)
    shutil.copytree(args.data, bare, copy_function=lambda s, d: Path(d).hardlink_to(s))
    (bare / "manifest.json").unlink()  # a link to the original's: write a new file instead
    manifest.pop(KEY)
    (bare / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    engines = {
        "with the fact": DuckDBEngine(DataDir(args.data)),
        "without": DuckDBEngine(DataDir(bare)),
    }
    try:
        for name, eng in engines.items():
            eng.load()
            keyed = "HASH(user_id) AS uid" in eng.render("wau", "optimized")
            print(f"{name}: users keyed by {'their hash' if keyed else 'the strings'}")
        for query in ("wau", "revenue", "cohort"):
            answers = {n: e.query(query, "optimized").to_pylist() for n, e in engines.items()}
            assert answers["with the fact"] == answers["without"], f"{query}: answers differ"
            times: dict[str, list[float]] = {n: [] for n in engines}
            for _ in range(args.rounds):
                for name, eng in engines.items():
                    began = time.perf_counter()
                    eng.query(query, "optimized")
                    times[name].append(time.perf_counter() - began)
            for name, ts in times.items():
                rounds = ", ".join(f"{t:.3f}" for t in ts)
                print(f"{query} {name}: median {statistics.median(ts):.3f} s ({rounds})")
    finally:
        for eng in engines.values():
            eng.close()
        shutil.rmtree(bare, ignore_errors=True)


if __name__ == "__main__":
    main()
