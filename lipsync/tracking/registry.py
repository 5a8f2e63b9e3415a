"""Registry helpers: aliases that name a chosen version (``champion``), and version comparison.

An alias is the one sanctioned way to say "the version we use" without "the latest": it
is set deliberately (after evaluation) and resolves to a full :class:`ModelRef`. A stage
that reads ``models:/lipsync-generator@champion`` resolves it once (:func:`resolve_model_uri`)
and records the version number it got.
"""

from __future__ import annotations

from typing import Any

from mlflow import MlflowClient

from lipsync.tracking.model_ref import ModelRef


def set_alias(client: MlflowClient, ref: ModelRef, alias: str) -> None:
    """Point ``alias`` of registered model ``ref.name`` at ``ref.version`` (moving it if it was set)."""
    client.set_registered_model_alias(ref.name, alias, str(ref.version))


def get_alias(client: MlflowClient, name: str, alias: str) -> ModelRef | None:
    """The version that ``alias`` of registered model ``name`` points at, or None when it is unset.

    A missing registered model raises MlflowException (RESOURCE_DOES_NOT_EXIST).
    """
    version = client.get_registered_model(name).aliases.get(alias)
    if version is None:
        return None
    run_id = client.get_model_version(name, str(version)).run_id
    return ModelRef(name=name, version=int(version), run_id=run_id)


def compare_versions(client: MlflowClient, name: str, metric: str) -> list[dict[str, Any]]:
    """Every version of ``name`` with the final value of ``metric`` in the run that logged it.

    Returns ``[{"name", "version": int, "run_id", "aliases": [str], "metric", "value": float | None}]``
    sorted by version; ``value`` is the value at the run's last step (None if never logged).
    """
    aliases_of = aliases_by_version(client, name)
    rows = []
    for version in client.search_model_versions(filter_string=f"name = '{name}'"):
        number = int(version.version)
        value = client.get_run(version.run_id).data.metrics.get(metric) if version.run_id else None
        rows.append(
            {
                "name": name,
                "version": number,
                "run_id": version.run_id,
                "aliases": sorted(aliases_of.get(number, [])),
                "metric": metric,
                "value": value,
            }
        )
    return sorted(rows, key=lambda row: row["version"])


def registered_version_exists(client: MlflowClient, ref: dict) -> bool:
    """Whether version ``ref['version']`` of ``ref['name']`` exists and was logged by ``ref['run_id']``."""
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_model_version(ref["name"], str(ref["version"]))
    except MlflowException:
        return False
    return version.run_id == ref["run_id"]


def resolve_model_uri(client: MlflowClient, uri: str) -> ModelRef:
    """``models:/<name>@<alias>`` or ``models:/<name>/<version>`` -> the exact :class:`ModelRef`.

    Raises ValueError naming the URI when it has another form, the alias is unset or the
    version does not exist.
    """
    from mlflow.exceptions import MlflowException

    body = uri.removeprefix("models:/")
    if body == uri or not body:
        raise ValueError(f"{uri!r} is not a registry URI (models:/NAME@ALIAS or models:/NAME/VERSION)")
    try:
        if "@" in body:
            name, alias = body.split("@", 1)
            ref = get_alias(client, name, alias)
            if ref is None:
                raise ValueError(f"{uri}: registered model {name!r} has no alias {alias!r}")
            return ref
        name, _, version = body.rpartition("/")
        if not name or not version.isdigit():
            raise ValueError(f"{uri!r} is not a registry URI (models:/NAME@ALIAS or models:/NAME/VERSION)")
        found = client.get_model_version(name, version)
    except MlflowException as error:
        raise ValueError(f"{uri}: {error.message}") from error
    return ModelRef(name=name, version=int(found.version), run_id=found.run_id)


def aliases_by_version(client: MlflowClient, name: str) -> dict[int, list[str]]:
    """``{version: [aliases]}`` of registered model ``name`` (versions without an alias left out)."""
    out: dict[int, list[str]] = {}
    for alias, version in client.get_registered_model(name).aliases.items():
        out.setdefault(int(version), []).append(alias)
    return {version: sorted(aliases) for version, aliases in out.items()}
