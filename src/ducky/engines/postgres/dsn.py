"""DSN resolution and password-free descriptions of a DSN for error messages."""

from __future__ import annotations

import os
import re
from typing import Any, NamedTuple
from urllib.parse import unquote

from ducky import redact  # light: no driver import

ENV_DSN = "DUCKY_PG_DSN"
SCHEMES = ("postgresql://", "postgres://")


def is_pg_url(value: object) -> bool:
    """A `postgresql://` URL (as --data / DUCKY_DATA may be), not a path."""
    return isinstance(value, str) and value.strip().lower().startswith(SCHEMES)


def env_dsn() -> str | None:
    value = os.environ.get(ENV_DSN, "").strip()
    return value or None


class _Url(NamedTuple):
    """A postgresql:// URL read leniently (what its writer meant, not what libpq reads)."""

    userinfo: str | None  # up to the '@' before the host, percent-encoded as written
    hostport: str
    path: str
    query: str
    problem: str | None  # why libpq cannot read it as meant (never quoting the DSN)


_BAD_PASSWORD = (
    "malformed DSN: its password must be percent-encoded ('/' as %2F, '@' as %40, "
    "'&' as %26, a space as %20)"
)
_HOST_AFTER = re.compile(r"[\w.\-\[\]%:,]*(?:[/?]|$)")


def _cut_hostport(net: str) -> tuple[str, str, str]:
    """libpq's split of what follows the userinfo: host list, database path, query."""
    i = 0
    while i < len(net) and net[i] not in "/?":
        i += 1
    hostport, after = net[:i], net[i:]
    if after.startswith("/"):
        q = after.find("?")
        path, query = (after[1:], "") if q < 0 else (after[1:q], after[q + 1 :])
    else:
        path, query = "", after[1:]
    return hostport, path, query


def _ports_ok(hostport: str) -> bool:
    for item in hostport.split(","):
        port = item.rpartition("]")[2] if item.startswith("[") else item
        if ":" in port and not port.partition(":")[2].isdigit():
            return False
    return True


def _parse_url(dsn: str) -> _Url | None:
    """`dsn` as a postgresql:// URL, read first as libpq reads it (userinfo up to the first
    '@' seen before any '/'), then mended where that reading cannot be what was meant:
    a host holding '@' (the password held one), a non-numeric port (the password held a
    '/', so libpq took `user:pass...` for `host:port`), spaces, a query password holding
    an unencoded '&'. Each such DSN is one libpq would refuse anyway: a problem is never
    reported for a DSN that could connect."""
    s = dsn.strip()
    m = re.match(r"(?i)postgres(?:ql)?://", s)
    if not m:
        return None
    rest = s[m.end() :]
    stop = next((i for i, c in enumerate(rest) if c in "@/"), len(rest))
    userinfo: str | None = rest[:stop] if stop < len(rest) and rest[stop] == "@" else None
    net = rest if userinfo is None else rest[stop + 1 :]
    hostport, path, query = _cut_hostport(net)
    problem = None
    if userinfo is not None and "@" in hostport:
        at = stop + 1 + hostport.rindex("@")
        userinfo, problem = rest[:at], _BAD_PASSWORD
        hostport, path, query = _cut_hostport(rest[at + 1 :])
    elif userinfo is None and not _ports_ok(hostport):
        ats = [i for i, c in enumerate(rest) if c == "@" and _HOST_AFTER.match(rest, i + 1)]
        if ats:  # `user:pa/ss@host`: the first '@' a host follows ends the userinfo
            userinfo, problem = rest[: ats[0]], _BAD_PASSWORD
            hostport, path, query = _cut_hostport(rest[ats[0] + 1 :])
        else:
            problem = "malformed DSN: its port is not a number"
    if userinfo is not None and re.search(r"\s", userinfo):
        problem = _BAD_PASSWORD
    if any(re.search(r"[&\s]", v) for v in redact.query_secrets("?" + query, pg=True)):
        problem = _BAD_PASSWORD
    return _Url(userinfo, hostport, path, query, problem)


def _describe_url(url: _Url) -> str:
    """`user@host:port/dbname` from a URL libpq could not read, as far as it goes."""
    params: dict[str, str] = {}
    for item in url.query.split("&"):
        key, sep, value = item.partition("=")
        if sep and key in ("host", "hostaddr", "port", "dbname", "user"):
            params[key] = unquote(value)
    user = params.get("user") or unquote((url.userinfo or "").partition(":")[0])
    hosts, ports = [], []
    for item in url.hostport.split(",") if url.hostport else []:
        if item.startswith("["):
            host, _, tail = item[1:].partition("]")
            port = tail[1:] if tail.startswith(":") else ""
        else:
            host, _, port = item.partition(":")
        hosts.append(unquote(host))
        ports.append(port)
    host = params.get("host") or params.get("hostaddr") or ",".join(hosts) or "localhost"
    port = params.get("port") or ",".join(p for p in ports if p) or "5432"
    db = params.get("dbname") or unquote(url.path) or user
    where = host if not port or not all(p.isdigit() for p in port.split(",")) else f"{host}:{port}"
    return f"{user + '@' if user else ''}{where}/{db}"


def describe(dsn: str) -> str:
    """`user@host:port/dbname` for messages: never the password, whatever the DSN's form."""
    url = _parse_url(dsn)
    if url is not None and url.problem:
        return _describe_url(url)
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(dsn)
    except Exception:  # an unparsable DSN is reported as such, without echoing it
        return _describe_url(url) if url is not None else "the given DSN"
    user = str(parts.get("user") or "")
    host = str(parts.get("host") or parts.get("hostaddr") or "localhost")
    port = str(parts.get("port") or "5432")
    db = str(parts.get("dbname") or user or "")
    return f"{user + '@' if user else ''}{host}:{port}/{db}"


def problem(dsn: str | None) -> str | None:
    """Why libpq cannot read `dsn` as meant (a password that needed percent-encoding), in
    words that never quote it; None for a DSN libpq reads as written."""
    url = _parse_url(dsn) if dsn else None
    return url.problem if url is not None else None


def scrub(message: str, dsn: str | None) -> str:
    """Remove any password from a driver message (URIs and key=value forms alike).

    For a DSN that libpq misreads (problem()) the driver's text is dropped whole: it quotes
    pieces of the password as a host, a port, a database or a query parameter."""
    if dsn:
        redact.register_from([dsn])  # its password in every form, for every later line too
        why = problem(dsn)
        if why:
            return why
    text = re.sub(
        r"(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|(?:\\.|[^\s\\])+)",
        lambda m: m.group(1) + redact.MASK,
        message,
    )
    if dsn:
        try:
            from psycopg.conninfo import conninfo_to_dict

            pw = conninfo_to_dict(dsn).get("password")
        except Exception:
            pw = None
        if pw:
            redact.register(str(pw))
            text = text.replace(str(pw), redact.MASK)
    return redact.redact(text)


def first_line(exc: BaseException) -> str:
    """The first non-empty line of a driver error, without libpq's 'connection failed:' noise."""
    for line in str(exc).splitlines():
        line = line.strip()
        if line:
            return line
    return type(exc).__name__


def connect(dsn: str, target: str | None = None, **kwargs: Any) -> Any:
    """psycopg.connect(dsn, connect_timeout=10, **kwargs), its failure one ConnectionFailed line
    naming `target` (default: describe(dsn)) and never the password. The driver is imported
    only here, when a connection is wanted."""
    import psycopg

    from ducky.errors import ConnectionFailed

    try:
        return psycopg.connect(dsn, connect_timeout=10, **kwargs)
    except psycopg.Error as e:
        msg = scrub(first_line(e), dsn)
        where = target or describe(dsn)
        raise ConnectionFailed(f"postgres: cannot connect to {where}: {msg}") from e
    except Exception as e:  # e.g. a DSN libpq cannot even parse
        msg = scrub(first_line(e), dsn)
        raise ConnectionFailed(f"postgres: invalid DSN ({msg})") from e
