"""Cluster credentials: an Elasticsearch API key, or a user and password (basic auth, what
OpenSearch's security plugin and Elasticsearch both accept). The secrets never appear in a
repr, an error message or the --json output."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from ducky.errors import UserError


@dataclass(frozen=True)
class Credentials:
    api_key: str | None = field(default=None, repr=False)
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.api_key and (self.user or self.password):
            raise UserError("give either --es-api-key or --es-user/--es-password, not both")
        if bool(self.user) != bool(self.password):
            raise UserError("--es-user and --es-password go together (env DUCKY_ES_PASSWORD)")

    @property
    def given(self) -> bool:
        return bool(self.api_key or self.user)

    def headers(self) -> dict[str, str]:
        """The Authorization header both client libraries send for these credentials."""
        if self.api_key:
            return {"Authorization": f"ApiKey {self.api_key}"}
        if self.user and self.password:
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        return {}


NO_CREDENTIALS = Credentials()


def from_url(url: str, given: Credentials = NO_CREDENTIALS) -> tuple[str, Credentials]:
    """`http://user:pw@host:9200` -> (`http://host:9200`, basic-auth credentials). The client
    libraries and urllib (the probe) disagree on user info inside a URL (urllib reads
    `user:pw@host` as the host name), so it travels as credentials and the URL goes on bare.
    Credentials in the URL and in --es-user/--es-api-key at once is one error, not a guess."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, given
    if given.given:
        raise UserError(
            "credentials both in --es-url and in --es-user or --es-api-key (give them once)"
        )
    host = parts.netloc.rsplit("@", 1)[1]
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not user or not password:
        raise UserError("--es-url holds a user without a password (or the reverse): give both")
    return bare, Credentials(user=user, password=password)
