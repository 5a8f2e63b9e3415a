"""Every artifact path of the pipeline, derived in one place from ``params.paths``.

Stages, assets, tests and benchmarks ask a :class:`Layout` for paths; nothing else joins
folder names. ``dvc.yaml`` reads the same ``paths`` section through templating, so no path
is written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lipsync.config import Paths

SPLITS = ("train", "val", "test")

# Per-video outputs of each per-video stage: kind (subfolder) -> file suffix.
PER_VIDEO_OUTPUTS = {
    "ingest": {"videos": ".mp4", "audio": ".wav"},
    "faces": {"tracks": ".npz", "crops": ".npy"},
    "mel": {"features": ".npy"},
}


@dataclass(frozen=True)
class Layout:
    root: Path
    paths: Paths

    def _p(self, rel: str) -> Path:
        return (self.root / rel).resolve()

    # photos
    @property
    def photos(self) -> Path:
        return self._p(self.paths.photos)

    @property
    def photo_archives(self) -> Path:
        """Archives the photos stage fetched, by file name (a cache: never a stage output)."""
        return self._p(self.paths.photo_archives)

    # corpus
    @property
    def corpus(self) -> Path:
        return self._p(self.paths.corpus)

    @property
    def corpus_videos(self) -> Path:
        return self.corpus / "videos"

    @property
    def corpus_truth(self) -> Path:
        return self.corpus / "truth"

    @property
    def corpus_speakers(self) -> Path:
        """The corpus's speakers: photo, split (by identity), voice, look, clips (lipsync.corpus.generate)."""
        return self.corpus / "speakers.json"

    @property
    def corpus_fingerprint(self) -> Path:
        """Settings and code hash of the corpus on disk, and its file list (regeneration is skipped when equal)."""
        return self.corpus / "fingerprint.json"

    @property
    def raw_videos(self) -> Path:
        return self._p(self.paths.raw_videos)

    # per-video stages: records/<id>.json, manifest.parquet and the outputs in PER_VIDEO_OUTPUTS
    def stage_folder(self, stage: str) -> Path:
        """The output folder of stage ``stage`` (``paths.<stage>``)."""
        return self._p(getattr(self.paths, stage))

    def records(self, stage: str) -> Path:
        return self.stage_folder(stage) / "records"

    def record(self, stage: str, video_id: str) -> Path:
        return self.records(stage) / f"{video_id}.json"

    def manifest(self, stage: str) -> Path:
        return self.stage_folder(stage) / "manifest.parquet"

    def per_video(self, stage: str, kind: str, video_id: str) -> Path:
        """Output ``kind`` (a key of ``PER_VIDEO_OUTPUTS[stage]``) of one video."""
        return self.stage_folder(stage) / kind / f"{video_id}{PER_VIDEO_OUTPUTS[stage][kind]}"

    def per_video_outputs(self, stage: str, video_id: str) -> tuple[Path, ...]:
        return tuple(self.per_video(stage, kind, video_id) for kind in PER_VIDEO_OUTPUTS[stage])

    # ingest
    @property
    def ingest(self) -> Path:
        return self.stage_folder("ingest")

    @property
    def ingest_manifest(self) -> Path:
        return self.manifest("ingest")

    @property
    def ingest_skipped(self) -> Path:
        """Entries of the raw folder the scan passed over, with their reasons (JSON list)."""
        return self.ingest / "skipped.json"

    @property
    def ingest_prints(self) -> Path:
        """Content prints of the raw files by their bytes' sha256 (a cache: JSON object)."""
        return self.ingest / "content_prints.json"

    def ingest_record(self, video_id: str) -> Path:
        return self.record("ingest", video_id)

    def normalised_video(self, video_id: str) -> Path:
        return self.per_video("ingest", "videos", video_id)

    def normalised_audio(self, video_id: str) -> Path:
        return self.per_video("ingest", "audio", video_id)

    # faces
    @property
    def faces(self) -> Path:
        return self.stage_folder("faces")

    @property
    def faces_manifest(self) -> Path:
        return self.manifest("faces")

    def face_record(self, video_id: str) -> Path:
        return self.record("faces", video_id)

    def face_track(self, video_id: str) -> Path:
        return self.per_video("faces", "tracks", video_id)

    def face_crops(self, video_id: str) -> Path:
        return self.per_video("faces", "crops", video_id)

    @property
    def faces_contact_sheet(self) -> Path:
        return self.faces / "contact_sheet.png"

    # mel
    @property
    def mel(self) -> Path:
        return self.stage_folder("mel")

    @property
    def mel_manifest(self) -> Path:
        return self.manifest("mel")

    def mel_record(self, video_id: str) -> Path:
        return self.record("mel", video_id)

    def mel_features(self, video_id: str) -> Path:
        return self.per_video("mel", "features", video_id)

    # shards
    @property
    def shards(self) -> Path:
        return self._p(self.paths.shards)

    @property
    def shards_manifest(self) -> Path:
        return self.shards / "manifest.json"

    def shard_dir(self, split: str) -> Path:
        return self.shards / split

    def shard(self, split: str, index: int) -> Path:
        return self.shard_dir(split) / f"shard-{index:06d}.tar"

    # syncfilter: the train shards the generators read (sync-filtered, realigned)
    @property
    def syncfilter(self) -> Path:
        return self._p(self.paths.syncfilter)

    @property
    def syncfilter_manifest(self) -> Path:
        return self.syncfilter / "manifest.json"

    @property
    def syncfilter_train(self) -> Path:
        return self.syncfilter / "train"

    # training
    @property
    def models(self) -> Path:
        return self._p(self.paths.models)

    def checkpoints(self, stage: str) -> Path:
        return self.models / stage / "checkpoints"

    def checkpoints_fingerprint(self, stage: str) -> Path:
        """What the checkpoints beside it were trained for (params, data, inputs): resumed only when equal."""
        return self.checkpoints(stage) / "fingerprint.json"

    def model_result(self, stage: str) -> Path:
        """JSON naming what a training stage produced: registered model, version, run id, metrics."""
        return self.models / stage / "result.json"

    def sample_grid(self, stage: str) -> Path:
        """The latest evaluation's sample grid of a generator stage (PNG, labelled columns)."""
        return self.models / stage / "sample_grid.png"

    def training_logs(self, stage: str) -> Path:
        return self.logs / "training" / stage

    def training_log(self, stage: str) -> Path:
        """One line per event of the run (``train.log``)."""
        return self.training_logs(stage) / "train.log"

    def training_metrics(self, stage: str) -> Path:
        """Every logged metric of the run (``metrics.json``, DVC metrics)."""
        return self.training_logs(stage) / "metrics.json"

    # evaluation and the benchmark report
    @property
    def evaluation(self) -> Path:
        return self._p(self.paths.evaluation)

    @property
    def evaluation_clips(self) -> Path:
        """Every metric per clip, setting and row (Parquet)."""
        return self.evaluation / "clips.parquet"

    @property
    def evaluation_curves(self) -> Path:
        """Per-offset mean distances, one (clips, 2K+1) array per ``<setting>/<row>`` (npz)."""
        return self.evaluation / "curves.npz"

    @property
    def evaluation_strip(self) -> Path:
        """The same frames of one clip from every row, for the report's frame strip (npz)."""
        return self.evaluation / "strip.npz"

    @property
    def evaluation_summary(self) -> Path:
        return self.evaluation / "summary.json"

    @property
    def evaluation_log(self) -> Path:
        """One line per clip, setting and row (``logs/evaluation/eval_results.log``)."""
        return self.logs / "evaluation" / "eval_results.log"

    @property
    def benchmark(self) -> Path:
        """The Wav2Lip benchmark report: benchmark.md, benchmark.html and its figures."""
        return self._p(self.paths.benchmark)

    @property
    def promote(self) -> Path:
        """The promotion decisions (decision.json) and the versions table (promotion.md)."""
        return self._p(self.paths.promote)

    @property
    def promote_decision(self) -> Path:
        return self.promote / "decision.json"

    @property
    def inference_log(self) -> Path:
        """One line per inference job (``logs/inference/processing.log``): inputs, model, frames, outcome."""
        return self.logs / "inference" / "processing.log"

    @property
    def mlruns(self) -> Path:
        return self._p(self.paths.mlruns)

    @property
    def writer_lock(self) -> Path:
        """The lock file every stage that writes under data/ holds while it runs."""
        return self._p(self.paths.writer_lock)

    # elsewhere
    @property
    def bench(self) -> Path:
        return self._p(self.paths.bench)

    @property
    def logs(self) -> Path:
        return self._p(self.paths.logs)

    @property
    def dagster_home(self) -> Path:
        return self._p(self.paths.dagster_home)


def project_layout(params_paths: Paths, root: Path | str = ".") -> Layout:
    return Layout(Path(root).resolve(), params_paths)
