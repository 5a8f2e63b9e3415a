"""Find input videos under the raw folder, give each a content-derived id, and say why
every other candidate was passed over.

The id is the first 16 hex digits of the file's sha256: stable across renames and
machines, free of dots, and used as the Dagster partition key, the per-video folder
name and the prefix of shard keys.

What the scan passes over, each a :class:`SkippedEntry` with its reason (files whose
suffix is not a video extension are only counted: LRS2-style folders hold a transcript
beside each clip):

- a hidden or system name: any file or folder whose name starts with ``.`` (``.cache/``,
  ``.Trash-1000/``, ``._clip.mp4``) or is in ``ingest.ignore_names`` (``@eaDir``,
  ``$RECYCLE.BIN``, ``lost+found``...); a folder is listed once, its contents are not read;
- a symlinked folder: never followed, so a link back up the tree cannot loop;
- a dangling link (its target is missing, or the link loops on itself);
- a folder named like a video (``clip.mp4/``): listed, and its contents scanned as usual;
- a video-named entry that is not a regular file (a pipe, socket or device: reading it
  could block), and a file or folder that cannot be read (the OS error says why).

A symlinked file is followed when its target lies under the raw root; one pointing
outside is returned with ``escapes_root`` set and is never read.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class SkippedEntry:
    relative: str  # POSIX path relative to the raw root
    reason: str


@dataclass
class RawScan:
    """videos: sorted by relative path. skipped: every entry passed over, in scan order.
    other_files: files without a video extension (not listed)."""

    videos: list[RawVideo] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)
    other_files: int = 0


def speaker_and_clip(relative: str) -> tuple[str, str]:
    """``speaker/clip.mp4`` (LRS2-like) gives the speaker from the first folder; a flat file is its own speaker."""
    parts = Path(relative).parts
    stem = Path(relative).stem
    return (parts[0] if len(parts) > 1 else stem), stem


def is_ignored_name(name: str, ignore_names: tuple[str, ...]) -> bool:
    """The one rule for hidden and system entries: a leading ``.`` or a name in ``ignore_names``."""
    return name.startswith(".") or name in ignore_names


def scan_raw_videos(root: Path, extensions: tuple[str, ...], ignore_names: tuple[str, ...] = ()) -> RawScan:
    """Every video file under ``root`` (recursively) and every entry passed over, with its reason."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"ingest: the raw video folder {root} does not exist (params paths.raw_videos)")
    scan = RawScan()
    _scan_folder(root, root, root.resolve(), {e.lower() for e in extensions}, ignore_names, scan)
    scan.videos.sort(key=lambda v: v.relative)
    return scan


def _scan_folder(folder: Path, root: Path, real_root: Path, wanted: set, ignore: tuple, scan: RawScan) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        scan.skipped.append(SkippedEntry(folder.relative_to(root).as_posix(), f"unreadable folder: {exc.strerror}"))
        return
    for entry in entries:
        path = Path(entry.path)
        relative = path.relative_to(root).as_posix()
        kind = _kind(entry)
        reason = _skip_reason(entry.name, path, kind, wanted, ignore)
        if reason:
            scan.skipped.append(SkippedEntry(relative, reason))
        if kind == "folder" and not is_ignored_name(entry.name, ignore):
            _scan_folder(path, root, real_root, wanted, ignore, scan)
        elif not reason and kind == "file" and path.suffix.lower() in wanted:
            _add_video(path, relative, real_root, scan)
        elif not reason and kind == "file":
            scan.other_files += 1


def _kind(entry: os.DirEntry) -> str:
    """ "folder", "linked folder", "file" (a regular file, linked or not), "dangling" or "special"."""
    try:
        if entry.is_dir():
            return "linked folder" if entry.is_symlink() else "folder"
        if entry.is_file():
            return "file"
        return "dangling" if entry.is_symlink() and not os.path.exists(entry.path) else "special"
    except OSError:  # a link that loops on itself
        return "dangling"


def _skip_reason(name: str, path: Path, kind: str, wanted: set, ignore: tuple) -> str:
    """Why the entry is passed over ("" when it is a folder to scan or a file to read)."""
    video_named = path.suffix.lower() in wanted
    if kind == "dangling":
        return f"dangling link (target {os.readlink(path)} does not exist or loops)"
    if is_ignored_name(name, ignore) and ("folder" in kind or video_named):
        label = "folder" if "folder" in kind else "file"
        return f"hidden or system {label} (a name starting with '.' or in ingest.ignore_names)"
    if kind == "linked folder":
        return f"symlinked folder, not followed (target {os.readlink(path)})"
    if kind == "folder" and video_named:
        return "a folder named like a video (its contents are scanned)"
    if kind == "special" and video_named:
        return "not a regular file (a pipe, socket or device)"
    return ""


def _add_video(path: Path, relative: str, real_root: Path, scan: RawScan) -> None:
    speaker, clip = speaker_and_clip(relative)
    if not path.resolve().is_relative_to(real_root):
        video_id = hashlib.sha256(f"escape:{relative}".encode()).hexdigest()[:ID_DIGITS]
        scan.videos.append(RawVideo(path, relative, video_id, None, speaker, clip, True))
        return
    try:
        digest = file_sha256(path)
    except OSError as exc:
        scan.skipped.append(SkippedEntry(relative, f"unreadable file: {exc.strerror or exc}"))
        return
    scan.videos.append(RawVideo(path, relative, digest[:ID_DIGITS], digest, speaker, clip, False))
