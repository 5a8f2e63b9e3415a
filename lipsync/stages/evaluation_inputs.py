"""What the ``evaluation`` stage reads: the held-out clips, the models by identity, the evaluator.

Clips come from the data stages' per-video outputs (not from the shards), whole: the face
crops of each video's longest face run, its normalised audio over the same frames, its mel
features and its mouth boxes. Models come by identity: the version each training stage
recorded in its ``result.json``, loaded from the registry with the weights-only loader; the
official files (``evaluation.evaluator_file``, ``evaluation.wav2lip_file``) by path.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lipsync.config import Params
from lipsync.evaluation.clip import EvalClip
from lipsync.layout import Layout
from lipsync.media.reader import read_wav
from lipsync.stages import records as rec
from lipsync.stages.mouth_truth import MouthBoxes
from lipsync.stages.training_stage import read_result

MIN_FRAMES = 6  # the LSE protocol's shortest clip (one window plus the one it leaves out)


def split_video_ids(layout: Layout, split: str) -> list[str]:
    """Video ids of ``split`` as the shards stage assigned them (its manifest)."""
    if not layout.shards_manifest.exists():
        raise FileNotFoundError(f"evaluation: {layout.shards_manifest} is missing: run `lipsync run shards` first")
    splits = json.loads(layout.shards_manifest.read_text())["splits"]
    if split not in splits or "video_ids" not in splits[split]:
        raise ValueError(f"evaluation: the shards manifest names no videos of split {split!r}: rerun the shards stage")
    return list(splits[split]["video_ids"])


def load_clips(params: Params, layout: Layout, split: str) -> tuple[list[EvalClip], dict[str, str]]:
    """(clips, {source: why it was left out}) for every video of ``split``."""
    boxes, clips, skipped = MouthBoxes(params, layout), [], {}
    ids = split_video_ids(layout, split)
    if not ids:
        raise ValueError(f"evaluation: split {split!r} has no clips (see {layout.shards_manifest})")
    for video_id in ids:
        record = rec.read_record(layout.ingest_record(video_id)) or {}
        label = record.get("source", video_id)
        try:
            clips.append(_clip(params, layout, video_id, record, boxes))
        except (OSError, ValueError) as exc:
            skipped[label] = str(exc)
    return clips, skipped


def _clip(params: Params, layout: Layout, video_id: str, record: dict, boxes: MouthBoxes) -> EvalClip:
    track = np.load(layout.face_track(video_id))
    segments = track["segments"]
    if not len(segments):
        raise ValueError(f"{record.get('source', video_id)}: no face run")
    first, stop = max((tuple(int(v) for v in s) for s in segments), key=lambda s: s[1] - s[0])
    if stop - first < MIN_FRAMES:
        raise ValueError(f"{record.get('source', video_id)}: the longest face run is {stop - first} frames, "
                         f"shorter than the {MIN_FRAMES} one sync window needs")  # fmt: skip
    crops = np.load(layout.face_crops(video_id), mmap_mode="r")
    audio, rate = read_wav(layout.normalised_audio(video_id))
    per_frame = rate // params.format.fps
    span = np.zeros((stop - first) * per_frame, np.float32)
    piece = audio[first * per_frame : stop * per_frame]
    span[: len(piece)] = piece
    frames = np.arange(first, stop)
    mouth = boxes.for_frames(video_id, frames, track["boxes"][first:stop], track["landmarks"][first:stop])
    return EvalClip(
        clip_id=video_id,
        label=str(record.get("source", video_id)),
        speaker=str(record.get("speaker", video_id)),
        frames=np.ascontiguousarray(crops[first:stop]),
        audio=span,
        mel=np.load(layout.mel_features(video_id)),
        audio_first_frame=first,
        mouth_boxes=mouth,
        fps=params.format.fps,
    )


def load_generators(params: Params, layout: Layout) -> dict[str, tuple[object, dict]]:
    """{row: (Generate, identity)} in report order: copy, ours, the baseline, the official Wav2Lip."""
    from lipsync.evaluation.generate import copy_reference, model_generator
    from lipsync.models import LipSyncGenerator, Wav2Lip, load_checkpoint

    rows: dict[str, tuple[object, dict]] = {"copy_reference": (copy_reference, {"model": "copy the reference"})}
    for row, stage, build in (("ours", "generator", lambda: LipSyncGenerator(params.models.generator)),
                              ("wav2lip_baseline", "wav2lip_baseline", Wav2Lip)):  # fmt: skip
        model, ref = _registered(layout, stage, build)
        rows[row] = (model_generator(model), ref)
    official = params.evaluation.wav2lip_file
    if official:
        model = Wav2Lip()
        load_checkpoint(model, _existing(layout, official, "evaluation.wav2lip_file"))
        rows["wav2lip_official"] = (model_generator(model), {"model": f"official Wav2Lip ({official})"})
    return rows


def load_evaluator(params: Params, layout: Layout):
    """(SyncNetV2 in eval mode, identity): the official file when given, else the registered version."""
    from lipsync.evaluation.syncnet_v2 import OFFICIAL_SYNCNET_V2, SyncNetV2, load_syncnet_v2

    official = params.evaluation.evaluator_file
    if official:
        net = SyncNetV2(OFFICIAL_SYNCNET_V2)
        load_syncnet_v2(net, _existing(layout, official, "evaluation.evaluator_file"))
        return net.eval(), {"model": f"official syncnet_v2 ({official})", "official": True}
    net, ref = _registered(layout, "syncnet_evaluator", lambda: SyncNetV2(params.models.syncnet_evaluator))
    result = read_result(layout, "syncnet_evaluator", "evaluation")
    return net.eval(), ref | {"official": False, "held_out": result.get("metrics", {})}


def _registered(layout: Layout, stage: str, build):
    """(model with the registered weights, {"model": "name vN", **ref}) of ``stage``'s result."""
    from lipsync.tracking import ModelRef, load_state_dict, open_tracking

    ref = ModelRef.from_dict(read_result(layout, stage, "evaluation")["model"])
    model = build()
    model.load_state_dict(load_state_dict(open_tracking(layout.mlruns), ref))
    return model.eval(), {"model": f"{ref.name} v{ref.version}", **ref.to_dict()}


def _existing(layout: Layout, path: str, key: str) -> Path:
    file = (layout.root / path).resolve()
    if not file.is_file():
        raise FileNotFoundError(f"evaluation: params key '{key}' names {file}, which does not exist")
    return file
