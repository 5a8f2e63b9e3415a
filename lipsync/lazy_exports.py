"""Package re-exports that import their module on first use (PEP 562).

A package ``__init__`` that re-exports names from torch-based modules would make importing
any light sibling (``lipsync.models.settings``, read by :mod:`lipsync.config`) pay for
torch. With :func:`lazy_exports` the package lists where each name lives and imports that
module only when the name is first read, so ``from lipsync.models import SyncNet`` works
as before and ``lipsync --help`` or a params check stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, where: dict[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``; ``where`` maps each name to its module."""

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__
