"""From raw JSON (a v1 spec or the seed's flat payload) to a validated AudienceSpec.

Every problem becomes a SpecError listing `path: reason` items, paths written the way a person
reads the JSON (`where.conditions[1].value`), so the CLI prints one line and the API a 422.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ducky.audience.errors import Problem, SpecError
from ducky.audience.legacy import LegacyError, LegacyPayload, is_legacy, to_spec
from ducky.audience.spec import MAX_DEPTH, AudienceSpec

MAX_JSON_DEPTH = 4 * MAX_DEPTH + 8  # containers: each group level is a dict and a list
NODE_KEYS = ("where", "condition")  # keys whose value is one condition node


@dataclass(frozen=True)
class Parsed:
    spec: AudienceSpec
    legacy: bool  # the payload was the seed's flat format


def json_type(value: Any) -> str:
    """What a decoded JSON value is called in JSON's own words (`null`, not NoneType)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def decode_json(text: str | bytes) -> Any:
    """Decode a JSON document; malformed JSON is a SpecError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise SpecError([Problem("", "JSON nested too deeply")]) from None
    except (ValueError, UnicodeDecodeError) as e:
        raise SpecError([Problem("", f"malformed JSON: {e}")]) from None


def parse_json(text: str | bytes) -> Parsed:
    """Parse a JSON document; malformed JSON is a SpecError too."""
    return parse_payload(decode_json(text))


def parse_payload(raw: Any) -> Parsed:
    """Validate a decoded JSON payload (v1 spec, or the seed's flat format)."""
    if not isinstance(raw, dict):
        raise SpecError([Problem("", f"expected a JSON object, got {json_type(raw)}")])
    check_nesting(raw)
    if is_legacy(raw):
        try:
            payload = LegacyPayload.model_validate(raw)
            parsed = Parsed(to_spec(payload), legacy=True)
        except ValidationError as e:
            raise SpecError(problems(e)) from None
        except LegacyError as e:
            raise SpecError(problems(e.cause, prefix=e.path)) from None
    else:
        try:
            parsed = Parsed(AudienceSpec.model_validate(raw), legacy=False)
        except ValidationError as e:
            raise SpecError(problems(e)) from None
    from ducky.audience import budget  # imports this module: late import

    budget.check(parsed.spec)  # before any SQL is built, for the CLI and the API alike
    return parsed


def check_nesting(raw: Any) -> None:
    """Reject over-deep trees before Pydantic walks them (its recursion is on the C stack)."""
    stack: list[tuple[Any, str, int, int]] = [(raw, "", 0, 0)]
    while stack:
        obj, path, depth, nodes = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise SpecError([Problem(path, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")])
        if isinstance(obj, dict):
            for k, v in obj.items():
                child = f"{path}.{k}" if path else str(k)
                if k in NODE_KEYS:
                    _count_node(child, nodes + 1)
                    stack.append((v, child, depth + 1, nodes + 1))
                elif k == "conditions" and isinstance(v, list):
                    for i, item in enumerate(v):
                        _count_node(f"{child}[{i}]", nodes + 1)
                        stack.append((item, f"{child}[{i}]", depth + 2, nodes + 1))
                else:
                    stack.append((v, child, depth + 1, nodes))
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                stack.append((v, f"{path}[{i}]", depth + 1, nodes))


def _count_node(path: str, level: int) -> None:
    if level > MAX_DEPTH:
        msg = f"groups are nested deeper than {MAX_DEPTH} levels"
        raise SpecError([Problem(path, msg)])


def _path(loc: tuple[Any, ...], prefix: str = "") -> str:
    """('where','all','conditions',0,'attribute','value') -> 'where.conditions[0].value'.

    Pydantic puts the discriminator tag after each union position; those are dropped.
    """
    out = prefix
    skip_next = False
    prev: Any = None
    for part in loc:
        if skip_next:
            skip_next = False
            prev = part
            continue
        if isinstance(part, int):
            out += f"[{part}]"
            skip_next = prev == "conditions"
        else:
            out += f".{part}" if out else str(part)
            skip_next = part in NODE_KEYS
        prev = part
    return out


def problems(err: ValidationError, prefix: str = "") -> list[Problem]:
    out = []
    for e in err.errors(include_url=False):
        path = _path(tuple(e["loc"]), prefix)
        msg = str(e["msg"]).removeprefix("Value error, ")
        # the value checks name the field they blame ("value: ..."): move it into the path
        for field in ("value", "op"):
            if msg.startswith(f"{field}: "):
                path = f"{path}.{field}" if path else field
                msg = msg[len(field) + 2 :]
        out.append(Problem(path, msg))
    return out
