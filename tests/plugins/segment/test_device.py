"""`--device auto|cpu|cuda` for the local embedder, on a machine without a GPU (CI's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ducky.errors import EngineUnavailable, UserError
from ducky.plugins.segment.embed import make_embedder
from ducky.plugins.segment.embed.local import cuda_available, resolve_device
from tests.cli_support import run_cli
from tests.plugins.segment.inproc import run_inproc

no_gpu = pytest.mark.skipif(cuda_available(), reason="this machine has a CUDA device")


def test_cpu_is_always_cpu() -> None:
    assert resolve_device("cpu") == "cpu"
    assert make_embedder("local", device="cpu").device == "cpu"  # type: ignore[attr-defined]


@no_gpu
def test_auto_without_gpu_is_cpu_and_cuda_is_refused() -> None:
    assert resolve_device("auto") == "cpu"
    with pytest.raises(EngineUnavailable, match="--device cuda: torch sees no CUDA device"):
        resolve_device("cuda")
    with pytest.raises(UserError, match="unknown device 'tpu'"):
        resolve_device("tpu")


@no_gpu
def test_cli_device_cuda_without_gpu_is_one_line(synth_dir: Path) -> None:
    r = run_cli("--data", str(synth_dir), "segment", "--embedder", "local", "--device", "cuda")
    assert r.code == 2
    assert r.stderr.strip() == (
        "error: --device cuda: torch sees no CUDA device here (use auto or cpu)"
    )


@pytest.mark.model
def test_cli_reports_the_device(warm_synth_dir: Path, tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(warm_synth_dir, data)
    r = run_inproc("--json", "--data", str(data), "segment", "--embedder", "local")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["device"] == ("cuda" if cuda_available() else "cpu")
