"""Event vocabularies: common shops' event names mapped onto ducky's four canonical types.

Funnels and revenue need to know which events are views, cart adds, purchases and logins; every
other event name is kept as it is and still counts as activity (WAU, retention). The aliases are
compared case-insensitively with blanks trimmed, because exports disagree on case
(`PURCHASE_MADE`, `purchase`, `Order Completed`). A mapping file's `event_types:` section
(source value -> canonical type) is applied first, so a shop can override any alias.
"""

from __future__ import annotations

from ducky.errors import UserError
from ducky.schema import EVENT_TYPES

# lower-cased source value -> canonical type. Sources: seed 004 (DuckMart), GA4's recommended
# e-commerce events, the Segment e-commerce spec, and REES46-style exports (view/cart/purchase).
ALIASES: dict[str, str] = {
    # canonical names themselves (and their case variants)
    "viewed": "viewed",
    "add-to-cart": "add-to-cart",
    "purchased": "purchased",
    "login": "login",
    # seed 004
    "added_to_cart": "add-to-cart",
    "purchase_made": "purchased",
    # GA4
    "view_item": "viewed",
    "add_to_cart": "add-to-cart",
    "purchase": "purchased",
    # Segment spec
    "product viewed": "viewed",
    "product added": "add-to-cart",
    "order completed": "purchased",
    "signed in": "login",
    # REES46-style
    "view": "viewed",
    "cart": "add-to-cart",
}


def check_overrides(overrides: dict[str, str], where: str) -> dict[str, str]:
    """Validate a mapping's `event_types` section: every target must be a canonical type."""
    out: dict[str, str] = {}
    for src, canon in overrides.items():
        if not isinstance(canon, str) or canon not in EVENT_TYPES:
            raise UserError(
                f"{where}: event_types maps {src!r} to {canon!r}, which is not one of "
                + ", ".join(EVENT_TYPES)
            )
        out[str(src)] = canon
    return out


def _lit(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def canonical_event_sql(expr: str, overrides: dict[str, str] | None = None) -> str:
    """DuckDB SQL mapping the typed event name `expr` to its canonical type, or keeping it.

    Overrides match the exact source value first (a shop names its own values); the built-in
    aliases then match case-insensitively. Anything else is returned unchanged.
    """
    whens = [f"WHEN {expr} = {_lit(s)} THEN {_lit(c)}" for s, c in (overrides or {}).items()]
    key = f"lower(trim({expr}))"
    aliases = " ".join(f"WHEN {_lit(s)} THEN {_lit(c)}" for s, c in ALIASES.items())
    builtin = f"(CASE {key} {aliases} ELSE {expr} END)"
    if not whens:
        return builtin
    return f"(CASE {' '.join(whens)} ELSE {builtin} END)"


def canonical_event(value: str, overrides: dict[str, str] | None = None) -> str:
    """The Python twin of canonical_event_sql (audience specs, tests)."""
    if overrides and value in overrides:
        return overrides[value]
    return ALIASES.get(value.strip().lower(), value)
