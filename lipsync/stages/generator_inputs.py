"""What the two generator stages share: the expert they train against, the weights they start
from (:func:`warm_start`), and the input example their registered models are logged with."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.stages.registry import stage as registry_entry
from lipsync.stages.training_stage import read_result
from lipsync.training.settings import WarmStartSettings

EXPERT_STAGE = "syncnet_expert"


def load_expert(params: Params, layout: Layout, needed_by: str):
    """(frozen SyncNet, its ModelRef dict): the version ``syncnet_expert`` registered (its
    result.json), loaded from the registry by name, version and run id."""
    from lipsync.models import SyncNet
    from lipsync.tracking import ModelRef, load_state_dict, open_tracking

    produced = read_result(layout, EXPERT_STAGE, needed_by)
    ref = ModelRef.from_dict(produced["model"])
    expert = SyncNet(params.models.syncnet)
    expert.load_state_dict(load_state_dict(open_tracking(layout.mlruns), ref))
    return expert.eval().requires_grad_(False), produced["model"]


def input_example(params: Params, ours: bool) -> tuple[np.ndarray, np.ndarray]:
    """Zeros in each forward's argument order: ours (faces, mel), Wav2Lip (mel, faces).

    faces: float32 (2, 6, S, S) masked target + reference; mel: (2, 1, bands, mel frames)."""
    size = params.format.face_size
    faces = np.zeros((2, 6, size, size), np.float32)
    mel = np.zeros((2, 1, params.format.mel_bands, params.models.generator.audio.mel_frames), np.float32)
    return (faces, mel) if ours else (mel, faces)


def warm_start(settings: WarmStartSettings, layout: Layout, stage: str) -> dict | None:
    """The identity of the weights ``stage``'s training starts from (``training.<stage>.warm_start``),
    None from scratch. It joins the training's fingerprint (input ``init``), so another starting
    point is another training, and resuming keeps to the one the checkpoints were made from.

    ``champion``: the registry's champion, resolved here once to its version (recorded in
    result.json); with no champion yet the training starts from scratch and says so.
    ``checkpoint``: the file, named with its content hash.
    """
    import hashlib
    import logging

    from lipsync.tracking import get_alias, open_tracking

    if settings.source == "scratch":
        return None
    if settings.source == "checkpoint":
        path = (layout.root / settings.checkpoint).resolve()
        if not path.is_file():
            raise FileNotFoundError(
                f"{stage}: params key 'training.{stage}.warm_start.checkpoint' names {path}, which does not exist"
            )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        return {"from": "checkpoint", "path": str(path), "sha256": digest}
    name = registry_entry(stage).registered_model
    client = open_tracking(layout.mlruns)
    ref = get_alias(client, name, "champion") if client.search_registered_models(f"name = '{name}'") else None
    if ref is None:
        logging.getLogger("lipsync").warning("%s: warm start from the champion, but %s has none yet: from scratch",
                                             stage, name)  # fmt: skip
        return {"from": f"scratch ({name} has no champion yet)"}
    return {"from": "champion", **ref.to_dict()}


def load_start(model, init: dict | None, layout: Layout) -> None:
    """Load the starting weights :func:`warm_start` named into ``model`` (strictly, weights only)."""
    from lipsync.models import load_checkpoint
    from lipsync.tracking import ModelRef, load_state_dict, open_tracking

    if init is None or init["from"] not in ("champion", "checkpoint"):
        return
    if init["from"] == "checkpoint":
        load_checkpoint(model, Path(init["path"]))
        return
    ref = ModelRef.from_dict({key: init[key] for key in ("name", "version", "run_id")})
    model.load_state_dict(load_state_dict(open_tracking(layout.mlruns), ref), strict=True)
