"""Where search logs come from: a search cluster (`SearchLogStore`) or the local Parquet files."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from ducky.errors import ConnectionFailed, UserError
from ducky.plugins.segment.store.auth import NO_CREDENTIALS, Credentials, from_url

if TYPE_CHECKING:
    from ducky.plugins.segment.store.base import SearchLogStore

BACKENDS = ("auto", "elasticsearch", "opensearch")


def probe(
    url: str, credentials: Credentials = NO_CREDENTIALS, timeout: float = 10
) -> dict[str, Any]:
    """GET / without any client library: which product and version answers at `url`."""
    request = urllib.request.Request(url.rstrip("/") + "/", headers=credentials.headers())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return dict(json.loads(r.read().decode() or "{}"))
    except urllib.error.HTTPError as e:
        if e.code in (401, 403) and credentials.given:
            raise ConnectionFailed(f"{url} refused the credentials (HTTP {e.code})") from e
        if e.code in (401, 403):
            raise ConnectionFailed(
                f"{url} needs credentials (HTTP {e.code}): pass --es-api-key or "
                "--es-user/--es-password"
            ) from e
        raise ConnectionFailed(f"{url} answered HTTP {e.code} to GET /") from e
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise ConnectionFailed(f"cannot reach {url}: {reason}") from e


def open_store(
    url: str, backend: str = "auto", credentials: Credentials = NO_CREDENTIALS
) -> SearchLogStore:
    """A store for `url`. `auto` asks the server: OpenSearch -> opensearch-py, else the
    Elasticsearch client (plain JSON media types unless the server is Elasticsearch of the
    client's own major version; see store/es.py)."""
    if backend not in BACKENDS:
        raise UserError(f"unknown --es-backend {backend!r}: use {', '.join(BACKENDS)}")
    url, credentials = from_url(url, credentials)  # user:password@ in the URL -> basic auth
    info = probe(url, credentials)
    version = info.get("version", {}) if isinstance(info.get("version"), dict) else {}
    distribution = str(version.get("distribution", "elasticsearch"))
    if backend == "auto":
        backend = "opensearch" if distribution == "opensearch" else "elasticsearch"
    if backend == "opensearch":
        from ducky.plugins.segment.store.opensearch import OpenSearchStore

        if credentials.api_key:
            # OpenSearch's security plugin authenticates users (basic auth), not ES API keys
            raise UserError(
                f"{url} is OpenSearch: --es-api-key is for Elasticsearch; "
                "use --es-user/--es-password"
            )
        return OpenSearchStore(url, credentials=credentials)
    from elasticsearch import __versionstr__

    from ducky.plugins.segment.store.es import ElasticsearchStore

    server_major = str(version.get("number", "0")).split(".")[0]
    same_major = distribution != "opensearch" and server_major == __versionstr__.split(".")[0]
    return ElasticsearchStore(url, plain_json=not same_major, credentials=credentials)
