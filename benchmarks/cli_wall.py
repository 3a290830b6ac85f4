"""Wall time of whole `ducky` processes, start-up included, stdout piped (docs/BENCHMARKS.md,
"CLI wall times"): `query wau` on a tiny shop and the three rollup answers on a large one.

    ducky --data /tmp/cli-tiny gen --events 20000 --users 500 --months 2
    ducky --data /tmp/d100m rollup build -e duckdb
    flock /tmp/ducky-heavy.lock python benchmarks/cli_wall.py --tiny /tmp/cli-tiny --big /tmp/d100m

Each command runs twice as a warm-up, then --runs times; the median, min and max are printed.
Compile the package's .pyc files first (`python -m compileall -q src`), as an install has them.
A command that fails stops the run (its own message is printed above).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _time(args: list[str], runs: int) -> list[float]:
    for _ in range(2):
        subprocess.run(args, stdout=subprocess.DEVNULL, check=True)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(args, stdout=subprocess.PIPE, check=True)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tiny", type=Path, required=True, help="a small generated data directory")
    ap.add_argument("--big", type=Path, required=True, help="a data directory with rollups built")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    for d in (args.tiny, args.big):
        if not (d / "manifest.json").is_file():
            ap.error(f"{d} is not a ducky data directory (no manifest.json)")
    native = ["-V", "rollup", "-o", "mode=native"]
    commands = [
        ["--data", str(args.tiny), "query", "wau"],
        *(["--data", str(args.big), "query", q, *native] for q in ("wau", "revenue", "cohort")),
    ]
    print(f"| command (stdout piped) | median of {args.runs} | min | max |")
    print("|---|---:|---:|---:|")
    for c in commands:
        try:
            ts = _time([sys.executable, "-m", "ducky", *c], args.runs)
        except subprocess.CalledProcessError as e:
            sys.exit(f"`ducky {' '.join(c)}` failed (exit {e.returncode}; its message is above)")
        med = statistics.median(ts)
        print(f"| `ducky {' '.join(c)}` | {med:.3f} s | {min(ts):.3f} s | {max(ts):.3f} s |")


if __name__ == "__main__":
    main()
