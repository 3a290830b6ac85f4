"""Query embeddings: a small `Embedder` interface, a local and a Hugging Face implementation,
and an on-disk cache keyed by (model, normalized text)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol

from ducky.errors import UserError

if TYPE_CHECKING:
    import numpy as np

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors of one model."""

    model: str
    kind: str
    texts_embedded: int  # how many texts this instance sent to the model (cache hits excluded)

    def embed(self, texts: list[str]) -> np.ndarray: ...


def normalize_text(text: str) -> str:
    """The cache key's text: lower case, whitespace collapsed (same rule as `normalize_array`)."""
    return " ".join(text.lower().split())


def make_embedder(
    kind: str = "auto",
    model: str | None = None,
    token: str | None = None,
    endpoint: str | None = None,
    device: str = "auto",
) -> Embedder:
    """`auto` is the HF Inference API when a token is set (HF_TOKEN), else the local model."""
    token = token if token is not None else os.environ.get("HF_TOKEN") or None
    endpoint = endpoint or os.environ.get("DUCKY_HF_ENDPOINT") or None
    if kind == "auto":
        kind = "hf" if token else "local"
    if kind == "local":
        from ducky.plugins.segment.embed.local import LocalEmbedder

        if model not in (None, DEFAULT_MODEL):
            raise UserError(
                f"the local embedder only ships {DEFAULT_MODEL}; use --embedder hf for {model}"
            )
        from ducky.plugins.segment.embed.local import resolve_device

        return LocalEmbedder(device=resolve_device(device))
    if kind == "hf":
        from ducky.plugins.segment.embed.hf import HFEmbedder

        if not token and not endpoint:
            raise UserError("--embedder hf needs a Hugging Face token: set HF_TOKEN")
        return HFEmbedder(model or DEFAULT_MODEL, token=token, endpoint=endpoint)
    raise UserError(f"unknown embedder {kind!r}: use auto, hf or local")
