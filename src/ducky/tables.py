"""Tables on screen that never hide a number (used by every table the CLI prints).

rich shrinks a table that is wider than the console by cutting cells ("1,…", "148."). Here
every value cell keeps its full width, headers wrap at spaces, free-text columns (notes) fold, and
a table still too wide is split into parts that repeat the key columns, or shown as one block per
row when even that does not fit. When stdout is not a terminal the table is printed at its
natural width, whatever COLUMNS says, so files and `| tee` keep every value; there the same
text is drawn without importing rich (`render_plain`) whenever the content allows it.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import IO, Any

Cell = str | tuple[str, str]  # text, or (text, rich style)


@dataclass
class Column:
    name: str
    justify: str = "left"  # "right" for numbers
    key: bool = False  # repeated in every part of a split table
    wrap: bool = False  # free text that may fold (notes); values never do


@dataclass
class Grid:
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    title: str | None = None
    notes: list[str] = field(default_factory=list)  # plain-text lines printed under the table
    row_styles: list[str | None] = field(default_factory=list)
    section_before: set[int] = field(default_factory=set)  # a rule above these rows
    drop_empty: bool = False  # leave out non-key columns with no value in any row
    show_header: bool = True

    def add_row(self, *cells: Cell, style: str | None = None, rule_above: bool = False) -> None:
        if rule_above:
            self.section_before.add(len(self.rows))
        self.rows.append(list(cells))
        self.row_styles.append(style)


def _text(c: Cell) -> str:
    return c if isinstance(c, str) else c[0]


def _longest_word(s: str) -> int:
    return max((len(w) for w in s.split()), default=0)


def _widths(grid: Grid) -> tuple[list[int], list[int]]:
    """(natural, minimum) width of each column's content (cells and header)."""
    natural, minimum = [], []
    for i, col in enumerate(grid.columns):
        cells = [_text(r[i]) for r in grid.rows]
        longest_line = max((len(line) for c in cells for line in c.splitlines() or [""]), default=0)
        nat = max(longest_line, len(col.name))
        if col.wrap:  # free text folds, but not inside a word (a number, a plan operator)
            words = max((_longest_word(c) for c in cells), default=0)
            low = max(min(nat, 12), min(words, 24), _longest_word(col.name))
        else:
            low = max(longest_line, _longest_word(col.name))
        natural.append(nat)
        minimum.append(low)
    return natural, minimum


def _table_width(widths: list[int]) -> int:
    # rich's default box: "│ " + cell + " " per column, plus the closing "│".
    return sum(w + 3 for w in widths) + 1


def _console(file: IO[str] | None = None) -> Any:
    from rich.console import Console

    return Console(file=file) if file is not None else Console()


def _rich_table(grid: Grid, idx: list[int], widths: list[int], title: str | None) -> Any:
    import textwrap

    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(title) if title else None, show_header=grid.show_header)
    for i, w in zip(idx, widths, strict=True):
        col = grid.columns[i]
        header = col.name
        if len(header) > w:  # wrap the header at spaces, never the values
            header = "\n".join(textwrap.wrap(header, w, break_long_words=False))
        t.add_column(
            Text(header),
            justify=col.justify,  # type: ignore[arg-type]
            no_wrap=not col.wrap,
            overflow="fold",
            width=w,
        )
    for r, (row, style) in enumerate(zip(grid.rows, grid.row_styles, strict=False)):
        cells = []
        for i in idx:
            c = row[i]
            cells.append(Text(c) if isinstance(c, str) else Text(c[0], style=c[1]))
        t.add_row(
            *cells,
            style=style,
            end_section=(r + 1) in grid.section_before and r + 1 < len(grid.rows),
        )
    return t


def _split(grid: Grid, minimum: list[int], width: int) -> list[list[int]] | None:
    """Column groups that each fit `width`, each starting with the key columns; None: no fit."""
    keys = [i for i, c in enumerate(grid.columns) if c.key] or [0]
    rest = [i for i in range(len(grid.columns)) if i not in keys]
    key_w = [minimum[i] for i in keys]
    if any(_table_width([*key_w, minimum[i]]) > width for i in rest) or _table_width(key_w) > width:
        return None  # some column does not fit even beside the keys alone
    parts: list[list[int]] = []
    current: list[int] = []
    for i in rest:
        if current and _table_width([*key_w, *(minimum[j] for j in [*current, i])]) > width:
            parts.append(current)
            current = []
        current.append(i)
    parts.append(current)
    return [[*keys, *p] for p in parts]


def _fit(natural: list[int], minimum: list[int], width: int, wrap: list[bool]) -> list[int]:
    """Widths within `width`: start from natural, shrink headers and free text down to minimum."""
    widths = list(natural)
    excess = _table_width(widths) - width
    # Free text first, then headers wider than their values, widest first.
    order = sorted(range(len(widths)), key=lambda i: (not wrap[i], -(natural[i] - minimum[i])))
    for i in order:
        if excess <= 0:
            break
        give = min(excess, widths[i] - minimum[i])
        widths[i] -= give
        excess -= give
    return widths


def print_grid(grid: Grid, file: IO[str] | None = None) -> None:
    """Print `grid` so that every value is shown whole (see the block comment above)."""
    if grid.drop_empty:
        grid = _without_empty(grid)
    natural, minimum = _widths(grid)
    if _piped(file):
        # Piped or captured: the same text rich prints there, without importing rich (~40 ms
        # of a `ducky query ... | ...` call). None: content only rich lays out exactly.
        text = render_plain(grid, natural)
        if text is not None:
            (file or sys.stdout).write(text)
            return
    console = _console(file)
    all_idx = list(range(len(grid.columns)))
    if not console.is_terminal:
        # Piped or captured: the natural width, so files and `| tee` keep every value.
        from rich.console import Console

        full = Console(file=file, width=max(_table_width(natural), len(grid.title or "")) + 1)
        full.print(_rich_table(grid, all_idx, natural, grid.title))
        for note in grid.notes:
            full.print(note, markup=False, highlight=False, soft_wrap=True)
        return
    width = console.width
    if _table_width(minimum) <= width:
        wraps = [c.wrap for c in grid.columns]
        console.print(_rich_table(grid, all_idx, _fit(natural, minimum, width, wraps), grid.title))
    else:
        parts = _split(grid, minimum, width)
        if parts is None:
            _print_vertical(grid, console)
        else:
            for n, idx in enumerate(parts, 1):
                title = f"{grid.title or 'table'} (part {n} of {len(parts)})"
                sub_nat = [natural[i] for i in idx]
                sub_min = [minimum[i] for i in idx]
                wraps = [grid.columns[i].wrap for i in idx]
                console.print(_rich_table(grid, idx, _fit(sub_nat, sub_min, width, wraps), title))
    for note in grid.notes:
        for line in fold_note(note, width):
            console.print(line, style="dim", markup=False, highlight=False)


# A number and its unit ("8.3 ms", "59 %", "95 MB") are one value: folding a note between them
# leaves "(8.3" on one line and "ms vs" on the next, which reads as two things.
_VALUE_UNIT = re.compile(r"(\d) (ms|s|%|MB|GB|GiB|MiB)(?!\w)")


def fold_note(note: str, width: int) -> list[str]:
    """`note` folded at spaces to `width` columns, never inside a word, a path or a value."""
    import textwrap

    # textwrap breaks only at ASCII whitespace, so a no-break space holds a value together.
    held = _VALUE_UNIT.sub("\\1\u00a0\\2", note)
    lines = textwrap.wrap(held, width=max(width, 20), break_long_words=False,
                          break_on_hyphens=False)  # fmt: skip
    return [line.replace("\u00a0", " ") for line in lines] or [""]


# -- piped output without rich ------------------------------------------------------------------
# A `ducky query` whose stdout is a pipe or a file used to import rich (~40 ms of a ~0.2 s call)
# only to draw a box at the table's natural width, with no colours and no wrapping. The same
# text is drawn here. Anything whose layout needs rich's own rules falls back to it: text other
# than printable ASCII (wide characters, tabs, control codes), a title wider than the table
# (rich wraps it), a header holding a line break, a note that could hold an :emoji: code.
# tests/test_tables.py holds the two byte for byte against rich on many grids.

_EMOJI_CODE = re.compile(r":\S+?:")  # what rich may replace in a printed note


def _piped(file: IO[str] | None) -> bool:
    """rich would see a non-terminal here (Console.is_terminal, mirrored without importing
    rich); any sign of an environment rich treats specially (forced colours or terminal,
    Jupyter, IDLE) answers False, so rich decides."""
    env = os.environ
    if env.get("TTY_COMPATIBLE") == "0":
        return True
    if "TTY_COMPATIBLE" in env or "FORCE_COLOR" in env or "ipykernel" in sys.modules:
        return False
    if getattr(sys.stdin, "__module__", "").startswith("idlelib"):
        return False
    isatty = getattr(file or sys.stdout, "isatty", None)
    try:
        return isatty is not None and not isatty()
    except ValueError:  # a closed file: rich says "not a terminal" too
        return True


def _plain_text(s: str, newlines: bool) -> bool:
    """Printable ASCII only (and line breaks where `newlines`): one character, one column."""
    return s.isascii() and (s.replace("\n", "") if newlines else s).isprintable()


def render_plain(grid: Grid, widths: list[int]) -> str | None:
    """`grid` drawn as rich draws it to a non-terminal (the default heavy-head box, one space of
    padding, the title centred above, notes as they are), each column `widths[i]` wide; None
    when the grid holds something only rich lays out exactly (see above)."""
    cells = [[_text(c) for c in row] for row in grid.rows]
    names = [c.name for c in grid.columns]
    if not all(_plain_text(n, newlines=False) for n in names):
        return None
    if not all(_plain_text(c, newlines=True) for row in cells for c in row):
        return None
    if any(not _plain_text(n, newlines=True) or _EMOJI_CODE.search(n) for n in grid.notes):
        return None
    total = _table_width(widths)
    title = grid.title or ""
    if not _plain_text(title, newlines=False) or title != title.strip() or len(title) > total:
        return None
    justify = [c.justify for c in grid.columns]
    if not justify or not set(justify) <= {"left", "right", "center"}:
        return None

    def rule(left: str, fill: str, cross: str, right: str) -> str:
        return left + cross.join(fill * (w + 2) for w in widths) + right

    def line(parts: list[str], edge: str) -> str:
        out = []
        for text, w, how in zip(parts, widths, justify, strict=True):
            if how == "right":  # rich drops trailing spaces before it aligns right or centre
                text = text.rstrip().rjust(w)
            elif how == "center":
                text = text.rstrip()
                pad = w - len(text)
                text = " " * (pad // 2) + text + " " * (pad - pad // 2)
            else:
                text = text.ljust(w)
            out.append(f" {text} ")
        return edge + edge.join(out) + edge

    lines: list[str] = []
    if title:
        left = (total - len(title)) // 2
        lines.append(" " * left + title + " " * (total - len(title) - left))
    if grid.show_header:
        lines += [rule("┏", "━", "┳", "┓"), line(names, "┃"), rule("┡", "━", "╇", "┩")]
    else:
        lines.append(rule("┌", "─", "┬", "┐"))
    for r, row in enumerate(cells):
        if r and r in grid.section_before:
            lines.append(rule("├", "─", "┼", "┤"))
        split = [c.split("\n") for c in row]
        for k in range(max((len(s) for s in split), default=1)):
            lines.append(line([s[k] if k < len(s) else "" for s in split], "│"))
    lines.append(rule("└", "─", "┴", "┘"))
    lines += grid.notes
    return "\n".join(lines) + "\n"


def _without_empty(grid: Grid) -> Grid:
    keep = [
        i
        for i, c in enumerate(grid.columns)
        if c.key or any(_text(r[i]).strip() for r in grid.rows)
    ]
    out = Grid(
        [grid.columns[i] for i in keep],
        title=grid.title,
        notes=grid.notes,
        row_styles=grid.row_styles,
        section_before=grid.section_before,
        show_header=grid.show_header,
    )
    out.rows = [[r[i] for i in keep] for r in grid.rows]
    return out


def _print_vertical(grid: Grid, console: Any) -> None:
    """One block per row, `name: value` per line: for terminals narrower than any table."""
    from rich.text import Text

    if grid.title:
        console.print(Text(grid.title, style="bold"))
    label = max((len(c.name) for c in grid.columns), default=0)
    for row in grid.rows:
        console.rule(style="dim")
        for col, c in zip(grid.columns, row, strict=False):
            value = Text(c) if isinstance(c, str) else Text(c[0], style=c[1])
            if label + 2 + len(value.plain) <= console.width:
                console.print(Text(f"{col.name:>{label}}: ") + value, soft_wrap=True)
            else:  # the value on its own line, whole, rather than folded beside its label
                console.print(Text(f"{col.name}:"))
                console.print(Text("  ") + value, soft_wrap=True)


def show_rich_table(
    table: Any, keys: int = 1, wrap: tuple[str, ...] = (), notes: list[str] | None = None
) -> None:
    """Print a `rich.table.Table` through `print_grid`: its first `keys` columns are repeated
    in split parts; columns named in `wrap` may fold; `notes` are printed under it. Cell
    markup keeps its colours."""
    from rich.text import Text

    cols = table.columns
    grid = Grid(
        [
            Column(
                str(c.header),
                justify=c.justify,
                key=i < keys,
                wrap=str(c.header) in wrap,
            )
            for i, c in enumerate(cols)
        ],
        title=str(table.title) if table.title else None,
        show_header=table.show_header,
        notes=list(notes or []),
    )
    columns = [list(c.cells) for c in cols]
    for r in range(table.row_count):
        cells: list[Cell] = []
        for col_cells in columns:
            v = col_cells[r] if r < len(col_cells) else ""
            t = v if isinstance(v, Text) else Text.from_markup(str(v))
            style = str(t.spans[0].style) if t.spans else ""
            cells.append((t.plain, style) if style else t.plain)
        grid.add_row(*cells)
    print_grid(grid)
