"""ducky: local-first e-commerce analytics."""

from __future__ import annotations

__version__ = "0.1.0"
