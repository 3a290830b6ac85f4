"""`ducky gen`: a realistic synthetic shop with ground truth (see docs/GENERATOR.md).

Public API: `generate(path, ...) -> Manifest`, `describe(path) -> dict`, `PERSONAS`.
"""

from __future__ import annotations

from ducky.datasets.generator.describe import describe
from ducky.datasets.generator.personas import PERSONAS
from ducky.datasets.generator.pipeline import generate

__all__ = ["PERSONAS", "describe", "generate"]
