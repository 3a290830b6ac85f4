"""The bounded request-body read shared by every route that takes a JSON payload."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ducky.errors import UserError

if TYPE_CHECKING:
    from starlette.requests import Request

MAX_BODY = 64 * 1024  # bytes; a real audience spec is a few KiB


class BodyTooLarge(UserError):
    pass


async def read_body(request: Request) -> bytes:
    """At most MAX_BODY bytes of `request`'s body; a larger one (declared or streamed) raises
    BodyTooLarge before the rest is read, so a huge body never fills memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLarge(f"request body is {declared} bytes, the limit is {MAX_BODY}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge(f"request body is larger than the limit of {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
