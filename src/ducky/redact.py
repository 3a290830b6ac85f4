"""Credentials out of everything ducky prints or logs.

Three layers, because a secret reaches a message in more than one shape:
- a URL's `user:password@` (any scheme: postgresql://, http:// for Elasticsearch or an HF
  endpoint) keeps the user and loses the password;
- `password=...` / `api_key=...` / `token=...` in key=value text (libpq DSNs, driver errors);
- every secret ducky was given (passwords inside URLs on the command line or in DUCKY_*
  variables, DUCKY_ES_PASSWORD, DUCKY_ES_API_KEY, HF_TOKEN) is registered once and replaced
  wherever it shows up, whatever the surrounding text (a driver quoting only the password,
  a percent-encoded copy).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, unquote

MASK = "****"  # as `ducky env` always showed
_URL_CREDS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^\s/@:]*):([^\s/@]*)@")
# The key may be a dotted setting that only contains the word: Spark/Hadoop's
# `spark.hadoop.fs.s3a.secret.key=...` or `fs.azure.account.key.<account>=...`.
_SECRET_WORD = r"(?:password|passwd|pwd|api[_-]?key|token|secret|credentials?|account[_.-]?key)"
_KEY_VALUE = re.compile(
    rf"(?i)\b([\w.-]*{_SECRET_WORD}(?![a-z])[\w.-]*\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^\s,;&]+)"
)
# env vars whose whole value is a secret
SECRET_ENV = ("DUCKY_ES_PASSWORD", "DUCKY_ES_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
_MIN_SECRET = 4  # shorter strings would mask ordinary words; a real password is longer
_secrets: set[str] = set()
_lock = threading.Lock()


def register(secret: str | None) -> None:
    """Remember a secret so that redact() removes it anywhere, in any encoding."""
    if not secret or len(secret) < _MIN_SECRET:
        return
    with _lock:
        _secrets.update({secret, quote(secret, safe=""), unquote(secret)})


def register_from(values: Iterable[str]) -> None:
    """Register the passwords inside URLs/DSNs found in `values` (argv, environment)."""
    for v in values:
        if not isinstance(v, str):
            continue
        for m in _URL_CREDS.finditer(v):
            register(m.group(3))
        for m in _KEY_VALUE.finditer(v):
            register(m.group(2).strip("'\""))


def register_environment() -> None:
    """Secrets ducky may be given through the environment (see SECRET_ENV and URL values)."""
    for name in SECRET_ENV:
        register(os.environ.get(name))
    register_from(v for k, v in os.environ.items() if k.startswith("DUCKY_"))


def redact(text: str) -> str:
    """`text` without credentials: URL passwords, key=value secrets, registered secrets."""
    if not text:
        return text
    out = _URL_CREDS.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", text)
    out = _KEY_VALUE.sub(lambda m: m.group(1) + MASK, out)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
    for s in secrets:
        if s in out:
            out = out.replace(s, MASK)
    return out


_installed = False


def install_logging() -> None:
    """Redact every log record, whichever logger (ducky's, a driver's) emits it."""
    global _installed
    if _installed:
        return
    _installed = True
    factory = logging.getLogRecordFactory()

    def make(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the caller's bug: leave it to logging
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(make)
