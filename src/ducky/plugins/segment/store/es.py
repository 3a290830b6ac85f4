"""Elasticsearch backend: the official `elasticsearch` client.

The client turns every `application/json` / `application/x-ndjson` header into
`application/vnd.elasticsearch+json; compatible-with=<client major>`. Only an Elasticsearch
server of that major version understands it; Elasticsearch 7/8 and OpenSearch-compatible
servers answer 406. `plain_json=True` installs `PlainJsonNode`, a urllib3 node that sends the
plain media types instead (every Elasticsearch since 7 accepts them), so the rest of the
client (API methods, helpers.bulk/scan, error classes) runs unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ducky.errors import ConnectionFailed, EngineError, EngineUnavailable, UserError
from ducky.plugins.segment.store.auth import NO_CREDENTIALS, Credentials
from ducky.plugins.segment.store.base import SearchLogStore

_COMPAT_RE = re.compile(r"application/vnd\.elasticsearch\+([\w.-]+)\s*;\s*compatible-with=\d+")


def plain_json_node_class() -> type:
    from elastic_transport import HttpHeaders, Urllib3HttpNode
    from elastic_transport._models import DEFAULT, DefaultType
    from elastic_transport._node._base import NodeApiResponse

    class PlainJsonNode(Urllib3HttpNode):
        """Sends `application/json` where the client asked for the versioned media type."""

        def perform_request(
            self,
            method: str,
            target: str,
            body: bytes | None = None,
            headers: HttpHeaders | None = None,
            request_timeout: DefaultType | float | None = DEFAULT,
        ) -> NodeApiResponse:
            if headers:
                headers = HttpHeaders(
                    {k: _COMPAT_RE.sub(r"application/\1", v) for k, v in headers.items()}
                )
            return super().perform_request(
                method, target, body=body, headers=headers, request_timeout=request_timeout
            )

    return PlainJsonNode


class ElasticsearchStore(SearchLogStore):
    backend = "elasticsearch"

    def __init__(
        self,
        url: str,
        plain_json: bool = False,
        credentials: Credentials = NO_CREDENTIALS,
        timeout: float = 60,
    ) -> None:
        try:
            from elasticsearch import Elasticsearch, helpers
        except ImportError as e:
            raise EngineUnavailable(
                "the elasticsearch backend needs the elasticsearch package: "
                "pip install 'ducky[segment]'"
            ) from e
        kw: dict[str, Any] = {
            "request_timeout": timeout,
            "retry_on_timeout": True,
            "max_retries": 3,
        }
        if plain_json:
            kw["node_class"] = plain_json_node_class()
        if credentials.api_key:
            kw["api_key"] = credentials.api_key  # sent as `Authorization: ApiKey <key>`
        elif credentials.user and credentials.password:
            kw["basic_auth"] = (credentials.user, credentials.password)
        super().__init__(url, Elasticsearch(url, **kw), helpers)
        self.plain_json = plain_json

    @contextmanager
    def errors(self) -> Iterator[None]:
        import elastic_transport
        import elasticsearch

        try:
            yield
        except (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout) as e:
            raise ConnectionFailed(f"cannot reach Elasticsearch at {self.url}: {e.message}") from e
        except (elasticsearch.AuthenticationException, elasticsearch.AuthorizationException) as e:
            raise ConnectionFailed(
                f"Elasticsearch at {self.url} refused the credentials: {e.message}"
            ) from e
        except elasticsearch.NotFoundError as e:
            raise UserError(f"Elasticsearch at {self.url}: not found: {e.message}") from e
        except elasticsearch.UnsupportedProductError as e:
            raise EngineError(
                f"{self.url} is not Elasticsearch: use --es-backend opensearch"
            ) from e
        except elasticsearch.ApiError as e:
            raise EngineError(
                f"Elasticsearch at {self.url}: HTTP {e.meta.status}: {e.message}"
            ) from e
        except elastic_transport.TransportError as e:
            # any other transport failure (TLS, serialization, a dropped connection mid-bulk)
            raise EngineError(f"Elasticsearch at {self.url}: {type(e).__name__}: {e}") from e

    def _open_pit(self, index: str, keep_alive: str) -> str:
        return str(self.client.open_point_in_time(index=index, keep_alive=keep_alive)["id"])

    def _close_pit(self, pit_id: str) -> None:
        self.client.close_point_in_time(id=pit_id)
