"""Benchmark ``mouth``: does dlib's 68-point model read the corpus mouth, per photo and renderer?

For every corpus photo (or ``LIPSYNC_MOUTH_PHOTOS``, comma-separated names of ``corpus.photos``)
it renders ``clips`` clips with each renderer ("warp": the photo's own lips moved; "lens": the
old drawn mouth; "photo": the photo's mouth left still, the detector's ceiling) and reports the
share of frames where dlib finds the face and the correlation of dlib's inner-lip opening with
the truth ``open`` (:mod:`lipsync.corpus.mouth_check`). Goals: found >= 99%, correlation >= 0.9.
"""

from __future__ import annotations

import os

from lipsync.corpus.mouth_check import face_landmarker, read_mouth
from lipsync.project import Project

RENDERERS = ("warp", "lens", "photo")
GOAL_FOUND, GOAL_CORRELATION = 0.99, 0.9


def run(project: Project, quick: bool = False) -> dict:
    corpus = project.params.corpus
    names = os.environ.get("LIPSYNC_MOUTH_PHOTOS", "")
    photos = [n.strip() for n in names.split(",") if n.strip()] or sorted(corpus.photos)
    clips = 1 if quick else 4
    landmarker = face_landmarker(project.params.evaluation.faces)
    table = {}
    for photo in photos:
        table[photo] = {}
        for renderer in RENDERERS:
            reading = read_mouth(corpus, photo, renderer, clips, landmarker)
            table[photo][renderer] = {
                "clips": reading.clips,
                "frames": reading.frames,
                "found_share": round(reading.found_share, 4),
                "open_correlation": None if reading.correlation is None else round(reading.correlation, 3),
            }
    warp = [table[p]["warp"] for p in photos]
    return {
        "renderer": corpus.mouth.renderer,
        "photos": table,
        "goal_found_share": GOAL_FOUND,
        "goal_open_correlation": GOAL_CORRELATION,
        "met": all(w["found_share"] >= GOAL_FOUND and (w["open_correlation"] or 0) >= GOAL_CORRELATION for w in warp),
    }
