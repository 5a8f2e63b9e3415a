"""Find input videos under the raw folder and give each a content-derived id.

The id is the first 16 hex digits of the file's sha256: stable across renames and
machines, free of dots, and used as the Dagster partition key, the per-video folder
name and the prefix of shard keys.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lipsync.media.probe import file_sha256

ID_DIGITS = 16


@dataclass(frozen=True)
class RawVideo:
    path: Path  # as found under the raw root (may be a symlink)
    relative: str  # POSIX path relative to the raw root
    video_id: str
    sha256: str | None  # None when the file was not read (refused before hashing)
    speaker: str
    clip: str
    escapes_root: bool


def speaker_and_clip(relative: str) -> tuple[str, str]:
    """``speaker/clip.mp4`` (LRS2-like) gives the speaker from the first folder; a flat file is its own speaker."""
    parts = Path(relative).parts
    stem = Path(relative).stem
    return (parts[0] if len(parts) > 1 else stem), stem


def scan_raw_videos(root: Path, extensions: tuple[str, ...]) -> list[RawVideo]:
    """All files with a video extension under ``root``, recursively, sorted by relative path."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"ingest: the raw video folder {root} does not exist (params paths.raw_videos)")
    real_root = root.resolve()
    wanted = {e.lower() for e in extensions}
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in wanted or path.name.startswith("."):
            continue
        relative = path.relative_to(root).as_posix()
        speaker, clip = speaker_and_clip(relative)
        if not path.resolve().is_relative_to(real_root):
            video_id = hashlib.sha256(f"escape:{relative}".encode()).hexdigest()[:ID_DIGITS]
            found.append(RawVideo(path, relative, video_id, None, speaker, clip, True))
            continue
        if not path.is_file():
            continue
        digest = file_sha256(path)
        found.append(RawVideo(path, relative, digest[:ID_DIGITS], digest, speaker, clip, False))
    return found
