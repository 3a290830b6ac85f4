"""Response bodies of the audience API (documented in the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator


def _utc(v: Any) -> Any:
    """Engines hand back naive UTC timestamps: mark them UTC so the answer says its zone."""
    if isinstance(v, dt.datetime) and v.tzinfo is None:
        return v.replace(tzinfo=dt.UTC)
    return v


class AudiencePage(BaseModel):
    """One page of an audience. `user_ids` and `total_count` keep the seed's response names."""

    version: int = 1
    legacy: bool = Field(description="the request was the seed's flat payload")
    as_of: AwareDatetime = Field(description="the reference instant, in UTC")
    total_count: int = Field(description="users in the whole audience (not just this page)")
    count: int = Field(description="users on this page")
    user_ids: list[int | str]  # the source's ids, unchanged (integers or strings)
    users: list[dict[str, Any]]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")
    spec: dict[str, Any] = Field(description="the request as a v1 spec (legacy payloads too)")
    seconds: float

    _zone = field_validator("as_of", mode="before")(_utc)


class NodeCountOut(BaseModel):
    path: str
    type: str
    users: int = Field(description="users this node keeps on its own, out of all users")
    description: str


class ExplainOut(BaseModel):
    version: int = 1
    legacy: bool
    as_of: AwareDatetime = Field(description="the reference instant, in UTC")
    sql: str
    dialect: str
    total_count: int
    nodes: list[NodeCountOut]
    spec: dict[str, Any]
    seconds: float

    _zone = field_validator("as_of", mode="before")(_utc)


class ExampleOut(BaseModel):
    name: str
    description: str
    spec: dict[str, Any]


class ProblemOut(BaseModel):
    path: str = Field(description="where in the payload, e.g. where.conditions[1].value")
    message: str


class ErrorOut(BaseModel):
    error: str
    problems: list[ProblemOut] = Field(default_factory=list)


class HealthOut(BaseModel):
    status: str
    engine: str
    dialect: str
    version: str
    end_of_data: AwareDatetime | None = Field(description="the last event's instant, in UTC")

    _zone = field_validator("end_of_data", mode="before")(_utc)
