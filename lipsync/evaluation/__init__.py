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

from lipsync.lazy_exports import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "FaceIdentity": "lipsync.evaluation.identity",
        "FaceLandmarker": "lipsync.evaluation.landmarks",
        "FaceLandmarks": "lipsync.evaluation.landmarks",
        "FaceSettings": "lipsync.evaluation.settings",
        "IdentityDistance": "lipsync.evaluation.identity",
        "ImageScores": "lipsync.evaluation.image",
        "ImageSettings": "lipsync.evaluation.settings",
        "LandmarkDistance": "lipsync.evaluation.landmarks",
        "LpipsMetric": "lipsync.evaluation.lpips_distance",
        "LpipsScores": "lipsync.evaluation.lpips_distance",
        "LpipsSettings": "lipsync.evaluation.settings",
        "OFFICIAL_SYNCNET_V2": "lipsync.evaluation.syncnet_v2",
        "SyncEvaluator": "lipsync.evaluation.sync_clip",
        "SyncNetV2": "lipsync.evaluation.syncnet_v2",
        "SyncNetV2Settings": "lipsync.evaluation.settings",
        "SyncScores": "lipsync.evaluation.sync",
        "SyncSettings": "lipsync.evaluation.settings",
        "TemporalChange": "lipsync.evaluation.temporal",
        "alexnet_path": "lipsync.evaluation.lpips_distance",
        "box_slices": "lipsync.evaluation.image",
        "evaluator_frames": "lipsync.evaluation.sync_clip",
        "face_model_file": "lipsync.evaluation.landmarks",
        "image_scores": "lipsync.evaluation.image",
        "inter_ocular": "lipsync.evaluation.landmarks",
        "landmark_jitter": "lipsync.evaluation.temporal",
        "load_syncnet_v2": "lipsync.evaluation.syncnet_v2",
        "mean_over_clips": "lipsync.evaluation.sync",
        "mfcc": "lipsync.evaluation.mfcc",
        "mfcc_windows": "lipsync.evaluation.mfcc",
        "mouth_flicker": "lipsync.evaluation.temporal",
        "mouth_landmark_distance": "lipsync.evaluation.landmarks",
        "offset_distances": "lipsync.evaluation.sync",
        "psnr": "lipsync.evaluation.image",
        "score_clip": "lipsync.evaluation.sync_clip",
        "ssim": "lipsync.evaluation.image",
        "sync_scores": "lipsync.evaluation.sync",
        "weights_problem": "lipsync.evaluation.lpips_distance",
        "window_count": "lipsync.evaluation.mfcc",
    },
)
__all__ = sorted(__dir__())
