"""Exports the local model (transformer + mean pooling + L2 normalization) to ONNX once per
machine, so ONNX Runtime can run the SAME fp32 model faster than torch eager on the CPU.

The file lives in the user cache (`$DUCKY_CACHE_DIR`, else `$XDG_CACHE_HOME/ducky`, else
`~/.cache/ducky`) under a name keyed by the SHA-256 of the shipped weights and config and by
`EXPORT_FORMAT` (bumped when the recipe below changes). It is exported to a temp file, checked
against the torch model on `VERIFY_TEXTS` and only then renamed into place: a crash or a
mismatch never leaves a file that a later run would trust. Because of that check the vectors
are the torch model's within float noise (max abs diff ~2e-7), so the embedding cache stays
keyed by model only."""

from __future__ import annotations

import hashlib
import os
import uuid
import warnings
from pathlib import Path
from typing import Any

EXPORT_FORMAT = 1
OPSET = 17
MAX_ABS_DIFF = 1e-5  # float noise is ~1e-7; anything near 1e-5 means a different computation

# Shapes the traced graph must handle: batch of one, two-token input (empty text), mixed
# lengths in one batch (padding), and a text truncated at max_seq_length.
VERIFY_TEXTS = [
    "",
    "laptop",
    "wireless earbuds under 50",
    "cheap running shoes for women size 8 best price 2025",
    "vitamin c serum",
    "Crème brûlée torch — 日本語 émoji 🚀",
    "summer dress " * 200,
]


def cache_root() -> Path:
    explicit = os.environ.get("DUCKY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "ducky"


def weights_digest(model_dir: Path) -> str:
    """SHA-256 over the files that define the computation (weights, config, tokenizer)."""
    h = hashlib.sha256()
    for name in ("model.safetensors", "config.json", "tokenizer.json", "sentence_bert_config.json"):
        h.update(name.encode())
        with (model_dir / name).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def onnx_path(model_dir: Path) -> Path:
    digest = weights_digest(model_dir)[:16]
    return cache_root() / "onnx" / f"all-MiniLM-L6-v2-{digest}-v{EXPORT_FORMAT}" / "model.onnx"


def _pooled_module(transformer: Any) -> Any:
    import torch

    class Pooled(torch.nn.Module):
        """What sentence-transformers computes: mean over real tokens, then L2-normalize."""

        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            mean = summed / torch.clamp(mask.sum(dim=1), min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return Pooled()


def export(model_dir: Path, target: Path, st: Any) -> None:
    """Export the loaded SentenceTransformer `st`, verify it against torch, then rename into
    `target` (atomic). Raises on mismatch. The caller passes the model in, so this module does
    not import `local` (which imports this one)."""
    import onnx  # noqa: F401  (torch's exporter needs it: fail with an ImportError naming it)
    import torch

    transformer = st[0].auto_model
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.tmp"
    # Eager attention exports as plain MatMul/Softmax, which ONNX Runtime's graph optimizer fuses
    # into its Attention kernel; the SDPA export is not fused and runs slower.
    previous = transformer.config._attn_implementation
    transformer.set_attn_implementation("eager")
    try:
        ids = torch.ones((2, 8), dtype=torch.long)
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
            torch.onnx.export(
                _pooled_module(transformer).eval(),
                (ids, torch.ones_like(ids)),
                str(tmp),
                dynamo=False,  # the dynamo exporter needs onnxscript; this one needs onnx only
                input_names=["input_ids", "attention_mask"],
                output_names=["sentence_embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=OPSET,
            )
        _verify(tmp, model_dir, st)
        os.replace(tmp, target)
    finally:
        transformer.set_attn_implementation(previous)
        tmp.unlink(missing_ok=True)


def _verify(path: Path, model_dir: Path, st: Any) -> None:
    import numpy as np

    from ducky.plugins.segment.embed.onnx_encoder import OnnxEncoder

    expected = st.encode(VERIFY_TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    encoder = OnnxEncoder(path, model_dir, threads=1)
    # one batch (padding inside it) and one text per batch (batch of one, no padding)
    for batch_size in (len(VERIFY_TEXTS), 1):
        got = encoder.encode(VERIFY_TEXTS, batch_size=batch_size)
        diff = float(np.abs(got - expected).max())
        if not diff <= MAX_ABS_DIFF:
            raise RuntimeError(
                f"the ONNX export differs from the torch model (max abs diff {diff:.2e})"
            )
