"""Evaluation building blocks: sync (LSE), image, perceptual, landmark, identity and temporal metrics.

Pure functions and modules over arrays that callers have already read; no files, stages or
trackers here. Metric figures name their conventions in each module's docstring.

| module | what |
|---|---|
| ``settings`` | frozen settings of every block (the future ``evaluation`` section of ``params.yaml``) |
| ``syncnet_v2`` | :class:`SyncNetV2`, syncnet_python's evaluator; :func:`load_syncnet_v2` (official file, strict) |
| ``mfcc`` | the evaluator's audio features (python_speech_features) and window timing |
| ``sync`` | the LSE protocol: distances at offsets -15..+15, LSE-D, LSE-C, AV offset, mean over clips |
| ``sync_clip`` | :func:`score_clip`: an evaluator over one clip's face crops and audio |
| ``image`` | SSIM and PSNR on the face and the mouth box (scikit-image) |
| ``lpips_distance`` | :class:`LpipsMetric`: LPIPS only with the verified AlexNet file, else "n/a" |
| ``landmarks`` | :class:`FaceLandmarker` (dlib 68 points on crops), LMD of the mouth |
| ``identity`` | :class:`FaceIdentity`: dlib face-recognition distance generated vs real |
| ``temporal`` | flicker of the mouth pixels and jitter of the mouth landmarks, generated vs real |
"""

from lipsync.evaluation.identity import FaceIdentity, IdentityDistance
from lipsync.evaluation.image import ImageScores, box_slices, image_scores, psnr, ssim
from lipsync.evaluation.landmarks import (
    FaceLandmarker,
    FaceLandmarks,
    LandmarkDistance,
    face_model_file,
    inter_ocular,
    mouth_landmark_distance,
)
from lipsync.evaluation.lpips_distance import LpipsMetric, LpipsScores, alexnet_path, weights_problem
from lipsync.evaluation.mfcc import mfcc, mfcc_windows, window_count
from lipsync.evaluation.settings import (
    FaceSettings,
    ImageSettings,
    LpipsSettings,
    SyncNetV2Settings,
    SyncSettings,
)
from lipsync.evaluation.sync import SyncScores, mean_over_clips, offset_distances, sync_scores
from lipsync.evaluation.sync_clip import SyncEvaluator, evaluator_frames, score_clip
from lipsync.evaluation.syncnet_v2 import OFFICIAL_SYNCNET_V2, SyncNetV2, load_syncnet_v2
from lipsync.evaluation.temporal import TemporalChange, landmark_jitter, mouth_flicker

__all__ = [
    "OFFICIAL_SYNCNET_V2",
    "FaceIdentity",
    "FaceLandmarker",
    "FaceLandmarks",
    "FaceSettings",
    "IdentityDistance",
    "ImageScores",
    "ImageSettings",
    "LandmarkDistance",
    "LpipsMetric",
    "LpipsScores",
    "LpipsSettings",
    "SyncEvaluator",
    "SyncNetV2",
    "SyncNetV2Settings",
    "SyncScores",
    "SyncSettings",
    "TemporalChange",
    "alexnet_path",
    "box_slices",
    "evaluator_frames",
    "face_model_file",
    "image_scores",
    "inter_ocular",
    "landmark_jitter",
    "load_syncnet_v2",
    "mean_over_clips",
    "mfcc",
    "mfcc_windows",
    "mouth_flicker",
    "mouth_landmark_distance",
    "offset_distances",
    "psnr",
    "score_clip",
    "ssim",
    "sync_scores",
    "weights_problem",
    "window_count",
]
