"""The local model on ONNX Runtime: the same fp32 vectors as sentence-transformers on torch
(the real model on both sides), the export cached and reused without torch, and a torch
fallback with a one-line notice when onnxruntime is missing or the export cannot be trusted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ducky.errors import EngineUnavailable, UserError
from ducky.plugins.segment.embed import local
from ducky.plugins.segment.embed.local import LocalEmbedder
from tests.plugins.segment.synth import build

pytestmark = pytest.mark.model

EDGE = [
    "",
    "x",
    "  padded  query  ",
    "Crème brûlée torch — 日本語 émoji 🚀",
    "cheap " * 400,  # truncated at 256 tokens on both runtimes
]


def _real_queries(tmp_path: Path) -> list[str]:
    import pyarrow.parquet as pq

    data = build(tmp_path / "data", users=60)
    logs = pq.read_table(data / "search_logs").column("search_query").to_pylist()
    return sorted(set(logs))


def test_onnx_vectors_equal_torch_vectors(tmp_path: Path, local_model: Any) -> None:
    texts = _real_queries(tmp_path) + EDGE
    assert len(texts) > 100
    onnx = LocalEmbedder(backend="onnx")
    got = onnx.embed(texts)
    assert onnx.backend == "onnx"
    want = local_model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert got.shape == want.shape == (len(texts), 384) and got.dtype == np.float32
    cosine = np.sum(got * want, axis=1)
    assert cosine.min() >= 0.9999
    assert float(np.abs(got - want).max()) < 1e-5
    # batch composition does not change a vector (length buckets, padding, batch of one)
    alone = LocalEmbedder(backend="onnx", batch_size=1).embed(texts[:20])
    np.testing.assert_allclose(alone, got[:20], atol=1e-5)


def test_cached_export_is_reused_without_torch(local_model: Any, ducky_cache_dir: Path) -> None:
    LocalEmbedder(backend="onnx").embed(["laptop"])  # make sure this session has exported
    exports = list(ducky_cache_dir.glob("onnx/*/model.onnx"))
    assert len(exports) == 1
    assert not list(ducky_cache_dir.glob("onnx/*/.*.tmp"))  # nothing half-written left
    mtime = exports[0].stat().st_mtime_ns
    code = (
        "import sys; from ducky.plugins.segment.embed.local import LocalEmbedder; "
        "e = LocalEmbedder(); v = e.embed(['cheap yoga mat']); "
        "print(e.backend, 'torch' in sys.modules, round(float(v[0] @ v[0]), 4))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["onnx", "False", "1.0"]
    assert out.stderr == ""  # no notice, no runtime chatter
    assert exports[0].stat().st_mtime_ns == mtime  # reused, not exported again


def test_missing_onnxruntime_falls_back_to_torch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], local_model: Any
) -> None:
    monkeypatch.setattr(local, "_loaded", {"model": local_model})  # no encoder loaded yet
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` fails
    e = LocalEmbedder()
    v = e.embed(["wireless earbuds", "yoga mat"])
    assert e.backend == "torch"
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "notice: onnxruntime is not installed: the local embedder runs on torch (slower); "
        "pip install 'ducky[segment]'"
    ]
    want = local_model.encode(["wireless earbuds", "yoga mat"], normalize_embeddings=True)
    np.testing.assert_allclose(v, want, atol=1e-6)
    LocalEmbedder().embed(["again"])  # the notice is printed once per process
    assert capsys.readouterr().err == ""
    with pytest.raises(EngineUnavailable, match=r"needs onnxruntime: pip install"):
        LocalEmbedder(backend="onnx").embed(["x"])


def test_untrusted_export_is_never_kept(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    local_model: Any,
) -> None:
    from ducky.plugins.segment.embed import onnx_export

    monkeypatch.setenv("DUCKY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(local, "_loaded", {"model": local_model})
    monkeypatch.setattr(onnx_export, "MAX_ABS_DIFF", -1.0)  # every comparison now "differs"
    e = LocalEmbedder()
    v = e.embed(["espresso machine"])
    assert e.backend == "torch" and v.shape == (1, 384)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert err[0].startswith("notice: exporting the local model to ONNX once for this machine: ")
    assert err[1].startswith("notice: ONNX export failed (the ONNX export differs from the torch")
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []  # nothing kept
    # the model was left as it was (the export switches its attention implementation)
    assert local_model[0].auto_model.config._attn_implementation != "eager"


def test_unknown_backend_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUCKY_EMBED_BACKEND", "tensorflow")
    with pytest.raises(UserError, match="unknown DUCKY_EMBED_BACKEND 'tensorflow'"):
        LocalEmbedder().embed(["x"])
