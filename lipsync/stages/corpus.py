"""Stage ``corpus``: generate the embedded synthetic talking-head corpus (see lipsync.corpus) on
the faces of ``data/photos`` (stage ``photos``).

Regeneration is skipped when the folder already holds the corpus of the same settings and
generator code (a fingerprint beside it), so re-running the Dagster job costs nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import lipsync.corpus
import lipsync.media.writer
from lipsync.atomic import write_json
from lipsync.config import Params, section_hash
from lipsync.corpus.generate import generate_corpus
from lipsync.layout import Layout
from lipsync.photos.catalogue import load_photo_set, photo_set_hash
from lipsync.stages.writer_lock import writes_data

STAGE = "corpus"


@writes_data
def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    photos = load_photo_set(layout.photos)
    fingerprint = corpus_fingerprint(params.corpus, layout)
    previous = _previous(layout, fingerprint)
    if previous is not None:
        return {**previous, "folder": str(layout.corpus), "up_to_date": True, "elapsed_seconds": 0.0}
    summary = {
        "stage": STAGE,
        **asdict(generate_corpus(params.corpus, layout.corpus, progress=progress, photos=photos)),
        "folder": str(layout.corpus),
    }
    files = sorted(p.relative_to(layout.corpus).as_posix() for p in layout.corpus_videos.rglob("*.mp4"))
    stable = {k: v for k, v in summary.items() if k not in ("elapsed_seconds", "folder")}  # same bytes every run
    write_json(layout.corpus_fingerprint, {"fingerprint": fingerprint, "files": files, "summary": stable})
    return {**summary, "up_to_date": False}


def corpus_fingerprint(settings, layout: Layout) -> str:
    """Hash of the corpus settings, the generator's code and the photos it renders."""
    return section_hash((settings, _code_hash(), photo_set_hash(layout.photos)))


def _code_hash() -> str:
    """Hash of the generator's source: new code means a new corpus."""
    sources = sorted(Path(lipsync.corpus.__file__).parent.glob("*.py")) + [Path(lipsync.media.writer.__file__)]
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _previous(layout: Layout, fingerprint: str) -> dict | None:
    try:
        saved = json.loads(layout.corpus_fingerprint.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if saved.get("fingerprint") != fingerprint or not all((layout.corpus / f).exists() for f in saved["files"]):
        return None
    return saved["summary"]
