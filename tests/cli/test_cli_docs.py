"""docs/CLI.md is tested against the code: every DUCKY_* variable ducky reads and every option
of every command is documented, and the vocabulary holds (`--json` after any command, one engine
default, `--from/--to` said the same way). Regenerate the option tables with
`PYTHONPATH=src python -m tests.cli.test_cli_docs` after changing a command."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click

from ducky.cli.main import cli
from ducky.config import ENV_VARS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "CLI.md"
BEGIN, END = "<!-- options:begin -->", "<!-- options:end -->"


def _walk(
    cmd: click.Command, path: list[str], ctx: click.Context
) -> Iterator[tuple[list[str], click.Command]]:
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.list_commands(ctx)):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, [*path, name], ctx)


def commands() -> list[tuple[list[str], click.Command]]:
    return list(_walk(cli, [], click.Context(cli, info_name="ducky")))


def options_markdown() -> str:
    out: list[str] = []
    for path, cmd in commands():
        opts = [p for p in cmd.params if isinstance(p, click.Option) and not p.hidden]
        args = [p for p in cmd.params if isinstance(p, click.Argument)]
        if path and not opts and not args:
            continue
        out.append(f"### `ducky {' '.join(path)}`\n" if path else "### `ducky` (global options)\n")
        first = (cmd.help or "").strip().split("\n")[0]
        if first:
            out.append(first + "\n")
        out += ["| option | meaning |", "|---|---|"]
        out += [f"| `{a.human_readable_name}` (argument) | |" for a in args]
        for p in opts:
            names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
            text = " ".join((p.help or "").split()).replace("|", "\\|")
            if isinstance(p.envvar, str) and p.envvar not in text:
                text += f" (env {p.envvar})"
            out.append(f"| {names} | {text} |")
        out.append("")
    return "\n".join(out)


def test_every_ducky_variable_is_registered_and_documented() -> None:
    read = set()
    for f in (ROOT / "src" / "ducky").rglob("*.py"):
        read |= set(re.findall(r"\bDUCKY_[A-Z_]+[A-Z]\b", f.read_text()))
    assert read == set(ENV_VARS), (
        f"unregistered: {read - set(ENV_VARS)}; stale: {set(ENV_VARS) - read}"
    )
    doc = DOC.read_text()
    for name in ENV_VARS:
        assert f"`{name}`" in doc, name


def test_every_option_is_documented() -> None:
    doc = DOC.read_text()
    section = doc.split(BEGIN, 1)[1].split(END, 1)[0]
    blocks = dict(re.findall(r"### `(ducky[^`]*)`[^\n]*\n(.*?)(?=\n### |\Z)", section, re.S))
    for path, cmd in commands():
        opts = [p for p in cmd.params if isinstance(p, click.Option) and not p.hidden]
        if path and not opts:
            continue
        title = f"ducky {' '.join(path)}" if path else "ducky"
        assert title in blocks, f"`{title}` has no table in docs/CLI.md (regenerate it)"
        for p in opts:
            for o in p.opts:
                assert f"`{o}`" in blocks[title], f"{title} {o} missing in docs/CLI.md"


def test_vocabulary() -> None:
    for path, cmd in commands():
        if not path:
            continue
        names = {o for p in cmd.params for o in getattr(p, "opts", ())}
        assert "--json" in names, f"ducky {' '.join(path)} has no --json"
        ranged = [p for p in cmd.params if {"--from", "--to"} & set(getattr(p, "opts", ()))]
        if path[0] == "cohort":  # the commands whose wording this package owns
            assert ranged and all("inclusive" in (getattr(p, "help", "") or "") for p in ranged)


if __name__ == "__main__":  # regenerate the option tables in docs/CLI.md
    text = DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{BEGIN}\n{options_markdown()}\n{END}{tail}")
