"""Stage ``mel``: the Wav2Lip-compatible log-mel spectrogram of every ingested video.

Outputs: ``features/<id>.npy`` float32 (80, T_mel) at 80 frames/s, aligned so that video
frame i starts at mel frame ``int(80 * i / 25)``; ``records/<id>.json``; ``manifest.parquet``.
"""

from __future__ import annotations

from lipsync.atomic import write_npy
from lipsync.audio.mel import log_mel
from lipsync.config import Params, section_hash
from lipsync.layout import Layout
from lipsync.media.reader import read_wav
from lipsync.stages import records as rec
from lipsync.stages.per_video import PerVideoStage, ingested_sources, run_per_video
from lipsync.stages.writer_lock import writes_data

STAGE = "mel"
COLUMNS = ("mel_frames", "seconds", "path")


@writes_data
def run(params: Params, layout: Layout, video_ids: list[str] | None = None, progress: bool = False) -> dict:
    return run_per_video(MEL, params, layout, video_ids, progress)


def _fingerprint(params: Params, source: dict) -> str:
    return section_hash((params.mel, source.get("sha256"), source.get("fingerprint")))


def _process(video_id: str, source: dict, params: Params, layout: Layout) -> dict:
    """float32 (n_mels, T_mel) log-mel of the normalised audio, saved as ``features/<id>.npy``."""
    wav = layout.normalised_audio(video_id)
    audio, rate = read_wav(wav)
    if rate != params.mel.sample_rate:
        return {"status": rec.REJECTED, "reason": f"{wav} is {rate} Hz, expected {params.mel.sample_rate}"}
    mel = log_mel(audio, params.mel)  # (80, T_mel)
    write_npy(layout.mel_features(video_id), mel)
    return {"status": rec.OK, "mel_frames": int(mel.shape[1]), "seconds": len(audio) / rate,
            "path": layout.mel_features(video_id).relative_to(layout.root).as_posix()}  # fmt: skip


def _extras(fresh: list[dict], params: Params) -> dict:
    return {"audio_seconds": round(sum(r.get("seconds") or 0.0 for r in fresh), 3)}


MEL = PerVideoStage(
    name=STAGE,
    columns=COLUMNS,
    sources=ingested_sources,
    fingerprint=_fingerprint,
    process=_process,
    extras=_extras,
)
