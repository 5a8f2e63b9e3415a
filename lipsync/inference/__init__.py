"""Inference: lip-sync any face video or photo to any speech, in batch and in real time.

| module | what |
|---|---|
| ``settings`` | :class:`InferenceSettings`, the ``inference`` section of ``params.yaml`` |
| ``job`` | :class:`InferenceJob`, :class:`InferenceConfig`, :class:`JobResult` |
| ``model_source`` | :func:`load_generator`: registry URI, checkpoint path (ours or Wav2Lip) or the default |
| ``speech`` | the audio input, the frame-count rule, per-frame mel windows and the silence gate |
| ``face_video`` | face frames at the output size: still or video, 25 fps slots, ping-pong, seeking back |
| ``face_plan`` | :func:`plan_face`: detection on a still, the faces stage's tracker on a video |
| ``generation`` | :class:`LowerFace`: a generator on crops + mel windows (encoder cached on a still face) |
| ``paste`` | the soft-mask paste-back into the full frame: feathered, colour-matched |
| ``batch`` | :func:`dub`: one job, streamed chunk by chunk to an H.264 + AAC mp4 |
| ``jobs`` | job lists (CSV), the worker pool, the outcome table, ``processing.log`` |
| ``mel_stream`` | :class:`MelStream`: the same log-mel, computed as audio arrives |
| ``streaming`` | :class:`LipSyncStream`: each frame made as soon as its audio is in |
| ``realtime`` | :func:`feed`: a file at real-time pace; sustained frames/s and processing latency |
| ``server`` | ``lipsync serve``: a WebSocket endpoint and a small page, on 127.0.0.1 |
| ``server_session`` | one served stream: arrivals, latencies, frame messages |
| ``serve_page`` | the page (HTML + JavaScript) |
"""

from lipsync.lazy_exports import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "InferenceConfig": "lipsync.inference.job",
        "InferenceJob": "lipsync.inference.job",
        "InferenceSettings": "lipsync.inference.settings",
        "JobResult": "lipsync.inference.job",
        "LipSyncStream": "lipsync.inference.streaming",
        "LoadedGenerator": "lipsync.inference.model_source",
        "LowerFace": "lipsync.inference.generation",
        "MelStream": "lipsync.inference.mel_stream",
        "dub": "lipsync.inference.batch",
        "feed": "lipsync.inference.realtime",
        "load_generator": "lipsync.inference.model_source",
        "plan_face": "lipsync.inference.face_plan",
        "read_job_list": "lipsync.inference.jobs",
        "run_jobs": "lipsync.inference.jobs",
    },
)
__all__ = sorted(__dir__())
