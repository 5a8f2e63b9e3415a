"""Streaming: frames leave as soon as their audio is in, equal to batch, with a measured latency."""

from __future__ import annotations

import numpy as np
import pytest

from lipsync.inference.batch import dubbed_frames
from lipsync.inference.face_plan import plan_face
from lipsync.inference.generation import LowerFace
from lipsync.inference.model_source import load_generator
from lipsync.inference.realtime import algorithmic_delay, feed
from lipsync.inference.speech import read_speech
from lipsync.inference.streaming import LipSyncStream, prepare_face
from tests.inference.conftest import config_of

pytestmark = pytest.mark.slow


def pieces(project, media, checkpoint, face):
    config = config_of(project)
    lower = LowerFace(load_generator(str(checkpoint), config.generator, config.mlruns, config.generator_result).model)
    speech = read_speech(media["speech"], config.mel, config.fps, config.window_frames)
    return config, lower, speech, media[face]


@pytest.mark.parametrize("face", ["photo", "video"])
def test_stream_output_equals_batch_output(project, media, ours_checkpoint, face):
    config, lower, speech, path = pieces(project, media, ours_checkpoint, face)
    plan = plan_face(path, config.faces, config.fps, config.settings.max_side)
    batch = list(
        dubbed_frames(plan, lower, speech.mel_audio, speech.frames(25), config, {"face_frames": 0, "silent_frames": 0})
    )
    stream = LipSyncStream(prepare_face(path, config.faces, config.fps, config.settings), lower, config)
    streamed = []
    report = feed(stream, speech.mel_audio, 30, realtime=False, on_frame=lambda frame: streamed.append(frame))
    assert [f.index for f in streamed] == list(range(len(batch))) and report.frames == len(batch) == 40
    difference = np.stack([np.abs(s.image.astype(np.int16) - b) for s, b in zip(streamed, batch, strict=True)])
    assert difference.max() <= 1  # float rounding of a different batch size at most
    assert [f.silent for f in streamed][:3] == [True] * 3


def test_frames_leave_as_soon_as_their_window_is_in(project, media, ours_checkpoint):
    config, lower, speech, path = pieces(project, media, ours_checkpoint, "photo")
    stream = LipSyncStream(prepare_face(path, config.faces, config.fps, config.settings), lower, config)
    assert stream.needed(0) == 15 * 200 + 400  # 16 mel columns from 0, the last one's STFT half-window
    assert algorithmic_delay(stream) == pytest.approx(0.2125)  # last column centred at 187.5 ms, + 25 ms of STFT
    made = stream.push(np.zeros(stream.needed(0) - 1, np.float32))
    assert made == []
    made = stream.push(np.zeros(1, np.float32))
    assert [f.index for f in made] == [0]
    made = stream.push(np.zeros(3 * 640, np.float32))  # three more frames' worth of audio
    assert [f.index for f in made] == [1, 2, 3]
    rest = stream.finish()  # 5320 samples in all: ceil(5320 x 25 / 16000) = 9 frames
    assert [f.index for f in rest] == list(range(4, 9))


def test_realtime_feeding_reports_sustained_rate_and_latency(project, media, ours_checkpoint):
    config, lower, speech, path = pieces(project, media, ours_checkpoint, "photo")
    stream = LipSyncStream(prepare_face(path, config.faces, config.fps, config.settings), lower, config)
    report = feed(stream, speech.mel_audio, 40, realtime=True)
    assert report.frames == 40 and report.audio_seconds == pytest.approx(1.6)
    assert report.realtime and report.capacity_fps > 0 and report.sustained_fps > 0
    assert 0 <= report.latency_ms["p50"] <= report.latency_ms["p95"] <= report.latency_ms["max"]


def test_lipsync_stream_prints_its_measurements(project, media, ours_checkpoint, capsys):
    import json

    from lipsync.cli import main

    code = main(["--root", str(project.root), "--no-progress", "stream", "--face", str(media["photo"]),
                 "--audio", str(media["speech"]), "--model", str(ours_checkpoint), "--chunk-ms", "100"])  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["frames"] == 40 and report["chunk_ms"] == 100 and report["algorithmic_delay_ms"] == 212.5
    assert "step 7" in report["model"] and set(report["latency_ms"]) == {"p50", "p95", "max"}
