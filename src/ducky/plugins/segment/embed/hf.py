"""The Hugging Face Inference API embedder (`huggingface_hub.InferenceClient.feature_extraction`):
batches, retries with exponential backoff on 429/503 and turns 401/404 into one clear line."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ducky.errors import ConnectionFailed, UserError

if TYPE_CHECKING:
    import numpy as np

RETRY_STATUSES = (429, 502, 503, 504)


class HFEmbedder:
    kind = "hf"

    def __init__(
        self,
        model: str,
        token: str | None = None,
        endpoint: str | None = None,
        batch_size: int = 64,
        max_retries: int = 5,
        backoff: float = 1.0,
        timeout: float = 60.0,
    ) -> None:
        self.model = model
        self.token = token
        self.endpoint = endpoint  # a URL speaking the same protocol (Inference Endpoint, tests)
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.backoff = backoff
        self.timeout = timeout
        self.texts_embedded = 0
        self.requests = 0
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            from huggingface_hub import InferenceClient

            # A URL as `model` makes the client POST to it as is; a model id goes to the
            # serverless hf-inference provider.
            if self.endpoint:
                self._client = InferenceClient(
                    model=self.endpoint, token=self.token, timeout=self.timeout
                )
            else:
                self._client = InferenceClient(
                    model=self.model,
                    provider="hf-inference",
                    token=self.token,
                    timeout=self.timeout,
                )
        return self._client

    def _one_batch(self, batch: list[str]) -> np.ndarray:
        import numpy as np
        from huggingface_hub.errors import HfHubHTTPError

        client = self._get_client()
        where = self.endpoint or f"the Hugging Face Inference API ({self.model})"
        for attempt in range(self.max_retries + 1):
            self.requests += 1
            try:
                out = client.feature_extraction(batch)
            except HfHubHTTPError as e:
                status = e.response.status_code if e.response is not None else None
                if status in RETRY_STATUSES and attempt < self.max_retries:
                    retry_after = e.response.headers.get("retry-after") if e.response else None
                    wait = self.backoff * (2**attempt)
                    if retry_after and retry_after.replace(".", "", 1).isdigit():
                        wait = max(wait, float(retry_after))
                    time.sleep(min(wait, 60.0))
                    continue
                if status == 401:
                    raise ConnectionFailed(
                        f"{where} refused the token (HTTP 401): check HF_TOKEN"
                    ) from e
                if status == 403:
                    raise ConnectionFailed(f"{where}: access denied (HTTP 403)") from e
                if status == 404:
                    raise UserError(
                        f"{where}: model {self.model!r} not found (HTTP 404): check --model"
                    ) from e
                if status in RETRY_STATUSES:
                    raise ConnectionFailed(
                        f"{where} still answers HTTP {status} after {self.max_retries} retries"
                    ) from e
                raise ConnectionFailed(f"{where} failed: HTTP {status}") from e
            except Exception as e:
                if type(e).__name__ in {"ConnectError", "ConnectTimeout", "InferenceTimeoutError"}:
                    raise ConnectionFailed(f"cannot reach {where}: {e}") from e
                raise
            arr = np.asarray(out, dtype=np.float32)
            if arr.ndim == 3:  # token-level output: mean-pool like sentence-transformers would
                arr = arr.mean(axis=1)
            if arr.ndim != 2 or arr.shape[0] != len(batch):
                raise ConnectionFailed(
                    f"{where} returned an unexpected shape {arr.shape} for {len(batch)} texts"
                )
            norms = np.linalg.norm(arr, axis=1, keepdims=True)
            return arr / np.maximum(norms, 1e-12)
        raise AssertionError("unreachable")  # pragma: no cover

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        parts = [
            self._one_batch(texts[i : i + self.batch_size])
            for i in range(0, len(texts), self.batch_size)
        ]
        self.texts_embedded += len(texts)
        return np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)
