"""A registered model version named by identity: (name, version, run_id), never "the latest".

Stages hand models to each other as a :class:`ModelRef` (serialised with
:meth:`ModelRef.to_dict` into JSON summaries, Dagster metadata or DVC outputs). The run id
makes the reference checkable: a store that was wiped and refilled would have a version 1
again, but from another run, and :func:`~lipsync.tracking.logged_model.load_state_dict`
refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_FIELDS = ("name", "version", "run_id")


@dataclass(frozen=True)
class ModelRef:
    """Version ``version`` of registered model ``name``, logged by MLflow run ``run_id``."""

    name: str
    version: int
    run_id: str

    def __post_init__(self) -> None:
        if not self.name or not self.run_id:
            raise ValueError(f"ModelRef needs a name and a run_id, got {self}")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValueError(f"ModelRef version must be an int >= 1, got {self.version!r}")

    @property
    def uri(self) -> str:
        """The registry URI of exactly this version: ``models:/<name>/<version>``."""
        return f"models:/{self.name}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """``{"name": str, "version": int, "run_id": str}``, JSON-ready."""
        return {"name": self.name, "version": self.version, "run_id": self.run_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelRef:
        """Inverse of :meth:`to_dict`; a missing or unknown key raises ValueError naming it."""
        missing = [key for key in _FIELDS if key not in data]
        unknown = sorted(set(data) - set(_FIELDS))
        if missing or unknown:
            raise ValueError(f"model reference {dict(data)} has missing keys {missing} and unknown keys {unknown}")
        return cls(name=str(data["name"]), version=int(data["version"]), run_id=str(data["run_id"]))
