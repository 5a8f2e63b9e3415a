"""Settings of the evaluation building blocks: the future ``evaluation`` section of ``params.yaml``.

Frozen and without defaults, so every number comes from ``params.yaml`` (loaded with
:func:`lipsync.params_loader.from_mapping`). Values that belong to a published protocol rather
than to us (MFCC layout, 5-frame windows, 25 fps, 16 kHz) are constants of the module that
implements the protocol, because changing them would make an official checkpoint meaningless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SyncNetV2Settings:
    """Shape of the SyncNet evaluator (syncnet_python's ``SyncNetModel``).

    audio_channels: widths of the six conv layers of the MFCC tower ``netcnnaud``.
        Official: (64, 192, 384, 256, 256, 512).
    face_channels: widths of the six 3D-conv layers of the face tower ``netcnnlip``.
        Official: (96, 256, 256, 256, 256, 512).
    hidden_dim: width of the hidden layer of ``netfcaud`` / ``netfclip``. Official: 512.
    embedding_dim: length of both embeddings (not normalised). Official: 1024.
    face_size: side of the square face input in pixels. Official: 224. The last face conv's
        kernel is whatever grid is left (6 x 6 at 224, 2 x 2 at 96); at least 51 px.
    channel_order: colour order of the face input. The official weights were used with frames
        read by OpenCV, so "bgr"; an evaluator trained here can use either.
    face_crop_top: share of the face crop's height left out above the input. 0 (official): the
        whole crop. Above 0 the input is the square below that line, centred left to right
        (0.4: the lower 60% of the crop, the mouth at its centre), resized to ``face_size``.
    Only the official values load ``syncnet_v2.model``; smaller ones train on a CPU.
    """

    audio_channels: tuple[int, int, int, int, int, int]
    face_channels: tuple[int, int, int, int, int, int]
    hidden_dim: int
    embedding_dim: int
    face_size: int
    channel_order: Literal["rgb", "bgr"]
    face_crop_top: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.face_crop_top < 1.0:
            raise ValueError(f"syncnet_v2.face_crop_top {self.face_crop_top} is outside [0, 1)")
        if face_grid(self.face_size) < 1:
            raise ValueError(f"syncnet_v2.face_size {self.face_size} is too small: at least 51 px are needed")


def face_grid(face_size: int) -> int:
    """Side of the grid the face tower's last conv sees (its kernel size): 6 at 224 px."""
    side = (face_size - 7) // 2 + 1  # conv 7x7, stride 2
    side = (side - 3) // 2 + 1  # max-pool 3, stride 2
    side = (side + 2 - 5) // 2 + 1  # conv 5x5, stride 2, padding 1
    side = (side + 2 - 3) // 2 + 1  # max-pool 3, stride 2, padding 1
    return (side - 3) // 2 + 1  # three 3x3 convs keep the side; max-pool 3, stride 2


@dataclass(frozen=True)
class SyncSettings:
    """LSE protocol. max_offset: offsets -max_offset..+max_offset video frames are searched
    (syncnet_python's ``vshift``; 15 in the published LSE figures). batch_size: windows per
    forward pass of the evaluator (memory, not results)."""

    max_offset: int
    batch_size: int


@dataclass(frozen=True)
class ImageSettings:
    """ssim_window: side of scikit-image's uniform SSIM window (odd; its default is 7).
    psnr_cap_db: PSNR reported for identical frames instead of infinity, so means stay finite;
    one grey level of difference in one pixel of a 96 px crop already gives 92.6 dB, so any
    cap above that is only ever reached by identical frames."""

    ssim_window: int
    psnr_cap_db: float


@dataclass(frozen=True)
class LpipsSettings:
    """accept_unverified_weights: use an AlexNet file whose sha256 prefix does not match its
    name (only for tests that write their own file: such a number is not LPIPS).
    batch_size: frame pairs per forward pass."""

    accept_unverified_weights: bool
    batch_size: int


@dataclass(frozen=True)
class FaceSettings:
    """dlib's face box, landmarks and identity embedding on face crops.

    detector_upsample: times dlib's HOG detector doubles the crop before searching (its
        smallest face is 80 px; 1 finds the face in 96 px crops).
    fallback_box: (x0, y0, x1, y1) as fractions of the crop side, used when the detector finds
        nothing; None reports such frames as missing instead.
    landmark_upscale: the crop is enlarged this many times (bicubic) before the 68-point
        predictor, whose positions are whole pixels of its input: sub-pixel landmarks at 96 px.
    identity_jitters: dlib's ``num_jitters`` (0: one pass, no random crops).
    same_person_threshold: embedding distance below which dlib calls two faces one person (0.6).
    """

    detector_upsample: int
    fallback_box: tuple[float, float, float, float] | None
    landmark_upscale: int
    identity_jitters: int
    same_person_threshold: float


@dataclass(frozen=True)
class SelfCheckSettings:
    """Checks that the evaluator measures sync, on the real clips (see
    :mod:`lipsync.evaluation.self_checks`). shifts: audio shifts in frames that must be found;
    tolerance: frames an offset may miss by; min_share: share of clips each check needs."""

    shifts: tuple[int, ...]
    tolerance: int
    min_share: float


@dataclass(frozen=True)
class EvaluationSettings:
    """The ``evaluation`` section of ``params.yaml``.

    split: the shard split whose clips are scored (``test``: held-out speakers).
    evaluator_file: path of an official ``syncnet_v2.model``; null uses the evaluator the
        ``syncnet_evaluator`` stage registered. wav2lip_file: path of the official
        ``wav2lip.pth`` / ``wav2lip_gan.pth`` for the report's official row; null: no such row.
    reference_offset: the reference frame of target frame f is (f + offset x T) mod T, a frame
        from elsewhere in the same clip (never the target's own mouth).
    batch: frames per generator forward. landmark_every: frames between dlib landmark
        measurements (LMD, jitter). identity_frames: frames per clip for the identity distance.
    """

    split: Literal["train", "val", "test"]
    evaluator_file: str | None
    wav2lip_file: str | None
    reference_offset: float
    batch: int
    landmark_every: int
    identity_frames: int
    strip_frames: int
    sync: SyncSettings
    image: ImageSettings
    lpips: LpipsSettings
    faces: FaceSettings
    self_checks: SelfCheckSettings

    def __post_init__(self) -> None:
        if not 0.0 < self.reference_offset < 1.0:
            raise ValueError(f"evaluation.reference_offset must be in (0, 1), got {self.reference_offset}")
        if self.landmark_every < 1 or self.identity_frames < 1 or self.batch < 1:
            raise ValueError("evaluation.landmark_every, identity_frames and batch must be >= 1")


@dataclass(frozen=True)
class BenchmarkSettings:
    """The ``benchmark`` section: how the report draws. dpi: of its figures (PNG);
    zoom: pixels per crop pixel in the frame strip (96 px crops are small on a page)."""

    dpi: int
    zoom: int


@dataclass(frozen=True)
class SyncFilterSettings:
    """The ``syncfilter`` section. min_confidence: LSE-C (median - min distance) a clip needs;
    max_offset: the largest |AV offset| in frames that is realigned rather than dropped;
    offset_tolerance: the largest |AV offset| taken as in sync (kept as it is, not realigned);
    min_evaluator_accuracy: the evaluator's held-out pair accuracy the filter needs to act;
    sync: the offset search (+-``sync.max_offset`` frames) and its batch size."""

    min_confidence: float
    max_offset: int
    offset_tolerance: int
    min_evaluator_accuracy: float
    sync: SyncSettings

    def __post_init__(self) -> None:
        if not 0 <= self.max_offset <= self.sync.max_offset:
            raise ValueError(
                f"syncfilter.max_offset must be in [0, syncfilter.sync.max_offset = {self.sync.max_offset}], "
                f"got {self.max_offset}"
            )
        if not 0 <= self.offset_tolerance <= self.max_offset:
            raise ValueError(
                f"syncfilter.offset_tolerance must be in [0, syncfilter.max_offset = {self.max_offset}], "
                f"got {self.offset_tolerance}"
            )
