"""Stage ``corpus``: generate the embedded synthetic talking-head corpus (see lipsync.corpus)."""

from __future__ import annotations

from dataclasses import asdict

from lipsync.config import Params
from lipsync.corpus.generate import generate_corpus
from lipsync.layout import Layout

STAGE = "corpus"


def run(params: Params, layout: Layout, progress: bool = False) -> dict:
    summary = generate_corpus(params.corpus, layout.corpus, progress=progress)
    return {"stage": STAGE, **asdict(summary), "folder": str(layout.corpus)}
