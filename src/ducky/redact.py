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
from urllib.parse import quote, quote_plus, unquote

MASK = "****"  # as `ducky env` always showed
# A URL's `user:password@` in free text. The password may hold what a URL should have had
# percent-encoded ('/', '@', '?', '#'): it runs to the first '@' that a host follows (a host
# list, then the end, a path, a query or a space), not to the first '/' or '@'.
_HOST_AFTER = r"[\w.\-\[\]%:,]*(?=[/?#\s'\"<>);]|$)"
_URL_CREDS = re.compile(rf"(?im)\b([a-z][a-z0-9+.\-]*://)([^\s/@:]*):(\S*?)@(?={_HOST_AFTER})")
_SCHEME = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*://")
_HOST_THEN_END = re.compile(_HOST_AFTER)
# The key may be a dotted setting that only contains the word: Spark/Hadoop's
# `spark.hadoop.fs.s3a.secret.key=...` or `fs.azure.account.key.<account>=...`.
_SECRET_WORD = r"(?:password|passwd|pwd|api[_-]?key|token|secret|credentials?|account[_.-]?key)"
_SECRET_KEY = re.compile(rf"(?i)[\w.-]*{_SECRET_WORD}(?![a-z])[\w.-]*")
# The value: already masked (left as it is), quoted (backslash escapes as libpq reads them;
# an unclosed quote hides the rest of the line), or bare up to a separator. In a URL query,
# `&S3cret` that is no `key=` is still the value (an unencoded '&' in a password), not the
# next parameter.
_KEY_VALUE = re.compile(
    rf"(?im)\b([\w.-]*{_SECRET_WORD}(?![a-z])[\w.-]*\s*[=:]\s*)"
    r"((?:'\*{4}'?|\"\*{4}\"?|\*{4})(?=[\s,;&'\"]|$)"
    r"|'(?:[^'\\\n]|\\.)*(?:'|$)|\"(?:[^\"\\\n]|\\.)*(?:\"|$)"
    r"|[^\s,;&]+(?:&[^\s,;&=]+(?=[\s,;&]|$))*)"
)
# libpq's keyword/value DSN: `password=` runs to the next space (or is quoted), whatever
# it holds (',', ';', '&'); backslash escapes.
_LIBPQ_SECRET = re.compile(
    r"(?i)(?:^|(?<=\s))((?:ssl)?password|oauth_client_secret)\s*=\s*"
    r"('(?:[^'\\]|\\.)*(?:'|$)|(?:\\.|[^\s\\])+)"
)
# libpq's connection keywords: in a postgresql:// query, `&word=` starts a new parameter only
# when `word` is one of these (anything else is still the password before it).
LIBPQ_KEYS = frozenset(
    (
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "passfile",
        "require_auth",
        "channel_binding",
        "connect_timeout",
        "client_encoding",
        "options",
        "application_name",
        "fallback_application_name",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "replication",
        "gssencmode",
        "sslmode",
        "sslnegotiation",
        "requiressl",
        "sslcompression",
        "sslcert",
        "sslkey",
        "sslkeylogfile",
        "sslpassword",
        "sslcertmode",
        "sslrootcert",
        "sslcrl",
        "sslcrldir",
        "sslsni",
        "requirepeer",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "min_protocol_version",
        "max_protocol_version",
        "krbsrvname",
        "gsslib",
        "gssdelegation",
        "service",
        "target_session_attrs",
        "load_balance_hosts",
        "scram_client_key",
        "scram_server_key",
        "oauth_issuer",
        "oauth_client_id",
        "oauth_client_secret",
        "oauth_scope",
    )
)
_QUERY_KEY = re.compile(r"[?&]([\w.-]+)=")
_SPLITS = re.compile(r"[/@&=]+")  # where a misread URL password falls apart (register_password)
# env vars whose whole value is a secret
SECRET_ENV = ("DUCKY_ES_PASSWORD", "DUCKY_ES_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
_MIN_SECRET = 4  # shorter strings would mask ordinary words; a real password is longer
_secrets: set[str] = set()
_lock = threading.Lock()


def register(secret: str | None) -> None:
    """Remember a secret so that redact() removes it anywhere, in any encoding."""
    if not secret or len(secret) < _MIN_SECRET:
        return
    decoded = unquote(secret)
    forms = {
        secret,
        decoded,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        quote(decoded, safe=""),
        quote(decoded),
        quote_plus(decoded),
    }
    with _lock:
        _secrets.update(f for f in forms if len(f.strip()) >= _MIN_SECRET)


def register_password(password: str | None) -> None:
    """register() a URL's password and, when it holds what libpq splits a URL on ('/', '@',
    '&', '='), each piece: a driver that misread the DSN echoes a piece (as a host name, a
    port, a database, a query parameter), never the whole."""
    if not password:
        return
    register(password)
    if _SPLITS.search(password):
        for piece in _SPLITS.split(password):
            register(piece)


def url_passwords(value: str) -> list[str]:
    """Every string that may be a password in the URLs inside `value` (a whole argument or
    variable, so spaces count as part of it): what sits between the userinfo's first ':' and
    each '@' that a host follows (a password may hold an unencoded '/', '@' or space, so the
    last such '@' is as possible as the first), and the values of secret query parameters
    (`?password=`, `sslpassword=`), up to the next real parameter."""
    out: list[str] = []
    for m in _SCHEME.finditer(value):
        rest = value[m.end() :]
        nxt = _SCHEME.search(rest)
        if nxt:
            rest = rest[: nxt.start()]
        for at in (i for i, c in enumerate(rest) if c == "@"):
            if _HOST_THEN_END.match(rest, at + 1):
                _user, sep, password = rest[:at].partition(":")
                if sep and password:
                    out.append(password)
        out += query_secrets(rest, pg=m.group().lower().startswith("postgres"))
    return out


def query_secrets(rest: str, *, pg: bool) -> list[str]:
    """Values of secret `?key=` / `&key=` parameters in `rest` (a URL after its scheme), each
    up to the next parameter: for a postgresql:// URL (`pg`) only `&word=` with `word` a
    libpq keyword starts one, so an unencoded '&' stays inside the password."""
    keys = list(_QUERY_KEY.finditer(rest))
    out = []
    for n, k in enumerate(keys):
        if not _SECRET_KEY.fullmatch(k.group(1)):
            continue
        end = len(rest)
        for k2 in keys[n + 1 :]:
            if k2.group().startswith("&") and (not pg or k2.group(1).lower() in LIBPQ_KEYS):
                end = k2.start()
                break
        out.append(rest[k.end() : end])
    return out


def keyword_passwords(value: str) -> list[str]:
    """`password=` values of a libpq keyword/value DSN, as written and as libpq reads them
    (quotes off, backslash escapes undone)."""
    out = []
    for m in _LIBPQ_SECRET.finditer(value):
        raw = m.group(2)
        if raw.startswith("'"):
            raw = raw[1:-1] if len(raw) > 1 and raw.endswith("'") else raw[1:]
        out += [raw, re.sub(r"\\(.)", r"\1", raw)]
    return out


def register_from(values: Iterable[str]) -> None:
    """Register the passwords inside URLs/DSNs found in `values` (argv, environment)."""
    for v in values:
        if not isinstance(v, str):
            continue
        for password in url_passwords(v):
            register_password(password)
        for password in keyword_passwords(v):  # libpq reads these whole: no pieces
            register(password)
        for m in _KEY_VALUE.finditer(v):
            register(m.group(2).strip("'\""))


def register_environment() -> None:
    """Secrets ducky may be given through the environment (see SECRET_ENV and URL values)."""
    for name in SECRET_ENV:
        register(os.environ.get(name))
    register_from(v for k, v in os.environ.items() if k.startswith("DUCKY_"))


def redact(text: str) -> str:
    """`text` without credentials: registered secrets, URL passwords, key=value secrets."""
    if not text:
        return text
    out = text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
    # registered ones first: a whole password (one with ',', '&' or a space) goes in one
    # piece, before the patterns below would stop at its first separator
    for s in secrets:
        if s in out:
            out = out.replace(s, MASK)
    out = _URL_CREDS.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", out)
    out = _KEY_VALUE.sub(lambda m: m.group(1) + MASK, out)
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
