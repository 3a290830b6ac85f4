"""PostgreSQL DSNs whose password holds what a URL should have had percent-encoded ('/', '@',
a space, '&' in a query parameter), or what a keyword DSN quotes (',', ';', an escaped quote).
libpq misreads such a DSN and its error quotes a piece of the password (as a host, a port,
a database, a query parameter); ducky must print none of it, in any encoding, anywhere: the
error line (one line, exit 3: docs/POSTGRES.md), --debug, --json, `ducky env`.

Every password holds the marker "S3cret", which nothing else in these DSNs does: the marker
anywhere in the output is a leak. Nothing listens on 127.0.0.1:1, so every command fails."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from ducky.redact import redact, register_from
from tests.cli_support import Result, run_cli

MARK = "S3cret"
HOST = "127.0.0.1:1"

# URLs libpq misreads, and the password each one means
MISREAD = {
    "slash": (f"postgresql://shop_ro:Ro/{MARK}Slash@{HOST}/shopdb", f"Ro/{MARK}Slash"),
    "space": (f"postgresql://shop_ro:Ro {MARK}Space@{HOST}/shopdb", f"Ro {MARK}Space"),
    "at": (f"postgresql://shop_ro:Ro@{MARK}At@{HOST}/shopdb", f"Ro@{MARK}At"),
    "slash-at-colon": (f"postgresql://shop_ro:a:b/{MARK}@x@{HOST}/shopdb", f"a:b/{MARK}@x"),
    "query-amp": (f"postgresql://shop_ro@{HOST}/shopdb?password=Amp&{MARK}", f"Amp&{MARK}"),
    "query-amp-eq": (
        f"postgresql://shop_ro@{HOST}/shopdb?password=Amp&{MARK}=x&sslmode=disable",
        f"Amp&{MARK}=x",
    ),
}
# DSNs libpq reads as meant (each worked before: kept here as the guard of the shapes the
# parser above must not break)
READ_AS_MEANT = [
    f"postgresql://shop_ro:p%40{MARK}Pct@{HOST}/shopdb",
    f"postgresql://shop_ro:Ro%2F{MARK}%20x@{HOST}/shopdb",
    f"postgresql://shop_ro:Ro#{MARK}Hash@{HOST}/shopdb",
    f"postgresql://shop_ro:Ro?{MARK}Q@{HOST}/shopdb",
    f"postgresql://shop_ro:Ro'{MARK}\"Quote@{HOST}/shopdb",
    f"postgresql://shop_ro@{HOST}/shopdb?password=Amp%26{MARK}&sslmode=disable",
    f"host=127.0.0.1 port=1 user=shop_ro password='a {MARK} b' dbname=shopdb",
    f"host=127.0.0.1 port=1 user=shop_ro password=a;{MARK},&b dbname=shopdb",
    f"host=127.0.0.1 port=1 user=shop_ro password='it\\'s {MARK}' dbname=shopdb",
    f"host=127.0.0.1 port=1 user=shop_ro sslpassword={MARK}Ssl dbname=shopdb",
]


def _forms(password: str) -> set[str]:
    """The password as written, decoded, encoded: none may be printed."""
    return {password, unquote(password), quote(password, safe=""), quote(unquote(password))}


def _assert_clean(r: Result, *secrets: str) -> None:
    text = r.stdout + r.stderr
    assert MARK not in text, text
    for s in secrets:
        for form in _forms(s):
            assert form not in text, (form, text)


def _assert_one_line(r: Result, code: int = 3) -> None:
    lines = r.stderr.strip().splitlines()
    assert r.code == code, r.stderr
    assert len(lines) == 1 and lines[0].startswith("error: postgres"), r.stderr


def _env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("DUCKY_")}
    return keep | {"DUCKY_STOP_SERVER": ""} | extra


@pytest.mark.integration
@pytest.mark.parametrize("case", sorted(MISREAD))
def test_misread_url_in_data_is_one_line_without_the_password(case: str, tmp_path: Path) -> None:
    dsn, password = MISREAD[case]
    r = run_cli("--data", dsn, "query", "wau", env=_env(), cwd=tmp_path)
    _assert_one_line(r)
    assert "malformed DSN" in r.stderr and "shop_ro@127.0.0.1:1/shopdb" in r.stderr
    _assert_clean(r, password)


@pytest.mark.integration
def test_misread_url_under_debug_json_and_env_variables(tmp_path: Path) -> None:
    dsn, password = MISREAD["slash"]
    for args, env in (
        (["--debug", "--data", dsn, "query", "wau"], _env()),
        (["--json", "--data", dsn, "query", "wau"], _env()),
        (["query", "wau"], _env(DUCKY_DATA=dsn)),
    ):
        r = run_cli(*args, env=env, cwd=tmp_path)
        assert r.code == 3, r.stderr
        _assert_clean(r, password)
    # an at-sign leaks by another path (libpq's host 'S3cretAt@127.0.0.1')
    dsn, password = MISREAD["at"]
    r = run_cli("--debug", "--data", dsn, "query", "wau", env=_env(), cwd=tmp_path)
    assert r.code == 3
    _assert_clean(r, password)


@pytest.mark.integration
def test_dsn_option_engine_option_and_variable(handmade_dir: Path, tmp_path: Path) -> None:
    data = str(handmade_dir)
    for case in ("slash", "space", "query-amp"):
        dsn, password = MISREAD[case]
        r = run_cli("--data", data, "query", "wau", "-e", "postgres", "-o", f"dsn={dsn}",
                    env=_env(), cwd=tmp_path)  # fmt: skip
        _assert_one_line(r)
        _assert_clean(r, password)
        r = run_cli("--data", data, "query", "wau", "-e", "postgres",
                    env=_env(DUCKY_PG_DSN=dsn), cwd=tmp_path)  # fmt: skip
        _assert_one_line(r)
        _assert_clean(r, password)
        r = run_cli("--data", data, "load", "-e", "postgres", "--dsn", dsn,
                    env=_env(), cwd=tmp_path)  # fmt: skip
        # a DSN that cannot connect is exit 3 on load as everywhere (docs/POSTGRES.md)
        assert r.code == 3 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "malformed DSN" in r.stderr
        _assert_clean(r, password)


@pytest.mark.integration
def test_every_dsn_shape_fails_in_one_line_without_the_password(tmp_path: Path) -> None:
    """All shapes in one run (most leaked nothing before: the misread ones are the test)."""
    for dsn in [d for d, _ in MISREAD.values()] + READ_AS_MEANT:
        data = dsn if dsn.startswith("postgresql://") else None
        args = ["--data", data] if data else ["-o", f"dsn={dsn}", "-e", "postgres"]
        r = run_cli(*args[:2], "query", "wau", *args[2:], env=_env(), cwd=tmp_path)
        assert MARK not in r.stdout + r.stderr, (dsn, r.stderr)
        if data:
            _assert_one_line(r)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        (f"postgresql://u:a/{MARK}Slash@h/db", "postgresql://u:****@h/db"),
        (f"postgresql://u:Ro {MARK}Space@h/db", "postgresql://u:****@h/db"),
        (f"postgresql://u:Ro@{MARK}At@h:5432/db", "postgresql://u:****@h:5432/db"),
        (f"postgresql://u@h/db?password=Amp&{MARK}", "postgresql://u@h/db?password=****"),
        (
            f"postgresql://u@h/db?password=Amp&{MARK}=x&sslmode=disable",
            "postgresql://u@h/db?password=****&sslmode=disable",
        ),
        (f"host=h password=a;{MARK},&b dbname=x", "host=h password=**** dbname=x"),
        (f"host=h password='it\\'s {MARK}' dbname=x", "host=h password=**** dbname=x"),
        (
            f"host=h sslpassword={MARK};x passfile=/home/u/.pgpass",
            "host=h sslpassword=**** passfile=/home/u/.pgpass",
        ),
    ],
)
def test_env_shows_no_password(dsn: str, shown: str, tmp_path: Path) -> None:
    r = run_cli("--json", "env", env=_env(DUCKY_PG_DSN=dsn), cwd=tmp_path)
    assert r.code == 0, r.stderr
    doc = {v["name"]: v["value"] for v in json.loads(r.stdout)["variables"]}
    assert doc["DUCKY_PG_DSN"] == shown
    assert MARK not in r.stdout + r.stderr
    r = run_cli("env", env=_env(DUCKY_PG_DSN=dsn), cwd=tmp_path)
    assert r.code == 0 and MARK not in r.stdout + r.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"postgresql://u:a/{MARK}@h/db", "postgresql://u:****@h/db"),
        (f"postgresql://u:Ro@{MARK}At@h:1/db", "postgresql://u:****@h:1/db"),
        (f"x?password=Amp&{MARK}&sslmode=disable", "x?password=****&sslmode=disable"),
        (f"host=h password='it\\'s {MARK}' user=u", "host=h password=**** user=u"),
        (f"host=h password='unclosed {MARK}", "host=h password=****"),
    ],
)
def test_redact_shapes_of_misread_passwords(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_registered_url_password_is_masked_whole_decoded_encoded_and_in_pieces() -> None:
    register_from([f"postgresql://u:Ro {MARK}Reg/x%40yz@h/db"])
    for shown in (
        f'unexpected spaces found in "Ro {MARK}Reg/x%40yz"',  # as written
        f"password Ro {MARK}Reg/x@yz",  # decoded
        f"Ro%20{MARK}Reg%2Fx%40yz",  # encoded
        f"failed to resolve host 'Ro {MARK}Reg'",  # libpq's host: the piece before the '/'
    ):
        assert MARK not in redact(shown), shown
        assert "****" in redact(shown)
