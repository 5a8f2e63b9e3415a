"""WebDataset shards of aligned training samples: write them reproducibly, read them fast.

A sample is one segment of T face frames (T a multiple of the 5-frame sync window) with
its mel slice and metadata. Tar members (``<key>.<ext>``):

- ``frames.npy``: uint8 (T, S, S, 3) RGB face crops
- ``mel.npy``: float32 (80, 16 * T / 5), mel frames ``int(80*start/25)`` onwards
- ``boxes.npy``: float32 (T, 4) face box x0, y0, x1, y1 in normalised-video pixels
- ``landmarks.npy``: float32 (T, 5, 2) eyes, nose, mouth corners, same pixels
- ``audio.npy``: int16 (T * sample_rate / fps,) the segment's 16-bit PCM from its first frame
  (the SyncNet evaluator reads MFCC computed from it); absent in samples written without it
- ``json``: video id, speaker, clip, split, start frame, fps, sample rate

Keys are ``<video_id>_<start:06d>`` (no dots, as WebDataset requires). Members carry a fixed
modification time so identical samples give byte-identical shards.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import webdataset as wds

from lipsync.atomic import atomic_path

ARRAY_MEMBERS = ("frames", "mel", "boxes", "landmarks")
OPTIONAL_MEMBERS = ("audio",)


@dataclass(frozen=True)
class Sample:
    key: str
    frames: np.ndarray  # uint8 (T, S, S, 3)
    mel: np.ndarray  # float32 (80, 16*T/5)
    boxes: np.ndarray  # float32 (T, 4)
    landmarks: np.ndarray  # float32 (T, 5, 2)
    meta: dict
    audio: np.ndarray | None = None  # int16 (T * sample_rate / fps,) or None


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def encode_sample(sample: Sample) -> dict:
    out = {"__key__": sample.key, "json": json.dumps(sample.meta, sort_keys=True).encode()}
    for name in ARRAY_MEMBERS:
        out[f"{name}.npy"] = _npy(getattr(sample, name))
    for name in OPTIONAL_MEMBERS:
        if getattr(sample, name) is not None:
            out[f"{name}.npy"] = _npy(getattr(sample, name))
    return out


def decode_sample(raw: dict) -> Sample:
    """Inverse of :func:`encode_sample` for a dict of tar member bytes."""
    names = [*ARRAY_MEMBERS, *(n for n in OPTIONAL_MEMBERS if f"{n}.npy" in raw)]
    arrays = {n: np.load(io.BytesIO(raw[f"{n}.npy"]), allow_pickle=False) for n in names}
    return Sample(key=raw["__key__"], meta=json.loads(raw["json"]), **arrays)


def write_shard(path: Path, samples: Iterable[Sample], mtime: int) -> dict:
    """Write one tar shard atomically; returns {path, samples, bytes, sha256}."""
    count = 0
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh, wds.TarWriter(fh, mtime=mtime, encoder=False) as writer:
            for sample in samples:
                writer.write(encode_sample(sample))
                count += 1
        data = tmp.read_bytes()
    return {"path": path.name, "samples": count, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def read_samples(urls: list[str] | list[Path], shuffle_shards: bool = False) -> Iterator[Sample]:
    """Iterate the samples of the given shards in order (no sample shuffling)."""
    dataset = wds.WebDataset([str(u) for u in urls], shardshuffle=shuffle_shards, empty_check=False)
    for raw in dataset:
        yield decode_sample(raw)


def data_version(shard_digests: list[str]) -> str:
    """Content hash of a shard set: sha256 over the sorted shard digests, 16 hex digits."""
    return hashlib.sha256("".join(sorted(shard_digests)).encode()).hexdigest()[:16]


class ShardMismatch(RuntimeError):
    """A shard on disk differs from what the shards manifest recorded for it."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_shards(folder: Path, shards: list[dict], check_sha256: bool) -> int:
    """Check the shards of one split folder against their manifest entries (``{path, bytes,
    sha256, ...}`` as :func:`write_shard` returned them): each exists with its size and, when
    ``check_sha256``, its digest, and the folder holds no other tar. Returns the bytes checked;
    raises :class:`ShardMismatch` naming the first bad shard with the expected and found values."""
    folder = Path(folder)
    listed = {entry["path"] for entry in shards}
    strays = sorted(p.name for p in folder.glob("*.tar") if p.name not in listed) if folder.is_dir() else []
    if strays:
        raise ShardMismatch(f"shard {folder / strays[0]} is not in the shards manifest; rerun the shards stage")
    total = 0
    for entry in shards:
        path = folder / entry["path"]
        if not path.is_file():
            raise ShardMismatch(f"shard {path} is missing (the manifest lists {entry['bytes']} bytes); rerun the shards stage")
        size = path.stat().st_size
        if size != entry["bytes"]:
            raise ShardMismatch(
                f"shard {path} is {size} bytes, the manifest expects {entry['bytes']} (truncated or replaced); "
                "rerun the shards stage"
            )
        if check_sha256 and (found := file_sha256(path)) != entry["sha256"]:
            raise ShardMismatch(
                f"shard {path} has sha256 {found}, the manifest expects {entry['sha256']}; rerun the shards stage"
            )
        total += size
    return total
