"""The ``ingest`` section of ``params.yaml``: how raw files become normalised clips.

``fps`` and ``sample_rate`` are not written in the section: the loader fills them from
``format`` (:mod:`lipsync.config`), the one place the pipeline's frame and sample rates live.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IngestSettings:
    """fps / sample_rate: output video frames and audio samples per second (from ``format``).
    extensions: file suffixes scanned for (case-insensitive). ignore_names: file and folder
    names the scan passes over, like any name starting with ``.`` (NAS and OS folders such as
    ``@eaDir``, ``$RECYCLE.BIN``); each is listed in ``skipped.json``. min_frames: shorter clips (at
    ``fps``) are rejected. max_side: larger frames are downscaled to this longest side.
    crf / preset / encoder_threads: x264 settings of the normalised video (the thread count is
    fixed because x264's bytes depend on it). workers: files normalised in parallel.
    av_length_tolerance_s: audio and video lengths (s, audio measured from the first video
    frame) may differ by this much; both are then trimmed to the shorter, beyond it the file
    is rejected. duplicate_frames / duplicate_max_bits / duplicate_max_audio_db: the perceptual
    print that catches re-encoded copies (:mod:`lipsync.ingest.duplicates`): pictures sampled
    per file, their largest mean dHash distance (bits of 64) and the largest mean loudness
    difference (dB) of two files taken for one content."""

    fps: int
    sample_rate: int
    extensions: tuple[str, ...]
    ignore_names: tuple[str, ...]
    min_frames: int
    max_side: int
    crf: int
    preset: str
    encoder_threads: int
    workers: int
    av_length_tolerance_s: float
    duplicate_frames: int
    duplicate_max_bits: float
    duplicate_max_audio_db: float
