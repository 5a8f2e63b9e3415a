"""Part of stage ``ingest``: mark every raw source whose content another source already holds.

The original of a content is its first source by path (the scan's order), so the choice is
the same on every run and machine. A duplicate gets ``duplicate_of`` (the original's source)
and ``duplicate_reason``; ingest records it as ``duplicate`` and no later stage uses it, so the
content reaches only the split of the original's speaker. Byte-identical copies are known from
the scan's sha256; the other sources are compared by :mod:`lipsync.ingest.duplicates`, whose
prints are kept in ``content_prints.json`` by the bytes' sha256 (a file is decoded once).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import av

from lipsync.atomic import write_json
from lipsync.config import Params
from lipsync.ingest.duplicates import ContentPrint, content_print, same_content
from lipsync.layout import Layout
from lipsync.media.probe import MediaError

log = logging.getLogger("lipsync")


def mark_duplicates(sources: dict[str, dict], params: Params, layout: Layout) -> None:
    """Set ``duplicate_of`` / ``duplicate_reason`` on the sources (by id) holding an earlier
    source's content; byte copies already carry them (from the scan)."""
    s = params.ingest
    candidates = sorted(
        (src for src in sources.values() if not src.get("duplicate_of") and not src["escapes_root"]),
        key=lambda src: src["source"],
    )
    prints = _prints(candidates, s.duplicate_frames, layout)
    originals: list[dict] = []
    for src in candidates:
        mine = prints.get(src["sha256"])
        match = next(((o, why) for o in originals if (why := _same(prints[o["sha256"]], mine, params))), None)
        if match:
            src["duplicate_of"], src["duplicate_reason"] = match[0]["source"], match[1]
            log.info("ingest: %s holds the content of %s (%s)", src["source"], match[0]["source"], match[1])
        elif mine is not None:
            originals.append(src)


def _same(original: ContentPrint, other: ContentPrint | None, params: Params) -> str:
    s = params.ingest
    return same_content(original, other, s.duplicate_max_bits, s.duplicate_max_audio_db, s.fps) if other else ""


def _prints(sources: list[dict], frames: int, layout: Layout) -> dict[str, ContentPrint]:
    """The print of every readable source, by sha256 (from the cache when it holds them, made
    with the same ``frames``); the cache is rewritten with exactly these sources' prints."""
    cache = _read_cache(layout.ingest_prints, frames)
    out: dict[str, ContentPrint] = {}
    for src in sources:
        digest = src["sha256"]
        if digest in out:
            continue
        if digest in cache:
            out[digest] = cache[digest]
            continue
        try:
            out[digest] = content_print(Path(src["path"]), frames)
        except (MediaError, av.error.FFmpegError, OSError) as exc:  # ingest_one says why it is bad
            log.info("ingest: %s has no content print (%s); not compared for duplicates", src["source"], exc)
    entries = {d: p.as_dict() for d, p in sorted(out.items())}
    write_json(layout.ingest_prints, {"frames": frames, "prints": entries})
    return out


def _read_cache(path: Path, frames: int) -> dict[str, ContentPrint]:
    try:
        data = json.loads(path.read_text())
        if data.get("frames") != frames:
            return {}
        return {d: ContentPrint.from_dict(p) for d, p in data["prints"].items()}
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError):
        return {}
