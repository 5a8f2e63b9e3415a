"""Flatten nested parameters into MLflow's flat ``"a.b.c" -> str`` form.

Training settings arrive as nested mappings or frozen dataclasses (parsed from
``params.yaml``); MLflow params are flat strings. Dotted keys keep the ``params.yaml``
path, so a run's ``models.syncnet.width`` is the same key a reader finds in the file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any


def flatten_params(params: Mapping[str, Any] | Any, prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": 1}, "c": [1, 2]}`` -> ``{"a.b": "1", "c": "[1, 2]"}``.

    Mappings and dataclass instances are descended into; every other value (lists, paths,
    numbers, None) is written with ``str``. Raises ValueError when two paths collide
    (``{"a.b": 1, "a": {"b": 2}}``), since one would silently hide the other.
    """
    if dataclasses.is_dataclass(params) and not isinstance(params, type):
        params = {field.name: getattr(params, field.name) for field in dataclasses.fields(params)}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping or a dataclass instance, got {type(params).__name__}")
    flat: dict[str, str] = {}
    for key, value in params.items():
        path = f"{prefix}{key}"
        nested = isinstance(value, Mapping) or (dataclasses.is_dataclass(value) and not isinstance(value, type))
        items = flatten_params(value, f"{path}.").items() if nested else [(path, _as_text(value))]
        for flat_key, text in items:
            if flat_key in flat:
                raise ValueError(f"parameter {flat_key!r} appears twice after flattening")
            flat[flat_key] = text
    return flat


def _as_text(value: Any) -> str:
    if isinstance(value, PurePath):
        return value.as_posix()
    return str(value)


def params_hash(flat: Mapping[str, str]) -> str:
    """16 hex digits naming a set of flat params (``flatten_params`` output, or a run's params):
    equal exactly when every key and value is. ``eval.*`` entries (an evaluation's constants,
    logged as params by training runs) are left out: they are results, not settings."""
    import hashlib
    import json

    kept = {key: str(value) for key, value in flat.items() if not key.startswith("eval.")}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]
