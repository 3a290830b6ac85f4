"""Tiny HTML helpers: escaping, tables and inlined images (no template engine, no network)."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def img_file(path: Path, alt: str) -> str:
    """An <img> with the PNG inlined as base64 so the page needs no other file."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def img_bytes(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: set[int] | None = None
) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for r in rows:
        cells = "".join(
            f'<td class="num">{esc(v)}</td>' if i in numeric else f"<td>{esc(v)}</td>"
            for i, v in enumerate(r)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def not_run(what: str, command: str) -> str:
    return (
        f'<p class="not-run">Not run: {esc(what)}. '
        f"Run <code>{esc(command)}</code> to include it.</p>"
    )


def page(title: str, subtitle: str, sections_html: str) -> str:
    from importlib import resources

    css = resources.files("ducky.report").joinpath("style.css").read_text()
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{css}</style></head>"
        f'<body><main><h1>{esc(title)}</h1><p class="sub">{esc(subtitle)}</p>'
        f"{sections_html}</main></body></html>\n"
    )
