"""Audiences: a JSON segment spec compiled to SQL for any engine (see docs/AUDIENCE.md)."""

from __future__ import annotations

from ducky.audience.parse import Parsed, Problem, SpecError, parse_json, parse_payload
from ducky.audience.spec import SPEC_VERSION, AudienceSpec, json_schema

__all__ = [
    "SPEC_VERSION",
    "AudienceSpec",
    "Parsed",
    "Problem",
    "SpecError",
    "json_schema",
    "parse_json",
    "parse_payload",
]
