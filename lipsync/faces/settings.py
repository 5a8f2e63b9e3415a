"""Settings of the faces stage: the ``faces`` section of ``params.yaml``.

Frozen dataclasses without defaults: every number lives in ``params.yaml`` and is mapped here
by ``lipsync.params_loader.from_mapping`` (a missing or misspelt key fails at load time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class DetectorSettings:
    """The full MTCNN cascade (P-Net pyramid -> R-Net -> O-Net).

    min_face_size: smallest face side searched for, in pixels of the original frame.
    scale_factor: ratio between pyramid levels (MTCNN: 0.709, i.e. area halves per level).
    thresholds: face-probability thresholds of P-Net, R-Net, O-Net.
    nms_thresholds: overlap thresholds of the suppression for P-Net within a pyramid level,
        P-Net across levels, R-Net (intersection over union), O-Net (intersection over the
        smaller box, as the mtcnn package does).
    max_side: frames whose longer side is larger are area-downscaled to it first; detection and
        O-Net refinement run on that working image, results are mapped back to frame pixels.
    precision: "float32", or "bfloat16" for R-Net/O-Net: O-Net alone is about 3x faster on
        CPUs with AVX512-BF16 (boxes move by under a pixel), but whole tracking only ~1.1x
        (patch cutting and per-call overheads dominate); much slower on CPUs without it.
    """

    min_face_size: int
    scale_factor: float
    thresholds: tuple[float, float, float]
    nms_thresholds: tuple[float, float, float, float]
    max_side: int
    precision: Literal["float32", "bfloat16"]


@dataclass(frozen=True)
class TrackerSettings:
    """Tracking: sparse full detections plus an O-Net refinement on every frame.

    detect_every: run the full cascade on every detect_every-th frame (0, k, 2k, ...).
    refine_threshold: O-Net face probability under which a tracked face counts as lost.
    refine_dead_band: a followed face keeps the box O-Net is given (so a still face gives the same
        box on every frame) until the box O-Net measures moves by more than this fraction of the
        box side; then the measured box is proposed instead.
    iou_match: minimum IoU to join a detection to an existing track (and above which two
        trajectories in one frame are the same face).
    relink_distance: a track that starts after another one ended (face lost for a while)
        continues it when the box centres are at most this many box sides apart.
    smooth_window: frames of the centred moving average over box corners (1 = none; odd).
    min_track_len: tracks present in fewer frames are dropped as spurious.
    dominance_ratio: a second track whose mean area is at least this fraction of the main
        track's area, and whose presence is at least ``dominance_share`` of the main track's,
        makes the clip ambiguous (two speakers of similar size).
    dominance_share: see dominance_ratio (fraction of the main track's frame count).
    batch: frames decoded, detected and refined together (memory: batch x frame bytes).
    """

    detect_every: int
    refine_threshold: float
    refine_dead_band: float
    iou_match: float
    relink_distance: float
    smooth_window: int
    min_track_len: int
    dominance_ratio: float
    dominance_share: float
    batch: int


@dataclass(frozen=True)
class CropSettings:
    """Square face crops around a tracked box.

    scale: crop side = scale x the larger side of the box (after chin padding).
    chin_pad: the box is extended downwards by this fraction of its height first, so the chin
        and the open mouth stay inside the crop (MTCNN boxes end around the chin).
    """

    scale: float
    chin_pad: float


@dataclass(frozen=True)
class FacesSettings:
    """The ``faces`` section: detector, tracker, crop, the crop size in pixels, and the
    videos tracked in parallel by the ``faces`` stage (``workers``: not part of its
    fingerprint, the bytes do not depend on it)."""

    detector: DetectorSettings
    tracker: TrackerSettings
    crop: CropSettings
    size: int
    workers: int
