"""What the retraining schedule and sensor decide on (``pipelines/retraining.py`` wraps them).

Both compare now with each promoted model's champion (or, with none yet, its challenger: the
last candidate judged) as the registry recorded it:

- :func:`changes_since_champion`: the shard data version, the stage's params hash and code
  version against the champion's ``data_version``, ``params_hash`` and ``code_version`` tags,
  and, when they differ, against the challenger's (the last candidate judged). Matching either
  means a retraining would reproduce a version already judged (the training stages reuse an
  unchanged registered version): the schedule skips.
- :func:`new_clips_since_champion`: the usable clips (the video ids in the shards manifest)
  that the champion was not trained on (its training run logs the manifest it saw as
  ``data/manifest.json``). The sensor launches a retraining at ``retraining.min_new_clips``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from lipsync.config import Params, select_sections
from lipsync.layout import Layout
from lipsync.stages.registry import stage as registry_entry
from lipsync.stages.training_stage import FILTERED_STAGES, SOURCE_ROOT, code_hash, shard_data_version

MANIFEST_ARTIFACT = "data/manifest.json"


def reference_version(client, name: str) -> tuple[int, str] | None:
    """(version, alias) of ``name``'s champion, else its challenger; None for neither (or no model)."""
    judged = judged_versions(client, name)
    return judged[0] if judged else None


def judged_versions(client, name: str) -> list[tuple[int, str]]:
    """[(version, alias)] of ``name``'s champion, then its challenger when that is another version."""
    if not client.search_registered_models(f"name = '{name}'"):
        return []
    aliases = client.get_registered_model(name).aliases
    found = [(int(aliases[alias]), alias) for alias in ("champion", "challenger") if alias in aliases]
    return found[:1] + [item for item in found[1:] if item[0] != found[0][0]]


def changes_since_champion(params: Params, layout: Layout, client) -> dict[str, list[str]]:
    """``{stage: [what changed]}`` for each stage of ``promote.models``, against its champion; empty
    when nothing changed since the champion or since the challenger (a retraining would reproduce
    a version already judged)."""
    from lipsync.tracking import flatten_params, params_hash

    shards_version = shard_data_version(layout)  # FileNotFoundError before the shards exist
    out = {}
    for stage in params.promote.models:
        entry = registry_entry(stage)
        judged = judged_versions(client, entry.registered_model)
        if not judged:
            out[stage] = [f"{entry.registered_model} has no champion or candidate yet"]
            continue
        now = {
            "data_version": trained_data_version(layout, stage, shards_version),
            "params_hash": params_hash(flatten_params(select_sections(params, entry.params))),
            "code_version": code_hash(SOURCE_ROOT, entry.code),
        }
        against = [_differences(client, entry.registered_model, version, alias, now) for version, alias in judged]
        out[stage] = [] if [] in against else against[0]
    return out


def trained_data_version(layout: Layout, stage: str, shards_version: str) -> str:
    """The data version ``stage`` would train on now: the syncfilter stage's filtered shards for the
    generators when they were cut from the current shards, else the shards' own version (then new
    shards are a change, as they must be)."""
    if stage in FILTERED_STAGES and layout.syncfilter_manifest.exists():
        filtered = json.loads(layout.syncfilter_manifest.read_text())
        if filtered.get("shards_data_version") == shards_version:
            return filtered["data_version"]
    return shards_version


def _differences(client, name: str, version: int, alias: str, now: dict[str, str]) -> list[str]:
    tags = client.get_model_version(name, str(version)).tags
    return [f"{key} {tags.get(key, 'unknown')[:8]} (v{version}, {alias}) -> {value[:8]}"
            for key, value in now.items() if tags.get(key) != value]  # fmt: skip


def new_clips_since_champion(params: Params, layout: Layout, client) -> dict:
    """``{"new": int, "clips": int, "data_version": str, "against": str}``: the usable clips not in
    the training data of the champion (else challenger) that has the fewest new ones."""
    if not layout.shards_manifest.exists():
        raise FileNotFoundError(f"{layout.shards_manifest} is missing: the data job has not made shards yet")
    manifest = json.loads(layout.shards_manifest.read_text())
    clips = _video_ids(manifest)
    best = None
    for stage in params.promote.models:
        name = registry_entry(stage).registered_model
        reference = reference_version(client, name)
        if reference is None:
            new, against = len(clips), f"{name} (no champion or candidate yet: every clip is new)"
        else:
            seen = _trained_on(client, name, reference[0])
            against = f"{name} v{reference[0]} ({reference[1]})"
            if seen is None:
                new, against = len(clips), f"{against}, whose run logged no {MANIFEST_ARTIFACT}: every clip is new"
            else:
                new = len(clips - seen)
        if best is None or new < best["new"]:
            best = {"new": new, "clips": len(clips), "data_version": manifest["data_version"], "against": against}
    return best or {"new": 0, "clips": len(clips), "data_version": manifest["data_version"], "against": "no model"}


def _video_ids(manifest: dict) -> set[str]:
    return {video for split in manifest["splits"].values() for video in split.get("video_ids", [])}


def _trained_on(client, name: str, version: int) -> set[str] | None:
    """The video ids in the shards manifest ``name`` v``version``'s training run saw (None: not logged)."""
    from mlflow.exceptions import MlflowException

    run_id = client.get_model_version(name, str(version)).run_id
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = client.download_artifacts(run_id, MANIFEST_ARTIFACT, tmp)
        except (MlflowException, OSError):
            return None
        return _video_ids(json.loads(Path(local).read_text()))
