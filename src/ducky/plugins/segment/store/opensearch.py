"""OpenSearch backend (`opensearch-py`), for OpenSearch clusters such as AWS OpenSearch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ducky.errors import ConnectionFailed, EngineError, EngineUnavailable, UserError
from ducky.plugins.segment.store.auth import NO_CREDENTIALS, Credentials
from ducky.plugins.segment.store.base import SearchLogStore


class OpenSearchStore(SearchLogStore):
    backend = "opensearch"

    def __init__(
        self, url: str, credentials: Credentials = NO_CREDENTIALS, timeout: float = 60
    ) -> None:
        try:
            from opensearchpy import OpenSearch, helpers
        except ImportError as e:
            raise EngineUnavailable(
                "the opensearch backend needs opensearch-py: pip install 'ducky[segment]'"
            ) from e
        kw: dict[str, Any] = {"timeout": timeout, "retry_on_timeout": True, "max_retries": 3}
        if credentials.user and credentials.password:
            kw["http_auth"] = (credentials.user, credentials.password)
        client = OpenSearch(hosts=[url], **kw)
        super().__init__(url, client, helpers)

    @contextmanager
    def errors(self) -> Iterator[None]:
        import opensearchpy

        try:
            yield
        except (opensearchpy.ConnectionError, opensearchpy.ConnectionTimeout) as e:
            raise ConnectionFailed(f"cannot reach OpenSearch at {self.url}: {e}") from e
        except (opensearchpy.AuthenticationException, opensearchpy.AuthorizationException) as e:
            raise ConnectionFailed(f"OpenSearch at {self.url} refused the credentials: {e}") from e
        except opensearchpy.NotFoundError as e:
            raise UserError(f"OpenSearch at {self.url}: not found: {e.error}") from e
        except opensearchpy.TransportError as e:
            raise EngineError(f"OpenSearch at {self.url}: HTTP {e.status_code}: {e.error}") from e
        except opensearchpy.OpenSearchException as e:
            # serialization errors, improperly configured client: still one line
            raise EngineError(f"OpenSearch at {self.url}: {type(e).__name__}: {e}") from e

    def _open_pit(self, index: str, keep_alive: str) -> str:
        res: Any = self.client.create_pit(index=index, params={"keep_alive": keep_alive})
        return str(res["pit_id"])

    def _close_pit(self, pit_id: str) -> None:
        self.client.delete_pit(body={"pit_id": [pit_id]})
