"""`ducky report --narrate hf`: the brief's prose rephrased through huggingface_hub's chat
completion against a loopback server speaking that protocol; invented numbers are dropped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from tests.fixtures.hf_chat_server import INVENTED, TOKEN, ChatServer, hf_chat_server  # noqa: F401
from tests.report.test_report_brief import NUM, split


def _env(server: ChatServer, token: str = TOKEN) -> dict[str, str]:
    return {"HF_TOKEN": token, "DUCKY_NARRATE_ENDPOINT": server.url}


# a loopback chat server and a whole `ducky report` run (matplotlib charts, every section)
@pytest.mark.integration
def test_narrated_brief_keeps_only_checked_numbers(
    hf_chat_server: ChatServer,  # noqa: F811
    handmade_dir: Path,
    tmp_path: Path,
) -> None:
    out = tmp_path / "r.html"
    r = run_cli(
        "--data", str(handmade_dir), "report", "--out", str(out),
        "--narrate", "hf", "--narrate-model", "test/chat-model",
        env=_env(hf_chat_server),
    )  # fmt: skip
    assert r.code == 0, r.stderr
    page = out.read_text()
    brief, evidence = split(page)
    # one request per part with prose (business and retention on this data: no bench, no
    # segmentation run), in the chat-completion shape, with the model asked for
    assert len(hf_chat_server.requests) == 2
    for body in hf_chat_server.requests:
        assert body["model"] == "test/chat-model"
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
        assert "Copy every number exactly" in body["messages"][0]["content"]
    # the model's rewording is used, its invented figure is not
    assert "In short, revenue " in brief
    assert "37.5" not in page and INVENTED not in page
    assert "Prose rephrased by hf:test/chat-model" in brief
    assert not {n for n in NUM.findall(brief) if n not in evidence}


# a loopback chat server and a whole `ducky report` run (matplotlib charts, every section)
@pytest.mark.integration
def test_narration_with_a_wrong_token_is_one_line(
    hf_chat_server: ChatServer,  # noqa: F811
    handmade_dir: Path,
    tmp_path: Path,
) -> None:
    r = run_cli(
        "--data", str(handmade_dir), "report", "--out", str(tmp_path / "r.html"),
        "--narrate", "hf", env=_env(hf_chat_server, "hf_wrong"),
    )  # fmt: skip
    assert r.code != 0 and len(r.stderr.splitlines()) == 1
    assert re.match(r"error: narration failed: .* HTTP 401 \(check HF_TOKEN\)", r.stderr)
    assert "hf_wrong" not in r.stderr and "Traceback" not in r.stderr
    assert hf_chat_server.statuses == [401]


def test_narration_without_token_is_one_line(handmade_dir: Path, tmp_path: Path) -> None:
    r = run_cli(
        "--data", str(handmade_dir), "report", "--out", str(tmp_path / "r.html"),
        "--narrate", "hf", env={"HF_TOKEN": "", "DUCKY_NARRATE_ENDPOINT": ""},
    )  # fmt: skip
    assert r.code == 2
    assert r.stderr == "error: --narrate hf needs a Hugging Face token in HF_TOKEN\n"


# a whole `ducky report` run (matplotlib charts, every section)
@pytest.mark.integration
def test_template_prose_is_the_default(handmade_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    r = run_cli("--data", str(handmade_dir), "report", "--out", str(out))
    assert r.code == 0, r.stderr
    brief, _ = split(out.read_text())
    assert brief.count("Revenue ") >= 1 and "rephrased" not in brief
