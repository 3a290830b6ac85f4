"""`ducky report`: one self-contained HTML page built only from real results of a data directory."""

from __future__ import annotations

from ducky.report.builder import build_report
from ducky.report.context import Section

__all__ = ["Section", "build_report"]
