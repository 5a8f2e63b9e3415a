"""``lipsync corpus --extra-speakers N``: new speakers' videos for the retraining demonstration.

Renders N speakers the corpus does not have (indices after the highest ``spkNN-`` folder under
the raw folder, training photos, their own voices and looks drawn from the corpus seed) with
``corpus.clips_per_speaker`` clips each, and writes them where new footage would arrive:
``paths.raw_videos/<speaker>/<clip>.mp4`` (ground truth beside the corpus's, in
``<corpus>/truth``). The ``new_raw_videos`` sensor then processes them and the retraining
sensor counts them. Regenerating the corpus (a changed ``corpus`` section) removes them again.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import time

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.stages.writer_lock import writes_data

SPEAKER_FOLDER = re.compile(r"spk(\d+)-")


@writes_data
def run(params: Params, layout: Layout, count: int, progress: bool = False) -> dict:
    """Write ``count`` new speakers' clips; returns ``{"speakers": [...], "videos": int, "folder", "seconds"}``."""
    from lipsync.corpus.generate import clip_paths, write_clips
    from lipsync.photos.catalogue import load_photo_set

    if count < 1:
        raise ValueError(f"--extra-speakers must be >= 1, got {count}")
    started = time.perf_counter()
    layout.raw_videos.mkdir(parents=True, exist_ok=True)
    taken = [int(m.group(1)) for p in layout.raw_videos.iterdir() if (m := SPEAKER_FOLDER.match(p.name))]
    first = max([*taken, params.corpus.speakers - 1]) + 1
    # every index below speakers - test_speakers is a training speaker: the new ones all are
    settings = dataclasses.replace(params.corpus, speakers=first + count + 1, test_speakers=1, val_speakers=0)
    photos = load_photo_set(layout.photos)
    jobs = [(index, clip) for index in range(first, first + count) for clip in range(settings.clips_per_speaker)]
    videos = len(write_clips(settings, layout.corpus, jobs, progress, photos))  # in pinned workers, as the corpus
    speakers = []
    for index in range(first, first + count):
        speaker = next((layout.corpus / "videos").glob(f"spk{index:02d}-*")).name
        speakers.append(speaker)
        if layout.raw_videos != layout.corpus_videos:  # the raw folder is elsewhere: the videos go there
            for clip in range(settings.clips_per_speaker):
                video, _ = clip_paths(layout.corpus, speaker, clip)
                target = layout.raw_videos / speaker / video.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(video, target)
    return {"speakers": speakers, "videos": videos, "folder": str(layout.raw_videos),
            "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
