"""ducky: local-first e-commerce analytics.

The Python API (docs/PYTHON.md):

    import ducky
    shop = ducky.open("data")
    shop.query("wau")           # Polars DataFrame
    shop.cohort()               # heatmap in Jupyter
    shop.audience({"where": {"type": "attribute", "column": "age", "op": "gte", "value": 30}})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ducky.version import __version__

if TYPE_CHECKING:
    from ducky.errors import DuckyError, UserError
    from ducky.shop import Cohort, Shop, open

__all__ = ["Cohort", "DuckyError", "Shop", "UserError", "__version__", "open"]


def __getattr__(name: str) -> Any:
    # Lazy: `import ducky` (and so the CLI's start) stays light.
    if name in ("open", "Shop", "Cohort"):
        from ducky import shop

        return getattr(shop, name)
    if name in ("DuckyError", "UserError"):
        from ducky import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'ducky' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazy names are what a notebook's tab-completion should offer, not typing's helpers.
    return sorted(__all__)
