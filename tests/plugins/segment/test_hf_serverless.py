"""The Hugging Face Inference API's default serverless path (a model id, no endpoint URL):
`InferenceClient(model=id, provider="hf-inference").feature_extraction` first asks the Hub
`GET {HF_ENDPOINT}/api/models/{id}` whether the model does feature extraction, then POSTs
`{"inputs": [...]}` to `https://router.huggingface.co/hf-inference/models/{id}/pipeline/
feature-extraction`. A loopback server speaks exactly those two routes and embeds with the
offline all-MiniLM-L6-v2; only the two hosts are pointed at it (the library's own constants),
so the client's URL building, payload and error mapping are the real ones."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from ducky.errors import ConnectionFailed, UserError
from ducky.plugins.segment.embed.hf import HFEmbedder

pytestmark = pytest.mark.model

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
TOKEN = "hf_serverless_test_token"
ROUTE = f"/hf-inference/models/{MODEL}/pipeline/feature-extraction"


class Router:
    def __init__(self) -> None:
        self.paths: list[tuple[str, str]] = []
        self.script: list[int] = []
        self.lock = threading.Lock()


@pytest.fixture
def router(local_model: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Router]:
    from huggingface_hub import constants
    from huggingface_hub.inference._providers import PROVIDERS
    from huggingface_hub.inference._providers.hf_inference import _check_supported_task

    state = Router()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # the Hub's model info
            with state.lock:
                state.paths.append(("GET", self.path))
            if self.path.split("?")[0] != f"/api/models/{MODEL}":
                return self._send(
                    404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
                )
            tags = ["sentence-transformers", "feature-extraction", "sentence-similarity"]
            return self._send(
                200,
                {
                    "id": MODEL,
                    "modelId": MODEL,
                    "pipeline_tag": "sentence-similarity",
                    "tags": tags,
                },
            )

        def do_POST(self) -> None:  # the router's feature-extraction pipeline
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            with state.lock:
                state.paths.append(("POST", self.path))
                scripted = state.script.pop(0) if state.script else None
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._send(401, {"error": "Invalid credentials in Authorization header"})
            if self.path != ROUTE:
                return self._send(404, {"error": "Model not found"})
            if scripted is not None:
                return self._send(scripted, {"error": "busy"}, {"Retry-After": "0"})
            texts = body["inputs"]
            return self._send(200, local_model.encode(texts).tolist())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(
        PROVIDERS["hf-inference"]["feature-extraction"], "base_url", url + "/hf-inference"
    )
    _check_supported_task.cache_clear()  # model info is cached per process
    try:
        yield state
    finally:
        _check_supported_task.cache_clear()
        server.shutdown()
        server.server_close()


def test_serverless_model_id_path_gives_the_local_models_vectors(
    router: Router, local_model: Any
) -> None:
    texts = ["grain free dog food", "rtx 4070 graphics card", "baby stroller lightweight"]
    got = HFEmbedder(MODEL, token=TOKEN, batch_size=2).embed(texts)
    want = local_model.encode(texts, normalize_embeddings=True)
    assert got.shape == (3, 384) and float(np.min(np.sum(got * want, axis=1))) > 0.9999
    posts = [p for m, p in router.paths if m == "POST"]
    assert posts == [ROUTE, ROUTE]  # batches of 2 + 1, on the router's provider route
    assert ("GET", f"/api/models/{MODEL}") in [(m, p.split("?")[0]) for m, p in router.paths]


def test_serverless_401_404_429_503(router: Router, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(
        ConnectionFailed, match=r"refused the token \(HTTP 401\): check HF_TOKEN"
    ) as e401:
        HFEmbedder(MODEL, token="hf_wrong_secret", backoff=0.01).embed(["x"])
    assert "hf_wrong_secret" not in str(e401.value)
    with pytest.raises(UserError, match=r"model 'org/missing' not found \(HTTP 404\)"):
        HFEmbedder("org/missing", token=TOKEN, backoff=0.01).embed(["x"])
    router.script[:] = [429, 503]
    ok = HFEmbedder(MODEL, token=TOKEN, backoff=0.01).embed(["dog bed"])
    assert ok.shape == (1, 384)
    router.script[:] = [503] * 3
    with pytest.raises(ConnectionFailed, match=r"still answers HTTP 503 after 2 retries"):
        HFEmbedder(MODEL, token=TOKEN, backoff=0.01, max_retries=2).embed(["x"])
    assert TOKEN not in capsys.readouterr().err


def test_cli_serverless_401_is_one_line_without_the_token(
    router: Router, synth_dir: Any, tmp_path: Any
) -> None:
    import shutil

    from tests.plugins.segment.inproc import run_inproc

    data = tmp_path / "data"
    # without any embedding cache: the same model id run locally (other tests) would answer
    # from the cache and never call the API
    shutil.copytree(synth_dir, data, ignore=shutil.ignore_patterns("embeddings"))
    r = run_inproc(
        "--data", str(data), "segment", "--embedder", "hf", "--model", MODEL,
        env={"HF_TOKEN": "hf_wrong_secret_cli"},
    )  # fmt: skip
    assert r.code != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "HTTP 401" in lines[0], r.stderr
    assert "hf_wrong_secret_cli" not in r.stderr + r.stdout
