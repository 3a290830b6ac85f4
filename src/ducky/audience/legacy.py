"""The DuckMart seed's flat payload, accepted unchanged and translated to the v1 spec.

    {"user_filters": [{"field": "age", "operator": "gte", "value": 25}],
     "event_filters": [{"event_name": "LOGIN", "operator": "gte", "count": 1,
                        "time_range_days": 30}],
     "logic_operator": "AND", "limit": 1000}

Every filter becomes one condition of a single `all` (AND) or `any` (OR) group. The seed's
column names (subscription_plan, device_type) map to ducky's (plan, device); event names are
matched case-insensitively with aliases (LOGIN -> login, PURCHASE_MADE -> purchased,
ADDED_TO_CART -> add-to-cart).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from ducky.audience.spec import (
    MAX_COUNT,
    MAX_DAYS,
    MAX_LIMIT,
    AllGroup,
    AnyGroup,
    AttributeCondition,
    AudienceSpec,
    EventCondition,
    Scalar,
    Window,
    normalize_event,
)
from ducky.schema import USERS

# seed field name -> ducky users column (identity for the names both share)
FIELD_MAP: dict[str, str] = {
    "subscription_plan": "plan",
    "device_type": "device",
    **{c: c for c in USERS.column_names},
}
LEGACY_KEYS = ("user_filters", "event_filters", "logic_operator")

UserOp = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "like"]
CountOp = Literal["eq", "ne", "gt", "gte", "lt", "lte"]


class _Model(BaseModel):
    # strict: "5", true or 1.0 are not silently read as numbers (the OpenAPI types hold)
    model_config = ConfigDict(extra="forbid", strict=True)


class UserFilter(_Model):
    field: StrictStr = Field(description="seed or ducky column name, e.g. age, location")
    operator: UserOp
    value: Scalar | list[Scalar]

    @field_validator("field")
    @classmethod
    def _field(cls, v: str) -> str:
        if v not in FIELD_MAP:
            raise ValueError(f"unknown field {v!r}: known fields are {', '.join(FIELD_MAP)}")
        return FIELD_MAP[v]


class EventFilter(_Model):
    event_name: StrictStr
    operator: CountOp = "gte"
    count: int = Field(1, ge=0, le=MAX_COUNT)
    time_range_days: int | None = Field(None, ge=1, le=MAX_DAYS)

    @field_validator("event_name")
    @classmethod
    def _event(cls, v: str) -> str:
        return normalize_event(v)


class LegacyPayload(_Model):
    """The DuckMart seed's flat segmentation payload."""

    user_filters: list[UserFilter] = Field(default_factory=list, max_length=100)
    event_filters: list[EventFilter] = Field(default_factory=list, max_length=100)
    logic_operator: Literal["AND", "OR", "and", "or"] = "AND"
    limit: int = Field(1000, ge=1, le=MAX_LIMIT)


def is_legacy(raw: Any) -> bool:
    """A payload is the seed's format when it carries any of the seed's top-level keys."""
    return isinstance(raw, dict) and any(k in raw for k in LEGACY_KEYS)


def to_spec(payload: LegacyPayload) -> AudienceSpec:
    """Translate; raises ValueError with the seed's field path when a value has the wrong type."""
    conditions: list[Any] = []
    for i, uf in enumerate(payload.user_filters):
        attribute = {
            "type": "attribute",
            "column": uf.field,
            "op": uf.operator,
            # Values keep their case: a shop's "Premium" is matched exactly (issue 15); the
            # `like` operator or a lower-cased copy of the column matches case-insensitively.
            "value": uf.value,
        }
        try:
            conditions.append(AttributeCondition.model_validate(attribute))
        except ValidationError as e:
            raise LegacyError(f"user_filters[{i}]", e) from e
    for ef in payload.event_filters:
        event: dict[str, Any] = {
            "type": "event",
            "event": ef.event_name,
            "op": ef.operator,
            "count": ef.count,
        }
        if ef.time_range_days:
            event["window"] = Window.model_validate({"last_days": ef.time_range_days})
        conditions.append(EventCondition.model_validate(event))
    where: AllGroup | AnyGroup | None = None
    if conditions and payload.logic_operator.upper() == "AND":
        where = AllGroup.model_validate({"type": "all", "conditions": conditions})
    elif conditions:
        where = AnyGroup.model_validate({"type": "any", "conditions": conditions})
    return AudienceSpec.model_validate({"where": where, "limit": payload.limit})


class LegacyError(ValueError):
    """A seed filter that passed its own shape check but not ducky's type check."""

    def __init__(self, path: str, cause: ValidationError) -> None:
        self.path = path
        self.cause = cause
        super().__init__(f"{path}: {cause}")
