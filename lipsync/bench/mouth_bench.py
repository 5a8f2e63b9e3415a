"""Benchmark ``mouth``: does dlib's 68-point model read the corpus mouth, per photo and renderer?

For every corpus photo (those of the project's ``data/photos`` when the ``photos`` stage has run,
else the built-in photos; or ``LIPSYNC_MOUTH_PHOTOS``, comma-separated names among them; with many
photos ``LIPSYNC_MOUTH_RENDERERS=warp`` measures the corpus's renderer alone)
it renders ``clips`` clips with each renderer ("warp": the photo's own lips moved; "lens": the
old drawn mouth; "photo": the photo's mouth left still, the detector's ceiling) and reports the
share of frames where dlib finds the face and the correlation of dlib's inner-lip opening with
the truth ``open`` (:mod:`lipsync.corpus.mouth_check`). Goals: found >= 99%, correlation >= 0.9.
"""

from __future__ import annotations

import os

from lipsync.corpus.mouth_check import face_landmarker, read_mouth
from lipsync.corpus.photos import builtin_photo_set
from lipsync.photos.catalogue import ANNOTATIONS, load_photo_set
from lipsync.project import Project

RENDERERS = ("warp", "lens", "photo")
GOAL_FOUND, GOAL_CORRELATION = 0.99, 0.9


def run(project: Project, quick: bool = False) -> dict:
    corpus = project.params.corpus
    names = os.environ.get("LIPSYNC_MOUTH_PHOTOS", "")
    built = project.layout.photos / ANNOTATIONS
    photo_set = load_photo_set(project.layout.photos) if built.is_file() else builtin_photo_set(corpus)
    photos = [n.strip() for n in names.split(",") if n.strip()] or sorted(photo_set)
    clips = 1 if quick else 4
    chosen = os.environ.get("LIPSYNC_MOUTH_RENDERERS", "")
    renderers = [r.strip() for r in chosen.split(",") if r.strip()] or list(RENDERERS)
    unknown = sorted(set(renderers) - set(RENDERERS))
    if unknown:
        raise ValueError(f"LIPSYNC_MOUTH_RENDERERS names unknown renderers {unknown}; known: {list(RENDERERS)}")
    landmarker = face_landmarker(project.params.evaluation.faces)
    table = {}
    for photo in photos:
        table[photo] = {}
        for renderer in renderers:
            reading = read_mouth(corpus, photo, renderer, clips, landmarker, photo_set)
            table[photo][renderer] = {
                "clips": reading.clips,
                "frames": reading.frames,
                "found_share": round(reading.found_share, 4),
                "open_correlation": None if reading.correlation is None else round(reading.correlation, 3),
            }
    warp = [table[p]["warp"] for p in photos]
    return {
        "renderer": corpus.mouth.renderer,
        "photo_source": "data/photos" if built.is_file() else "builtin",
        "photos": table,
        "goal_found_share": GOAL_FOUND,
        "goal_open_correlation": GOAL_CORRELATION,
        "met": all(w["found_share"] >= GOAL_FOUND and (w["open_correlation"] or 0) >= GOAL_CORRELATION for w in warp),
    }
