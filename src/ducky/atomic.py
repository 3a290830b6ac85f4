"""Atomic file writes: readers see the old file or the new one, never half of one.

The new content goes to a temporary file in the target's own directory (so `os.replace` is a
rename on one file system) and replaces the target in one step. `tempfile.mkstemp` creates files
with mode 0600; the final file gets the mode a plain `open(path, "w")` would give it (0666 minus
the user's umask), so charts and CSVs stay readable by the people the user shares them with.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_mode() -> int:
    """The mode `open(path, "w")` would create a file with: 0666 minus the umask."""
    return 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, else it is removed.

    For writers that want a file name (matplotlib's savefig, pyarrow, a database export).
    `suffix` keeps the extension some writers look at (".png").
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, default_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8", **kw: Any
) -> Iterator[IO[Any]]:
    """Open a temporary file beside `path` for writing; it replaces `path` when the block ends."""
    if "b" in mode:
        encoding = None
    with atomic_path(path) as tmp, open(tmp, mode, encoding=encoding, **kw) as fh:
        yield fh


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to `path` atomically."""
    with atomic_open(path, "w", newline="") as fh:
        fh.write(text)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


# -- directories ------------------------------------------------------------------------------
# A directory cannot be replaced in one rename, so a swap names every state it passes through
# and the next run (recover_dir) finishes or rolls back whatever a crash left:
#   .NAME.tmp-PID-ID   being written by process PID      -> removed once PID is gone
#   .NAME.new-ID       complete, about to replace NAME   -> becomes NAME if NAME is missing
#   .NAME.old-ID       the previous NAME, being retired  -> back to NAME if NAME is missing
# Each step is one rename, so at every instant NAME, a .new- or an .old- holds a complete copy.
PAUSE_ENV = "DUCKY_TEST_PAUSE_AT"  # tests only: `window:file` pauses there (kill -9 tests)


def _pause(window: str) -> None:
    """Test hook: at a named crash window, write a file and wait to be killed; a test that
    removes the file instead lets the run go on (to break something else there first)."""
    spec = os.environ.get(PAUSE_ENV, "")
    if not spec or spec.split(":", 1)[0] != window:
        return
    import time

    flag = Path(spec.split(":", 1)[1])
    flag.write_text(str(os.getpid()))
    deadline = time.monotonic() + 600
    while flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def temp_dir_for(target: str | os.PathLike[str]) -> Path:
    """A fresh `.NAME.tmp-PID-ID` beside `target` (not created)."""
    import uuid

    t = Path(target)
    return t.parent / f".{t.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def swap_dir(tmp: Path, target: Path, keep: tuple[str, ...] = ()) -> None:
    """Put the complete directory `tmp` at `target`, retiring the old one; crash-safe.

    `keep`: entries of the old directory moved into the new one first (per-directory state).
    """
    import shutil
    import uuid

    ident = uuid.uuid4().hex[:8]
    new = target.parent / f".{target.name}.new-{ident}"
    old = target.parent / f".{target.name}.old-{ident}"
    if target.exists():
        for name in keep:
            if (target / name).exists() and not (tmp / name).exists():
                os.rename(target / name, tmp / name)
    os.rename(tmp, new)  # complete: from now on a crash finishes the swap
    _pause("swap-ready")
    if target.exists():
        os.rename(target, old)
    _pause("swap-between")
    os.rename(new, target)
    _pause("swap-done")
    shutil.rmtree(old, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tmp_owner_gone(p: Path) -> bool:
    import time

    tail = p.name.rsplit(".tmp-", 1)[-1]
    head = tail.split("-", 1)[0]
    if head.isdigit():
        return not _pid_alive(int(head))
    # an older name without a pid: garbage once nobody has touched it for an hour
    return time.time() - p.stat().st_mtime > 3600


def recover_dir(target: str | os.PathLike[str]) -> list[str]:
    """Finish or roll back a swap a crash interrupted at `target`, and remove its garbage.

    Returns what was done, one phrase per action (for a note on stderr or a test).
    """
    import shutil

    t = Path(target)
    parent = t.parent
    if not parent.is_dir():
        return []
    done: list[str] = []
    prefix = f".{t.name}."

    def mtime(p: Path) -> float:
        return p.stat().st_mtime

    news = sorted((p for p in parent.glob(prefix + "new-*") if p.is_dir()), key=mtime)
    olds = sorted((p for p in parent.glob(prefix + "old-*") if p.is_dir()), key=mtime)
    if not t.exists():
        if news:  # killed between the renames: the new copy is complete, finish the swap
            os.rename(news.pop(), t)
            done.append(f"finished an interrupted swap into {t}")
        elif olds:  # no complete new copy: put the previous one back
            os.rename(olds.pop(), t)
            done.append(f"restored {t} from an interrupted swap")
    for p in news + olds:
        shutil.rmtree(p, ignore_errors=True)
        done.append(f"removed {p.name}")
    for p in parent.glob(prefix + "tmp-*"):
        try:
            gone = _tmp_owner_gone(p)
        except OSError:
            continue
        if gone:
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            done.append(f"removed {p.name}")
    return done
