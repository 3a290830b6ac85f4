"""Plant passwords in every place ducky takes a credential and grep everything it prints
or writes: zero findings. The commands fail (nothing listens on port 1), which is where
secrets used to leak: in the error line, the --debug traceback, and `ducky env`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ducky.redact import redact, register

SECRETS = {
    "data": "PWdata-8c1f",
    "dsn": "PWdsn-47ab",
    "es": "PWes-91d2",
    "hf": "PWhf-3e77",
    "env_es": "PWenv-es-55",
    "env_dsn": "PWenv-dsn-66",
    "es_password": "PWespass-77",
    "spark_conf": "PWs3a-secret-88",
}


def commands(data: Path) -> list[list[str]]:
    s = SECRETS
    return [
        ["--data", f"postgresql://u:{s['data']}@127.0.0.1:1/db", "query", "wau"],
        ["--debug", "--data", f"postgresql://u:{s['data']}@127.0.0.1:1/db", "query", "wau"],
        ["--data", str(data), "load", "-e", "postgres", "--dsn",
         f"host=127.0.0.1 port=1 user=u password={s['dsn']} dbname=x"],
        ["--debug", "--data", str(data), "load", "-e", "postgres", "--dsn",
         f"postgresql://u:{s['dsn']}@127.0.0.1:1/x"],
        ["--data", str(data), "segment", "--embedder", "hf",
         "--hf-endpoint", f"http://u:{s['hf']}@127.0.0.1:1/embed"],
        ["--debug", "--data", str(data), "segment", "--embedder", "hf",
         "--hf-endpoint", f"http://u:{s['hf']}@127.0.0.1:1/embed"],
        ["--data", str(data), "segment", "--es-url", f"http://elastic:{s['es']}@127.0.0.1:1",
         "--push-es"],
        ["--data", str(data), "es", "load", "--es-url", f"http://elastic:{s['es']}@127.0.0.1:1"],
        ["env"],
        ["--json", "env"],
    ]  # fmt: skip


# a dozen whole `ducky` commands as subprocesses
@pytest.mark.integration
def test_no_planted_secret_is_printed_or_written(handmade_dir: Path, tmp_path: Path) -> None:
    env = os.environ | {
        "DUCKY_ES_URL": f"http://elastic:{SECRETS['env_es']}@127.0.0.1:1",
        "DUCKY_PG_DSN": f"host=127.0.0.1 port=1 user=u password={SECRETS['env_dsn']}",
        "DUCKY_ES_PASSWORD": SECRETS["es_password"],
        # a Hadoop setting that only contains the word "secret" (once shown in `ducky env`)
        "DUCKY_SPARK_CONF": f"spark.hadoop.fs.s3a.secret.key={SECRETS['spark_conf']},spark.x=1",
        "DUCKY_STOP_SERVER": "",
    }
    findings, ran = [], 0
    for args in commands(handmade_dir):
        p = subprocess.run(
            [sys.executable, "-m", "ducky", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )
        ran += 1
        assert "Traceback" not in p.stderr or "--debug" in args, p.stderr
        for name, secret in SECRETS.items():
            for stream, text in (("stdout", p.stdout), ("stderr", p.stderr)):
                if secret in text:
                    findings.append(f"{name} in {stream} of {args[:4]}")
    # every file any command wrote (outputs, logs, state) under the run folder and the data
    for root in (tmp_path, handmade_dir):
        for f in root.rglob("*"):
            if f.is_file() and f.stat().st_size < 50_000_000:
                blob = f.read_bytes()
                findings += [f"{n} in {f}" for n, s in SECRETS.items() if s.encode() in blob]
    assert ran == len(commands(handmade_dir))
    assert findings == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://elastic:hunter22@h:9200/x", "http://elastic:****@h:9200/x"),
        ("postgresql://u:p%40ss@h/db", "postgresql://u:****@h/db"),
        ("host=h password='a b c' user=u", "host=h password=**** user=u"),
        ("api_key=abcd1234, next", "api_key=****, next"),
        ("no secret here", "no secret here"),
        (
            "spark.hadoop.fs.s3a.secret.key=AK/x+1,spark.executor.memory=4g",
            "spark.hadoop.fs.s3a.secret.key=****,spark.executor.memory=4g",
        ),
        (
            "fs.azure.account.key.acct.blob.core.windows.net=Zz9==",
            "fs.azure.account.key.acct.blob.core.windows.net=****",
        ),
        ("max_tokens: 512", "max_tokens: 512"),
    ],
)
def test_redact_shapes(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_registered_secret_is_removed_in_any_form() -> None:
    register("s3cr/et@x")
    assert redact("auth failed for s3cr/et@x") == "auth failed for ****"
    assert redact("auth failed for s3cr%2Fet%40x") == "auth failed for ****"
