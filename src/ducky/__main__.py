from __future__ import annotations

from ducky.cli.main import main

main()
