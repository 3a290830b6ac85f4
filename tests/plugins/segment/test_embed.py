"""Embedders and the cache, against the real local model and a loopback server speaking the
Hugging Face Inference API protocol (its vectors computed by the same real model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from ducky.errors import ConnectionFailed, UserError
from ducky.plugins.segment.embed import normalize_text
from ducky.plugins.segment.embed.cache import EmbeddingCache
from ducky.plugins.segment.embed.hf import HFEmbedder
from ducky.plugins.segment.embed.local import LocalEmbedder
from ducky.plugins.segment.features import normalize_array
from tests.cli_support import run_cli
from tests.plugins.segment.inproc import run_inproc

pytestmark = pytest.mark.model

TEXTS = [
    "wireless earbuds",
    "cheap yoga mat",
    "espresso machine",
    "vitamin c serum",
    "leather jacket",
    "gaming laptop",
    "cast iron skillet",
    "running shoes",
    "perfume",
    "4k monitor",
]


def test_normalization_rules_agree() -> None:
    raw = ["  Cheap\tYOGA   mat ", "Cheap yoga mat", "ÉCLAIR  Pan", "a\n b"]
    expected = ["cheap yoga mat", "cheap yoga mat", "éclair pan", "a b"]
    assert [normalize_text(s) for s in raw] == expected
    assert normalize_array(pa.array(raw)).to_pylist() == expected


def test_local_embedder_unit_vectors(local_model: Any) -> None:
    e = LocalEmbedder()
    v = e.embed(TEXTS)
    assert v.shape == (len(TEXTS), 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # a real model: the nearest text to "a mat for yoga" is "cheap yoga mat"
    probe = e.embed(["a mat for yoga"])[0]
    assert TEXTS[int(np.argmax(v @ probe))] == "cheap yoga mat"
    # batch-invariant: one text alone gives the vector it got inside the batch
    np.testing.assert_allclose(e.embed([TEXTS[3]])[0], v[3], atol=1e-5)
    assert e.texts_embedded == len(TEXTS) + 2


def test_cache_second_run_embeds_nothing(tmp_path: Path, local_model: Any) -> None:
    e = LocalEmbedder()
    cache = EmbeddingCache(tmp_path / "emb")
    first = cache.lookup_or_embed(pa.array(TEXTS[:6]), e)
    assert e.texts_embedded == 6
    again = EmbeddingCache(tmp_path / "emb").lookup_or_embed(pa.array(TEXTS[:6]), e)
    assert e.texts_embedded == 6  # nothing new went to the model
    np.testing.assert_array_equal(first, again)
    mixed = cache.lookup_or_embed(pa.array(TEXTS[4:]), e)  # 2 cached, 4 new
    assert e.texts_embedded == 10
    np.testing.assert_array_equal(mixed[:2], first[4:6])
    assert len(list((tmp_path / "emb").glob("part-*.parquet"))) == 2
    assert not list((tmp_path / "emb").glob(".*"))  # no temp file left behind


def test_hf_vectors_match_local_model_and_batch(hf_server: Any, local_model: Any) -> None:
    hf_server.reset()
    hf = HFEmbedder(
        "sentence-transformers/all-MiniLM-L6-v2",
        token=hf_server.token,
        endpoint=hf_server.url + "/models/all-MiniLM-L6-v2",
        batch_size=4,
    )
    got = hf.embed(TEXTS)
    want = LocalEmbedder().embed(TEXTS)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert hf_server.calls == [4, 4, 2]
    assert hf.texts_embedded == len(TEXTS)


def test_hf_retries_429_and_503(hf_server: Any) -> None:
    hf_server.reset()
    hf_server.fail_next(429, 503)
    hf = HFEmbedder("m", token=hf_server.token, endpoint=hf_server.url, backoff=0.01)
    v = hf.embed(["running shoes"])
    assert v.shape == (1, 384)
    assert hf_server.statuses == [429, 503, 200]
    assert hf.requests == 3


def test_hf_gives_up_after_max_retries(hf_server: Any) -> None:
    hf_server.reset()
    hf_server.fail_next(503, 503, 503)
    hf = HFEmbedder("m", token=hf_server.token, endpoint=hf_server.url, backoff=0.01, max_retries=2)
    with pytest.raises(ConnectionFailed, match="still answers HTTP 503 after 2 retries"):
        hf.embed(["x"])
    assert hf_server.statuses == [503, 503, 503]


def test_hf_401_and_404_are_clear(hf_server: Any) -> None:
    hf_server.reset()
    bad = HFEmbedder("m", token="wrong", endpoint=hf_server.url, backoff=0.01)
    with pytest.raises(ConnectionFailed, match=r"refused the token \(HTTP 401\): check HF_TOKEN"):
        bad.embed(["x"])
    missing = HFEmbedder(
        "org/missing-model",
        token=hf_server.token,
        endpoint=hf_server.url + "/models/missing",
        backoff=0.01,
    )
    with pytest.raises(UserError, match=r"model 'org/missing-model' not found \(HTTP 404\)"):
        missing.embed(["x"])
    assert hf_server.statuses == [401, 404]  # neither is retried


def test_cli_auto_uses_hf_when_token_set_then_cache(
    synth_dir: Path, tmp_path: Path, hf_server: Any
) -> None:
    data = tmp_path / "data"
    shutil.copytree(synth_dir, data, ignore=shutil.ignore_patterns(".ducky", "segments"))
    env = {"HF_TOKEN": hf_server.token, "DUCKY_HF_ENDPOINT": hf_server.url}
    hf_server.reset()
    r = run_inproc("--json", "--data", str(data), "segment", "--k", "6", env=env)
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["embedder"] == "hf"
    # every distinct query, and the taxonomy's descriptions, keywords and the segments' top
    # terms used for naming, went to the server exactly once (the cache holds each text once)
    assert doc["embedded_now"] == doc["distinct_queries"]
    import pyarrow.parquet as pq

    cached = sum(
        pq.read_metadata(f).num_rows for f in (data / ".ducky" / "embeddings").rglob("*.parquet")
    )
    assert sum(hf_server.calls) == cached > doc["distinct_queries"]
    assert doc["quality"]["ari"] == 1.0
    hf_server.reset()
    r = run_inproc("--json", "--data", str(data), "segment", "--k", "6", env=env)
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["embedded_now"] == 0
    assert hf_server.calls == []  # warm cache: the API is not called at all
    # a wrong token is one line and exit 3 (on a copy without cache, so the API is called)
    shutil.rmtree(data / ".ducky")
    r = run_cli("--data", str(data), "segment", env={**env, "HF_TOKEN": "wrong"})
    assert r.code == 3
    assert r.stderr.strip().count("\n") == 0
    assert r.stderr.startswith("error: ") and "HTTP 401" in r.stderr
