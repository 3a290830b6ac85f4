"""Scale figures: wall time and peak memory of each ducky step on one data directory.

    .venv/bin/python benchmarks/scale.py run --data /tmp/scale-10m --gen-events 10000000 \\
        --out docs/benchmarks/scale-10m.json
    .venv/bin/python benchmarks/scale.py run --data /tmp/d100m --gen-time /tmp/gen100m.time \\
        --workdir /tmp/scale-100m --out docs/benchmarks/scale-100m.json
    .venv/bin/python benchmarks/scale.py table docs/benchmarks/scale-10m.json \\
        docs/benchmarks/scale-100m.json          # the markdown table of docs/SCALE.md

Every step is the real CLI (`python -m ducky ...`) in a fresh process, run as
`flock LOCK /usr/bin/time -v ...`: the wait for the shared lock is outside the timing (other
benchmarks on the machine do not run at the same time), and GNU time gives the wall time and
the process's maximum resident set size (ru_maxrss: the largest process, here the only one).

Steps (fast ones: one unrecorded warm-up, then --runs-fast runs, median; slow ones: one run):
  gen            `ducky gen --events N` into --data (or the figures of a `/usr/bin/time -v` log
                 of an earlier gen, --gen-time, when the directory exists already)        slow
  load_pg        `ducky load -e postgres` into a throwaway local server of our own (its data
                 dir under --workdir, removed at the end); server memory = the peak of the
                 summed PSS of the postmaster and its children, sampled every 0.25 s        slow
  query_*        `ducky query wau|revenue|cohort` on DuckDB (variant optimized: a full scan
                 of the Parquet files, no rollup)                                          fast
  rollup_build   `ducky rollup build -e duckdb`                                            slow
  rollup_*       `ducky query Q -V rollup -o mode=native` (the rollup's answer)         fast
  segment        `ducky segment --embedder local` with a cold embedding cache, then again
                 warm (segment_warm)                                                        slow
  audience       `ducky audience docs/examples/mobile_engaged_browsers.json --count-only`  fast

A source directory that is not ours (--workdir given) is never written: the steps run on a
mirror of it under --workdir (symlinks to its files), so `.ducky/` (validation stamp, rollup
database, embedding cache) and `segments/` land in the mirror.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOCK = "/tmp/ducky-heavy.lock"
AUDIENCE_SPEC = ROOT / "docs" / "examples" / "mobile_engaged_browsers.json"
STEPS = [
    "gen",
    "load_pg",
    "query_wau",
    "query_revenue",
    "query_cohort",
    "rollup_build",
    "rollup_wau",
    "rollup_revenue",
    "rollup_cohort",
    "segment",
    "audience",
]


def parse_time_v(text: str) -> dict[str, float]:
    """Wall seconds, CPU seconds and max RSS (bytes) from GNU `time -v` output."""
    m = re.search(r"Elapsed \(wall clock\) time.*?: (?:(\d+):)?(\d+):([\d.]+)", text)
    if not m:
        raise ValueError("no 'Elapsed (wall clock)' line in the time -v output")
    wall = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))  # type: ignore[union-attr]
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))  # type: ignore[union-attr]
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))  # type: ignore[union-attr]
    return {"wall_s": wall, "cpu_s": user + sys_, "max_rss_bytes": rss_kb * 1024}


class TreeSampler:
    """Peak of the summed PSS of a process and its children (a PostgreSQL server).

    PSS, not RSS: the backends share shared_buffers, and summing RSS would count those pages
    once per backend. Sampled, so a peak shorter than the interval can be missed."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        root = psutil.Process(self.pid)
        while not self._stop.is_set():
            total = 0
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    total += p.memory_full_info().pss  # a backend may exit mid-sample
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def ducky(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ducky", "--data", str(data), *args]


class HeavyLock:
    """The machine's shared `flock` file, re-entrant within this process.

    Taken once per slow step and once for all the fast steps together: dozens of separate
    acquisitions would each queue behind other helpers' jobs (flock is not FIFO). The file
    is opened close-on-exec, so neither ducky nor a PostgreSQL server inherits the lock."""

    def __init__(self, path: str) -> None:
        self.path, self.depth, self.fh = path, 0, None

    def __enter__(self) -> HeavyLock:
        if self.path and self.depth == 0:
            import fcntl

            self.fh = open(self.path, "a")  # held across the with block
            fcntl.flock(self.fh, fcntl.LOCK_EX)
        self.depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self.depth -= 1
        if self.depth == 0 and self.fh is not None:
            self.fh.close()  # releases the flock
            self.fh = None


HEAVY = HeavyLock(LOCK)


def timed(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run cmd under the heavy lock and `/usr/bin/time -v`; figures of the command alone."""
    full = ["/usr/bin/time", "-v", *cmd]
    with HEAVY:
        load_before = os.getloadavg()[0]
        p = subprocess.run(full, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        tail = (p.stderr or "").strip().splitlines()[-25:]
        head = f"error: step failed (exit {p.returncode}): {' '.join(cmd)}"
        raise SystemExit("\n".join([head, *tail]))
    res = parse_time_v(p.stderr)
    res["load_avg_1m_before"] = round(load_before, 2)
    res["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    res["stdout_tail"] = p.stdout.strip().splitlines()[-3:]
    return res


def summarize(runs: list[dict[str, Any]], warmup: bool) -> dict[str, Any]:
    return {
        "runs": runs,
        "n": len(runs),
        "warmup": warmup,
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "max_rss_bytes": max(r["max_rss_bytes"] for r in runs),
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
    }


def mirror(src: Path, dst: Path) -> None:
    """dst = symlinks to src's dataset files, so ducky's writes stay out of src."""
    dst.mkdir(parents=True, exist_ok=True)
    for entry in src.iterdir():
        if entry.name in (".ducky", "segments", ".ready"):
            continue
        link = dst / entry.name
        if not link.exists():
            link.symlink_to(entry)


def machine() -> dict[str, Any]:
    import duckdb

    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "mem_gib": round(int(mem) / 2**20, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "git": rev,
    }


def cmd_run(a: argparse.Namespace) -> None:
    src = Path(a.data).absolute()
    work = Path(a.workdir).absolute() if a.workdir else None
    steps = a.steps.split(",") if a.steps else STEPS
    unknown = set(steps) - set(STEPS) - {"segment_warm"}
    if unknown:
        raise SystemExit(f"error: unknown steps: {', '.join(sorted(unknown))}")
    HEAVY.path = a.lock
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1", "COLUMNS": "120"}
    out = Path(a.out)
    result: dict[str, Any] = (
        json.loads(out.read_text()) if a.append and out.is_file() else {"steps": {}}
    )
    result.update(
        {
            "label": a.label,
            "source": str(src),
            "machine": machine(),
            "lock": a.lock,
            "runs_fast": a.runs_fast,
        }
    )

    def save() -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")

    def record(name: str, cmd_text: str, summary: dict[str, Any]) -> None:
        summary["command"] = cmd_text
        summary["at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        result["steps"][name] = summary
        print(
            f"{name:15s} {summary['wall_s']:9.3f} s  {summary['max_rss_bytes'] / 2**20:8.0f} MiB"
            f"  (n={summary['n']}, load {summary['runs'][-1].get('load_avg_1m_before', '?')})",
            flush=True,
        )
        save()

    if "gen" in steps:
        if a.gen_time:
            res: dict[str, Any] = parse_time_v(Path(a.gen_time).read_text())
            if a.gen_load is not None:
                res["load_avg_1m_before"] = a.gen_load
            cmd_text = Path(a.gen_time).read_text().split('Command being timed: "')[1].split('"')[0]
            record("gen", cmd_text, {**summarize([res], False), "from_log": a.gen_time})
        elif a.gen_events:
            cmd = ducky(src, "gen", "--events", str(a.gen_events), "--force")
            res = timed(cmd, env)
            text = f"ducky --data DATA gen --events {a.gen_events} --force"
            record("gen", text, summarize([res], False))
    data = src
    if work is not None:
        data = work / "data"
        mirror(src, data)
        result["mirror"] = str(data)
    result["events"] = json.loads((data / "manifest.json").read_text())["tables"]["events"]["rows"]
    result["users"] = json.loads((data / "manifest.json").read_text())["tables"]["users"]["rows"]
    result["search_logs"] = json.loads((data / "manifest.json").read_text())["tables"][
        "search_logs"
    ]["rows"]
    scratch = work if work is not None else Path(str(src) + "-scale")

    def fast(name: str, args: list[str], text: str) -> None:
        with HEAVY:
            timed(ducky(data, *args), env)  # warm-up: page cache, validation stamp
            runs = [timed(ducky(data, *args), env) for _ in range(a.runs_fast)]
        record(name, text, summarize(runs, True))

    if "load_pg" in steps:
        free = shutil.disk_usage(scratch.parent).free
        need = a.pg_bytes_per_event * result["events"]
        if free < need * 1.5:
            result["steps"]["load_pg"] = {
                "skipped": f"{free / 2**30:.0f} GiB free, need ~{need / 2**30:.0f} GiB"
            }
            save()
        else:
            sys.path.insert(0, str(ROOT / "src"))
            from ducky.engines.postgres.server import LocalServer

            pgroot = scratch / "pg"
            server = LocalServer(pgroot)
            try:
                dsn = server.start()
                pid = server.postmaster_pid()
                assert pid is not None
                # the DSN (with its password) goes through the environment, never argv or output
                penv = {**env, "DUCKY_PG_DSN": dsn}
                with TreeSampler(pid) as sampler:
                    load = ducky(data, "load", "-e", "postgres", "--no-progress")
                    res = timed(load, penv)
                res["server_peak_pss_bytes"] = sampler.peak
                size = subprocess.run(
                    ["du", "-sb", str(server.pgdata)], capture_output=True, text=True
                ).stdout.split()[0]
                res["pgdata_bytes"] = int(size)
                summary = summarize([res], False)
                summary["server_peak_pss_bytes"] = sampler.peak
                summary["pgdata_bytes"] = int(size)
                record(
                    "load_pg",
                    "DUCKY_PG_DSN=<own local server> "
                    "ducky --data DATA load -e postgres --no-progress",
                    summary,
                )
            finally:
                server.stop()
                shutil.rmtree(pgroot, ignore_errors=True)

    # all the fast steps (and the rollup build between them) under one hold of the lock,
    # taken only when one of them was asked for
    grouped = {"rollup_build", "audience"} | {
        f"{p}_{q}" for p in ("query", "rollup") for q in ("wau", "revenue", "cohort")
    }
    with HEAVY if grouped & set(steps) else contextlib.nullcontext():
        for q in ("wau", "revenue", "cohort"):
            if f"query_{q}" in steps:
                fast(f"query_{q}", ["query", q], f"ducky --data DATA query {q}")
        if "rollup_build" in steps:
            res = timed(ducky(data, "rollup", "build", "-e", "duckdb"), env)
            record(
                "rollup_build", "ducky --data DATA rollup build -e duckdb", summarize([res], False)
            )
        for q in ("wau", "revenue", "cohort"):
            if f"rollup_{q}" in steps:
                # DuckDB keeps its rollups in the native database file, read in mode=native
                fast(
                    f"rollup_{q}",
                    ["query", q, "-V", "rollup", "-o", "mode=native"],
                    f"ducky --data DATA query {q} -V rollup -o mode=native",
                )
        if "audience" in steps:
            fast(
                "audience",
                ["audience", str(AUDIENCE_SPEC), "--count-only"],
                "ducky --data DATA audience "
                "docs/examples/mobile_engaged_browsers.json --count-only",
            )
    if "segment" in steps:
        HEAVY.__enter__()  # cold and warm run back to back under one hold
        shutil.rmtree(data / ".ducky" / "embeddings", ignore_errors=True)  # cold cache
        args = ["segment", "--embedder", "local", "--json"]
        res = timed(ducky(data, *args), env)
        seg = data / "segments" / "summary.json"
        s = summarize([res], False)
        if seg.is_file():
            summ = json.loads(seg.read_text())
            s["segment_summary"] = {
                k: summ.get(k)
                for k in ("users", "k", "log_rows", "distinct_queries", "embedded_now", "timings_s")
                if k in summ
            }
        record("segment", "ducky --data DATA segment --embedder local --json  (cold cache)", s)
        if "segment_warm" in steps or not a.steps:
            res = timed(ducky(data, *args), env)
            record(
                "segment_warm",
                "ducky --data DATA segment --embedder local --json  (warm cache)",
                summarize([res], False),
            )
        HEAVY.__exit__()
    print(f"wrote {out}")


LABELS = {
    "gen": "generate (`gen`)",
    "load_pg": "load PostgreSQL (`load -e postgres`)",
    "query_wau": "WAU full scan (`query wau`)",
    "query_revenue": "revenue full scan (`query revenue`)",
    "query_cohort": "cohort full scan (`query cohort`)",
    "rollup_build": "rollup build (`rollup build -e duckdb`)",
    "rollup_wau": "WAU from rollup (`query wau -V rollup`)",
    "rollup_revenue": "revenue from rollup",
    "rollup_cohort": "cohort from rollup",
    "segment": "segment, cold embedding cache",
    "segment_warm": "segment, warm embedding cache",
    "audience": "audience (`mobile_engaged_browsers.json`)",
}


def fmt_s(x: float) -> str:
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def fmt_b(x: float) -> str:
    return f"{x / 2**20:,.0f} MiB" if x < 2**30 else f"{x / 2**30:.2f} GiB"


def cmd_table(a: argparse.Namespace) -> None:
    small, big = (json.loads(Path(p).read_text()) for p in (a.small, a.big))
    print(
        f"| step | runs | {small['label']} time | {small['label']} peak RSS | "
        f"{big['label']} time | {big['label']} peak RSS | time x | CPU x | RSS x | load avg |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, label in LABELS.items():
        s, b = small["steps"].get(name), big["steps"].get(name)
        if not s and not b:
            continue
        cells = []
        for r in (s, b):
            if not r or "skipped" in r:
                cells += [f"skipped: {r['skipped']}" if r else "n/a", ""]
            else:
                rss = fmt_b(r["max_rss_bytes"])
                if "server_peak_pss_bytes" in r:
                    rss += f" + server {fmt_b(r['server_peak_pss_bytes'])}"
                cells += [fmt_s(r["wall_s"]), rss]
        ok = s and b and "wall_s" in s and "wall_s" in b
        gt = f"{b['wall_s'] / s['wall_s']:.1f}x" if ok else ""
        gm = f"{b['max_rss_bytes'] / s['max_rss_bytes']:.1f}x" if ok else ""
        # CPU seconds of the ducky process: less sensitive than wall time to the other
        # sessions' load on the 2 shared cores (but a PostgreSQL server's CPU is not in it)
        gc = f"{b['cpu_s'] / s['cpu_s']:.1f}x" if ok else ""
        runs = (s or b or {}).get("n", 1)
        runs_txt = f"median of {runs}" if (s or b or {}).get("warmup") else "1"
        # the 1-minute load average before each run (other sessions' work), small / big
        loads = []
        for r in (s, b):
            vals = [
                x["load_avg_1m_before"]
                for x in (r or {}).get("runs", [])
                if "load_avg_1m_before" in x
            ]
            loads.append(f"{statistics.median(vals):.1f}" if vals else "?")
        print(
            f"| {label} | {runs_txt} | {' | '.join(cells)} "
            f"| {gt} | {gc} | {gm} | {' / '.join(loads)} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="measure the steps on one data directory")
    r.add_argument("--data", required=True, help="data directory (generated with --gen-events)")
    r.add_argument("--label", required=True, help="e.g. 10M")
    r.add_argument("--workdir", help="run on a symlink mirror here; --data is left untouched")
    r.add_argument("--gen-events", type=int, help="generate --data with this many events first")
    r.add_argument("--gen-time", help="`/usr/bin/time -v` log of an earlier gen of --data")
    r.add_argument(
        "--gen-load", type=float, help="1-minute load average just before that gen (uptime)"
    )
    r.add_argument("--steps", help=f"comma list of {','.join(STEPS)},segment_warm (default all)")
    r.add_argument("--runs-fast", type=int, default=3)
    r.add_argument("--lock", default=LOCK, help="flock file ('' for none)")
    r.add_argument("--pg-bytes-per-event", type=int, default=200, help="disk estimate for load")
    r.add_argument("--append", action="store_true", help="keep the other steps already in --out")
    r.add_argument("--out", required=True)
    t = sub.add_parser("table", help="markdown table of two runs")
    t.add_argument("small")
    t.add_argument("big")
    a = ap.parse_args()
    {"run": cmd_run, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    main()
