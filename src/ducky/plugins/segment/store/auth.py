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
