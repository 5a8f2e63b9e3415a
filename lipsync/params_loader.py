"""Strict mapping of YAML sections onto frozen dataclasses.

Written here rather than taken from a library because the project needs exactly one
behaviour that pydantic/omegaconf do not give without a second schema language: the
dataclasses that building blocks already own (``TrackerSettings``, ``MelSettings``...)
are the schema, and every error names the full dotted key (``faces.tracker.detect_every``)
so a misspelt ``params.yaml`` fails at load time, before any stage runs.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


class ParamsError(ValueError):
    """A params.yaml key is missing, unknown or of the wrong type."""


class FrozenDict(dict):
    """A read-only, hashable, picklable mapping (``dict[str, X]`` fields of frozen settings)."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("settings mappings are read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def __reduce__(self):
        return (FrozenDict, (dict(self),))


def from_mapping(cls: type[T], data: Any, key: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, recursively and strictly.

    Every field is required; unknown keys are refused; values are type-checked against the
    annotations (int, float, str, bool, Literal, tuple[...], list[...], nested dataclasses,
    ``X | None``). Lists become tuples so the result stays hashable and frozen.
    """
    where = key or "<root>"
    if not isinstance(data, dict):
        raise ParamsError(f"params key '{where}' must be a mapping, got {type(data).__name__}")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        names = ", ".join(_join(key, u) for u in unknown)
        raise ParamsError(f"unknown params key(s): {names} (expected one of: {', '.join(fields)})")
    values = {}
    for name in fields:
        sub = _join(key, name)
        if name not in data:
            raise ParamsError(f"missing params key '{sub}'")
        values[name] = _convert(hints[name], data[name], sub)
    try:
        return cls(**values)
    except ParamsError:
        raise
    except ValueError as error:  # a settings class's own rule (__post_init__): say where it applies
        raise ParamsError(f"params section '{where}': {error}") from None


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else str(name)


def _convert(hint: Any, value: Any, key: str) -> Any:
    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return from_mapping(hint, value, key)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, key)
            except ParamsError as exc:
                errors.append(str(exc))
        raise ParamsError(errors[0] if len(errors) == 1 else f"params key '{key}': {value!r} fits none of {hint}")
    if origin is Literal:
        if value not in get_args(hint):
            raise ParamsError(f"params key '{key}' must be one of {list(get_args(hint))}, got {value!r}")
        return value
    if origin in (tuple, list, typing.Sequence):
        if not isinstance(value, (list, tuple)):
            raise ParamsError(f"params key '{key}' must be a list, got {value!r}")
        args = get_args(hint)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ParamsError(f"params key '{key}' must have {len(args)} items, got {len(value)}")
            return tuple(_convert(a, v, f"{key}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True)))
        item = args[0] if args else Any
        return tuple(_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ParamsError(f"params key '{key}' must be a mapping, got {value!r}")
        _, vt = get_args(hint)
        return FrozenDict({k: _convert(vt, v, f"{key}.{k}") for k, v in value.items()})
    return _scalar(hint, value, key)


def _scalar(hint: Any, value: Any, key: str) -> Any:
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ParamsError(f"params key '{key}' must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"params key '{key}' must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamsError(f"params key '{key}' must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ParamsError(f"params key '{key}' must be a string, got {value!r}")
        return value
    raise ParamsError(f"params key '{key}': unsupported annotation {hint!r}")


def to_mapping(obj: Any) -> Any:
    """Inverse of :func:`from_mapping` (tuples back to lists), for logging and hashing."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_mapping(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (tuple, list)):
        return [to_mapping(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_mapping(v) for k, v in obj.items()}
    return obj
