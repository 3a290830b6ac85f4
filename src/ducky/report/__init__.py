"""`ducky report`: one self-contained HTML page built only from real results of a data directory."""

from __future__ import annotations

from ducky.report.builder import Section, build_report

__all__ = ["Section", "build_report"]
