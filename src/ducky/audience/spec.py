"""The audience spec, version 1: Pydantic models published as JSON Schema.

An audience is a tree of conditions on the `users` table. Leaves test a user attribute or the
user's behaviour in `events`; `all` / `any` / `not` groups nest to MAX_DEPTH levels. Every
condition is two-valued (a NULL attribute makes a comparison false), so `not` is the exact
complement of its child. docs/AUDIENCE.md defines the semantics of each node.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ducky.schema import EVENT_TYPES, USERS

_INTEGER = re.compile(r"-?[0-9]+")

SPEC_VERSION = 1
MAX_DEPTH = 10  # groups nested deeper than this are rejected (a spec is written by people)
MAX_LIST = 1000  # values in one in / not_in list
MAX_STRING = 1000  # characters in one string value
MAX_LIMIT = 10_000  # users in one page
MAX_DAYS = 36_500  # 100 years: keeps every window arithmetic inside the engines' ranges
MAX_COUNT = 1_000_000_000
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# as_of and window bounds stay inside this range so `as_of - MAX_DAYS` is still a valid timestamp
MIN_INSTANT = dt.datetime(1900, 1, 1)
MAX_INSTANT = dt.datetime(2200, 1, 1)

AttributeOp = Literal[
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "like",
    "is_null",
    "is_not_null",
]
CountOp = Literal["eq", "ne", "gt", "gte", "lt", "lte"]
ORDERED_OPS = ("gt", "gte", "lt", "lte", "between")
STRING_OPS = ("contains", "starts_with", "like")
NULL_OPS = ("is_null", "is_not_null")

# Names people (and the DuckMart seed) use for ducky's four event types; matched after lowering
# case and turning '_' / ' ' into '-', so LOGIN, Purchase_Made and add_to_cart all resolve.
EVENT_ALIASES: dict[str, str] = {
    "login": "login",
    "log-in": "login",
    "signin": "login",
    "sign-in": "login",
    "viewed": "viewed",
    "view": "viewed",
    "product-viewed": "viewed",
    "viewed-product": "viewed",
    "add-to-cart": "add-to-cart",
    "added-to-cart": "add-to-cart",
    "addtocart": "add-to-cart",
    "cart": "add-to-cart",
    "purchased": "purchased",
    "purchase": "purchased",
    "purchase-made": "purchased",
    "order": "purchased",
}


def normalize_event(name: str) -> str:
    """The canonical event type for `name` (case-insensitive, aliases allowed); any other name
    is a shop's own event (LOGOUT, PAGE_VIEW) and is matched exactly as ingest stored it."""
    from ducky.ingest.vocab import canonical_event

    known = canonical_event(name)
    if known in EVENT_TYPES:
        return known
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key in EVENT_ALIASES:
        return EVENT_ALIASES[key]
    if not name.strip():
        raise ValueError(f"empty event name: known events are {', '.join(EVENT_TYPES)}")
    return check_text(name)


def check_text(value: str) -> str:
    """Strings reach SQL only as quoted literals, but some bytes no engine can store."""
    if len(value) > MAX_STRING:
        raise ValueError(f"string longer than {MAX_STRING} characters")
    if "\x00" in value:
        raise ValueError("string contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError("string is not valid UTF-8 (lone surrogate)") from e
    return value


def _parse_instant(v: Any) -> Any:
    """Accept 'YYYY-MM-DD' as a date and anything longer as an ISO datetime (zone -> UTC)."""
    if isinstance(v, str):
        s = v.strip()
        try:
            parsed: dt.date = (
                dt.date.fromisoformat(s)
                if len(s) == 10
                else dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
            )
        except ValueError as e:
            raise ValueError(f"{v!r} is not an ISO date or datetime") from e
        v = parsed
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.UTC).replace(tzinfo=None)
        if not MIN_INSTANT <= v < MAX_INSTANT:
            raise ValueError(f"{v.isoformat()} is outside 1900-01-01 .. 2200-01-01")
        return v
    if isinstance(v, dt.date):
        if not MIN_INSTANT.date() <= v < MAX_INSTANT.date():
            raise ValueError(f"{v.isoformat()} is outside 1900-01-01 .. 2200-01-01")
        return v
    raise ValueError("expected an ISO date (YYYY-MM-DD) or datetime string")


Instant = Annotated[
    dt.datetime | dt.date,
    BeforeValidator(_parse_instant),
    WithJsonSchema(
        {
            "type": "string",
            "description": "ISO date (YYYY-MM-DD) or datetime; a zone is converted to UTC",
            "examples": ["2025-03-01", "2025-03-01T12:00:00"],
        }
    ),
]
EventName = Annotated[
    StrictStr,
    Field(
        description=(
            f"event type, case-insensitive: {', '.join(EVENT_TYPES)} or an alias; any other "
            "name is a custom event matched exactly"
        ),
        examples=list(EVENT_TYPES),
    ),
]
Scalar = StrictInt | StrictFloat | StrictStr | StrictBool


class _Model(BaseModel):
    # strict: "5", true or 1.0 are not silently read as numbers (the OpenAPI types hold)
    model_config = ConfigDict(extra="forbid", strict=True)


class Window(_Model):
    """When the events happened: the last N days before as_of, or between two instants.

    `last_days`: as_of - N days < timestamp <= as_of. `start`/`end`: start <= timestamp < end;
    a date-only `end` includes that whole day. Events after as_of are never seen.
    """

    last_days: int | None = Field(None, ge=1, le=MAX_DAYS)
    start: Instant | None = None
    end: Instant | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Window:
        if self.last_days is not None and (self.start is not None or self.end is not None):
            raise ValueError("give either last_days or start/end, not both")
        if self.last_days is None and self.start is None and self.end is None:
            raise ValueError("give last_days, or start and/or end")
        lo, hi = self.start_instant(), self.end_instant()
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError("start must be before end")
        return self

    def start_instant(self) -> dt.datetime | None:
        """Inclusive lower bound of a start/end window (a date: its midnight)."""
        return _as_start(self.start)

    def end_instant(self) -> dt.datetime | None:
        """Exclusive upper bound of a start/end window (a date: the next midnight)."""
        return _as_end(self.end)


def _as_start(v: dt.date | None) -> dt.datetime | None:
    if v is None or isinstance(v, dt.datetime):
        return v
    return dt.datetime.combine(v, dt.time())


def _as_end(v: dt.date | None) -> dt.datetime | None:
    if v is None or isinstance(v, dt.datetime):
        return v
    return dt.datetime.combine(v + dt.timedelta(days=1), dt.time())


class PriceRange(_Model):
    """Product unit price bounds, inclusive."""

    min: float | None = Field(None, ge=0, le=1e10)
    max: float | None = Field(None, ge=0, le=1e10)

    @model_validator(mode="after")
    def _order(self) -> PriceRange:
        if self.min is None and self.max is None:
            raise ValueError("give min and/or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class _EventFilter(_Model):
    """Which events count: the type, and optionally the product's category and price."""

    event: EventName
    category: StrictStr | None = Field(None, description="product category (exact match)")
    price: PriceRange | None = None

    @field_validator("event")
    @classmethod
    def _event(cls, v: str) -> str:
        return normalize_event(v)

    @field_validator("category")
    @classmethod
    def _category(cls, v: str | None) -> str | None:
        return None if v is None else check_text(v)


class AttributeCondition(_Model):
    """A test on one column of `users`. NULL attributes never match (except is_null)."""

    type: Literal["attribute"]
    column: StrictStr = Field(description="a column of users: " + ", ".join(USERS.column_names))
    op: AttributeOp
    value: Scalar | list[Scalar] | None = Field(
        None,
        description="scalar; [low, high] for between; a list for in / not_in; absent for "
        "is_null / is_not_null; a date column takes 'YYYY-MM-DD'",
    )

    @field_validator("column")
    @classmethod
    def _column(cls, v: str) -> str:
        if v not in USERS.column_names:
            raise ValueError(f"unknown column {v!r}: users has {', '.join(USERS.column_names)}")
        return v

    @model_validator(mode="after")
    def _typed(self) -> AttributeCondition:
        self.value = check_attribute_value(self.column, self.op, self.value)
        return self


def _has_text(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and any(isinstance(x, str) for x in value)
    )


def _coerce_scalar(column: str, logical: str, v: Any) -> Any:
    if isinstance(v, list):
        raise ValueError(f"value: expected one value for {column}, got a list")
    if logical in INT_RANGES:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"value: {column} is an integer column, got {v!r}")
        lo, hi = INT_RANGES[logical]
        if not lo <= v <= hi:
            raise ValueError(f"value: {v} is out of range for {column} ({logical})")
        return v
    if logical == "string":
        if not isinstance(v, str):
            raise ValueError(f"value: {column} is a text column, got {v!r}")
        try:
            return check_text(v)
        except ValueError as e:
            raise ValueError(f"value: {e}") from None
    if logical == "date":
        if not isinstance(v, str):
            raise ValueError(f"value: {column} is a date column, expected 'YYYY-MM-DD'")
        try:
            d = dt.date.fromisoformat(v)
        except ValueError as e:
            raise ValueError(f"value: {v!r} is not a date (YYYY-MM-DD)") from e
        if not MIN_INSTANT.date() <= d < MAX_INSTANT.date():
            raise ValueError(f"value: {v} is outside 1900-01-01 .. 2200-01-01")
        return d
    raise ValueError(f"column {column} ({logical}) cannot be filtered")


ID_COLUMN = "user_id"  # integers or the shop's own strings (DataDir.id_types): see below


def check_attribute_value(column: str, op: str, value: Any) -> Any:
    """Type-check `value` against the column and the operator; returns the typed value.

    `user_id` holds integers or a shop's own strings depending on the data, which a spec does
    not know: it takes either, text values compared as text (compiler.attribute casts the
    column), so `{"column": "user_id", "op": "in", "value": ["C-0001", "C-0002"]}` works on
    string ids and `"op": "gte", "value": 100` on integer ids."""
    logical = USERS.column(column).type
    if column == ID_COLUMN and _has_text(value):
        if op in ("gt", "gte", "lt", "lte", "between"):
            raise ValueError(
                f"op: {op} compares user_id as a number; text ids take eq, ne, in, not_in, "
                "starts_with, contains, like"
            )
        logical = "string"
        if isinstance(value, list):  # [7, "C-1"]: the 7 is id "7"
            value = [str(x) if isinstance(x, int) and not isinstance(x, bool) else x for x in value]
    if op in NULL_OPS:
        if value is not None:
            raise ValueError(f"value: {op} takes no value")
        return None
    if value is None:
        raise ValueError(f"value: {op} needs a value")
    if op in STRING_OPS:
        if logical != "string":
            raise ValueError(f"op: {op} applies to text columns, {column} is {logical}")
        if op != "like" and value == "":
            raise ValueError(f"value: {op} needs a non-empty string")
        return _coerce_scalar(column, logical, value)
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("value: between takes [low, high]")
        lo, hi = (_coerce_scalar(column, logical, x) for x in value)
        if lo > hi:
            raise ValueError(f"value: between low {lo} is greater than high {hi}")
        return [lo, hi]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ValueError(f"value: {op} takes a non-empty list")
        if len(value) > MAX_LIST:
            raise ValueError(f"value: {op} takes at most {MAX_LIST} values")
        return [_coerce_scalar(column, logical, x) for x in value]
    return _coerce_scalar(column, logical, value)


class EventCondition(_EventFilter):
    """Performed `event` a number of times (count op N) within the window.

    Users without any matching event have count 0, so `op: lt` or `eq 0` include them.
    """

    type: Literal["event"]
    op: CountOp = "gte"
    count: int = Field(1, ge=0, le=MAX_COUNT)
    window: Window | None = None


class NotPerformedCondition(_EventFilter):
    """Did not perform `event` (with the filters) within the window: same as count eq 0."""

    type: Literal["not_performed"]
    window: Window | None = None


class FirstTimeCondition(_EventFilter):
    """The user's first ever `event` (with the filters, up to as_of) falls within the window."""

    type: Literal["first_time"]
    window: Window


class Step(_EventFilter):
    """One step of a sequence."""


class SequenceCondition(_Model):
    """Performed `first`, then `then` strictly later and at most within_days after it."""

    type: Literal["sequence"]
    first: Step
    then: Step
    within_days: float = Field(gt=0, le=MAX_DAYS)
    window: Window | None = Field(None, description="when the first step happened")
    same_product: StrictBool = Field(False, description="both steps on the same product")


class CartAbandonmentCondition(_Model):
    """Added a product to the cart and did not purchase that product within within_days.

    With within_days, only carts at least within_days old at as_of count (younger ones may
    still be bought); without it, no purchase of that product at or after the add-to-cart.
    """

    type: Literal["cart_abandonment"]
    within_days: float | None = Field(None, gt=0, le=MAX_DAYS)
    window: Window | None = Field(None, description="when the add-to-cart happened")
    category: StrictStr | None = None
    price: PriceRange | None = None

    @field_validator("category")
    @classmethod
    def _category(cls, v: str | None) -> str | None:
        return None if v is None else check_text(v)


class AllGroup(_Model):
    """Every child matches (an empty list matches everyone)."""

    type: Literal["all"]
    conditions: list[Condition] = Field(max_length=100)


class AnyGroup(_Model):
    """At least one child matches (an empty list matches nobody)."""

    type: Literal["any"]
    conditions: list[Condition] = Field(max_length=100)


class NotGroup(_Model):
    """The child does not match (exact complement: conditions are two-valued)."""

    type: Literal["not"]
    condition: Condition


Condition = Annotated[
    AttributeCondition
    | EventCondition
    | NotPerformedCondition
    | FirstTimeCondition
    | SequenceCondition
    | CartAbandonmentCondition
    | AllGroup
    | AnyGroup
    | NotGroup,
    Field(discriminator="type"),
]
NODE_TYPES = (
    "attribute",
    "event",
    "not_performed",
    "first_time",
    "sequence",
    "cart_abandonment",
    "all",
    "any",
    "not",
)
GROUP_TYPES = ("all", "any", "not")

AllGroup.model_rebuild()
AnyGroup.model_rebuild()
NotGroup.model_rebuild()


class AudienceSpec(_Model):
    """An audience: which users (`where`), seen at `as_of`, one page at a time."""

    version: Literal[1] = 1
    where: Condition | None = Field(None, description="the condition tree; absent: all users")
    as_of: Instant | None = Field(
        None,
        description="reference instant for windows; events after it are ignored; a date "
        "means the end of that day; default: the last event in the data",
    )
    limit: int = Field(1000, ge=1, le=MAX_LIMIT, description="users per page")
    cursor: StrictStr | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="next_cursor of the previous page: the page starts after this user_id "
        "(an integer, or any text where the data's user ids are text)",
    )
    count_only: StrictBool = Field(False, description="return only total_count")

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, v: str | None) -> str | None:
        # Text ids (issue 15) make any string a possible user_id; an integer-looking cursor
        # must still fit integer ids. Whether a text cursor suits the data is known only with
        # the data: AudienceService.query refuses one on integer ids.
        lo, hi = INT_RANGES["int64"]
        if v is not None and _INTEGER.fullmatch(v) and not lo <= int(v) <= hi:
            raise ValueError("cursor is not a user_id (out of the 64-bit range)")
        return v

    @model_validator(mode="after")
    def _depth(self) -> AudienceSpec:
        if self.where is not None:
            check_depth(self.where)
        return self

    def as_of_instant(self) -> dt.datetime | None:
        if self.as_of is None or isinstance(self.as_of, dt.datetime):
            return self.as_of
        return dt.datetime.combine(self.as_of, dt.time.max)  # a date: the end of that day

    def cursor_id(self, text_ids: bool = False) -> int | str | None:
        """The cursor as a value of the data's user_id type (text or integer)."""
        if self.cursor is None or text_ids:
            return self.cursor
        if not _INTEGER.fullmatch(self.cursor):
            from ducky.audience.errors import Problem, SpecError

            raise SpecError([Problem("cursor", "not a user_id: this data's user ids are integers")])
        return int(self.cursor)


def check_depth(node: BaseModel, depth: int = 1) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"groups are nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, AllGroup | AnyGroup):
        for c in node.conditions:
            check_depth(c, depth + 1)
    elif isinstance(node, NotGroup):
        check_depth(node.condition, depth + 1)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the spec (docs/audience.schema.json)."""
    schema = AudienceSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://ducky.dev/schemas/audience-v1.json"
    return schema
