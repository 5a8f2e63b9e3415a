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


@dataclass(frozen=True)
class Layout:
    root: Path
    paths: Paths

    def _p(self, rel: str) -> Path:
        return (self.root / rel).resolve()

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
    def raw_videos(self) -> Path:
        return self._p(self.paths.raw_videos)

    # ingest
    @property
    def ingest(self) -> Path:
        return self._p(self.paths.ingest)

    @property
    def ingest_manifest(self) -> Path:
        return self.ingest / "manifest.parquet"

    def ingest_record(self, video_id: str) -> Path:
        return self.ingest / "records" / f"{video_id}.json"

    def normalised_video(self, video_id: str) -> Path:
        return self.ingest / "videos" / f"{video_id}.mp4"

    def normalised_audio(self, video_id: str) -> Path:
        return self.ingest / "audio" / f"{video_id}.wav"

    # faces
    @property
    def faces(self) -> Path:
        return self._p(self.paths.faces)

    @property
    def faces_manifest(self) -> Path:
        return self.faces / "manifest.parquet"

    def face_record(self, video_id: str) -> Path:
        return self.faces / "records" / f"{video_id}.json"

    def face_track(self, video_id: str) -> Path:
        return self.faces / "tracks" / f"{video_id}.npz"

    def face_crops(self, video_id: str) -> Path:
        return self.faces / "crops" / f"{video_id}.npy"

    @property
    def faces_contact_sheet(self) -> Path:
        return self.faces / "contact_sheet.png"

    # mel
    @property
    def mel(self) -> Path:
        return self._p(self.paths.mel)

    @property
    def mel_manifest(self) -> Path:
        return self.mel / "manifest.parquet"

    def mel_record(self, video_id: str) -> Path:
        return self.mel / "records" / f"{video_id}.json"

    def mel_features(self, video_id: str) -> Path:
        return self.mel / "features" / f"{video_id}.npy"

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

    # training
    @property
    def models(self) -> Path:
        return self._p(self.paths.models)

    def checkpoints(self, stage: str) -> Path:
        return self.models / stage / "checkpoints"

    def model_result(self, stage: str) -> Path:
        """JSON naming what a training stage produced: registered model, version, run id, metrics."""
        return self.models / stage / "result.json"

    def sample_grid(self, stage: str) -> Path:
        """The latest evaluation's sample grid of a generator stage (PNG, labelled columns)."""
        return self.models / stage / "sample_grid.png"

    def training_logs(self, stage: str) -> Path:
        return self.logs / "training" / stage

    @property
    def mlruns(self) -> Path:
        return self._p(self.paths.mlruns)

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
