"""The report as PDF, printed by headless Chromium (the page's print CSS puts the brief alone
on page 1). Chromium is a system package: scripts/install-system-deps.sh installs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ducky.errors import UserError

FLAGS = [
    "--headless",
    "--no-sandbox",  # root in containers; the page is our own file, no remote content
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
]
HINT = (
    "--pdf needs headless Chromium: install it with scripts/install-system-deps.sh "
    "(or apt-get install chromium), or set DUCKY_CHROMIUM to its path"
)


def find_chromium() -> str | None:
    env = os.environ.get("DUCKY_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html_path: Path, pdf_path: Path, timeout: float = 180.0) -> Path:
    """Print `html_path` to `pdf_path` (atomically). UserError when Chromium is missing/fails."""
    chromium = find_chromium()
    if chromium is None:
        raise UserError(HINT)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ducky-chromium-") as profile:
        tmp = pdf_path.with_name(f".{pdf_path.name}.tmp-{os.getpid()}")
        try:
            proc = subprocess.run(
                [
                    chromium,
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    f"--print-to-pdf={tmp}",
                    html_path.resolve().as_uri(),
                ],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
            if proc.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
                last = (proc.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
                raise UserError(f"chromium could not print the report to PDF: {last[:200]}")
            os.replace(tmp, pdf_path)
        except subprocess.TimeoutExpired as e:
            raise UserError(f"chromium did not print the PDF within {timeout:.0f} s") from e
        finally:
            tmp.unlink(missing_ok=True)
    return pdf_path
