"""Settings of inference: the ``inference`` section of ``params.yaml`` (no torch here).

Read by ``lipsync infer`` / ``stream`` / ``serve``, the ``batch_inference`` Dagster job and
``lipsync bench inference``. Frozen and without defaults: every number lives in ``params.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SilenceSettings:
    """level: a frame whose mel window's loudest bin (normalised log-mel) is below this is silent.
    fill: silent frames are generated from a constant window at this level, so the mouth they
    get is the same on every silent frame (closed and still on a still face)."""

    level: float
    fill: float


@dataclass(frozen=True)
class PasteSettings:
    """How the generated lower face goes back into the full-resolution frame.

    feather: fraction of the crop side over which the mask fades to 0 at the crop's left,
        right and bottom edges (its top is the compositor's ``region_top``): no seam at the crop.
    colour_match: shift the generated face's mean colour to the original's where the mask
        fades (its transition band), so no colour step shows.
    fixed_mask_top, fixed_mask_ramp: for generators without a compositor (Wav2Lip), the mask
        rises from 0 at ``fixed_mask_top`` x the crop height to 1 over ``fixed_mask_ramp`` x it.
    """

    feather: float
    colour_match: bool
    fixed_mask_top: float
    fixed_mask_ramp: float


@dataclass(frozen=True)
class EncoderSettings:
    """x264 for the output mp4: crf (quality), preset (speed), threads."""

    crf: int
    preset: str
    threads: int


@dataclass(frozen=True)
class StreamSettings:
    """Real time. chunk_ms: audio chunk that ``lipsync stream --realtime`` feeds at a time;
    max_face_frames: frames of a looping face video prepared up front (the rest is dropped);
    jpeg_quality: frames sent by ``lipsync serve``."""

    chunk_ms: int
    max_face_frames: int
    jpeg_quality: int


@dataclass(frozen=True)
class ServeSettings:
    """``lipsync serve``: host (loopback unless changed), port, and the largest messages
    accepted: a PCM chunk of ``max_chunk_ms`` and a text message of ``max_text_bytes``."""

    host: str
    port: int
    max_chunk_ms: int
    max_text_bytes: int


@dataclass(frozen=True)
class MeasureSettings:
    """``lipsync bench lipsync``: the trained model on a face and a voice it never saw.

    face: path of a face photo the corpus never uses (None: grace_hopper, the held-out test
    photo, never trained on); voice: an espeak voice the corpus never uses; words: how many
    words it speaks (in phrases, so there are pauses); seed: which words."""

    face: str | None
    voice: str
    words: int
    seed: int


@dataclass(frozen=True)
class InferenceSettings:
    """batch: frames per generator forward, and per chunk decoded, pasted and encoded together
    (peak memory grows with it, not with the video's length). max_side: output frames with a
    longer side are downscaled to it. loop_cache_mb: a face video to play backwards that
    decodes to at most this many MB is held in memory; a longer one is re-read by seeking.
    workers: processes of a job list's pool."""

    batch: int
    max_side: int
    loop_cache_mb: int
    workers: int
    silence: SilenceSettings
    paste: PasteSettings
    encoder: EncoderSettings
    stream: StreamSettings
    serve: ServeSettings
    measure: MeasureSettings
