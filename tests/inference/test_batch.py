"""``lipsync infer`` end to end on tiny inputs: the frame-count rule, untouched pixels outside the
compositor's region, ping-pong looping, official Wav2Lip checkpoints, and every bad input."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from lipsync.cli import main
from lipsync.faces.crop import crop_box
from lipsync.inference.batch import dubbed_frames
from lipsync.inference.face_plan import plan_face
from lipsync.inference.face_video import pingpong
from lipsync.inference.generation import LowerFace
from lipsync.inference.job import InferenceJob
from lipsync.inference.model_source import load_generator
from lipsync.inference.speech import frame_count, read_speech
from lipsync.media.writer import write_mp4, write_wav
from lipsync.stages import batch_inference
from tests.faces.images import astronaut
from tests.inference.conftest import config_of, frame_count_of, read_video, speech_like
from tests.inference.test_model_source import official_wav2lip

pytestmark = pytest.mark.slow


def dub(project, face, audio, out, model, **options):
    job = InferenceJob(face, audio, out, str(model), **options)
    return batch_inference.run(project.params, project.layout, [job], workers=1)["results"][0]


@pytest.mark.parametrize(("seconds", "rate"), [(0.21, 16000), (0.6, 16000), (1.003, 44100), (1.3, 22050)])
def test_output_length_follows_the_frame_count_rule(project, media, ours_checkpoint, tmp_path, seconds, rate):
    audio = tmp_path / "speech.wav"
    write_wav(audio, speech_like(seconds, (0.0, seconds), rate=rate), rate)
    samples = int(round(seconds * rate))
    result = dub(project, media["photo"], audio, tmp_path / "out.mp4", ours_checkpoint)
    assert result.ok, result.reason
    assert result.frames == frame_count(samples, rate, 25) == frame_count_of(tmp_path / "out.mp4")
    with av.open(str(tmp_path / "out.mp4")) as container:
        video, sound = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, sound.codec_context.name, sound.rate) == ("h264", "aac", rate)
        assert "step 7" in container.metadata["comment"]  # the model's identity travels with the video


def changeable(shape, box, project, size) -> np.ndarray:
    """bool (H, W): pixels the paste may touch: inside the crop, below the compositor's region_top (less a row)."""
    height, width = shape
    x0, y0, x1, y1 = crop_box(box, width, height, project.params.faces.crop)
    top = y0 + int((project.params.models.generator.compositor.region_top - 1.5 / size) * (x1 - x0))
    mask = np.zeros((height, width), bool)
    mask[max(top, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = True
    return mask


def test_pixels_outside_the_compositor_region_are_the_inputs(project, media, ours_checkpoint, tmp_path):
    from lipsync.faces.detect import detect_faces

    out, reference = tmp_path / "photo.mp4", tmp_path / "photo_as_video.mp4"
    assert dub(project, media["photo"], media["speech"], out, ours_checkpoint).ok
    photo, encoder = astronaut(), project.params.inference.encoder
    write_mp4(reference, np.repeat(photo[None], 40, axis=0), 25, None, 16000, crf=encoder.crf,
              threads=encoder.threads, preset=encoder.preset)  # fmt: skip
    made, codec_only = read_video(out).astype(np.int16), read_video(reference).astype(np.int16)
    box = detect_faces(photo[None], project.params.faces.detector)[0].boxes[0]
    keep = ~changeable(photo.shape[:2], box, project, 96)
    error = np.abs(made - codec_only)[:, keep]  # (T, pixels, 3): the same pixels through the same encoder
    assert error.mean() < 0.3 and np.percentile(error, 99.9) <= 6
    changed = np.abs(made - codec_only)[:, ~keep]
    assert changed.mean() > 5 * error.mean()  # the mouth region was generated


def test_a_short_face_video_plays_forwards_then_backwards(project, media, ours_checkpoint, tmp_path):
    out = tmp_path / "video.mp4"
    result = dub(project, media["video"], media["speech"], out, ours_checkpoint)  # 30 frames of face, 40 of audio
    assert result.ok and result.frames == 40 == frame_count_of(out)
    source, made = read_video(media["video"]), read_video(out)
    order = pingpong(40, len(source))
    assert order[29:33].tolist() == [29, 28, 27, 26]
    top, candidates = made[:, :60].astype(np.int16), source[:, :60].astype(np.int16)  # no mouth up there
    nearest = [int(np.argmin(np.abs(candidates - top[n]).mean(axis=(1, 2, 3)))) for n in range(40)]
    assert nearest == order.tolist()  # each output frame shows the scheduled input frame


def test_an_official_wav2lip_checkpoint_runs_through_infer(project, media, tmp_path, capsys):
    checkpoint = official_wav2lip(tmp_path / "wav2lip.pth")
    out = tmp_path / "w2l.mp4"
    code = main(["--root", str(project.root), "--no-progress", "infer", "--face", str(media["photo"]),
                 "--audio", str(media["speech"]), "--out", str(out), "--model", str(checkpoint)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert frame_count_of(out) == 40 and "| ok |" in printed and "1 done, 0 failed" in printed
    line = project.layout.inference_log.read_text().splitlines()[-1]
    assert "outcome=ok" in line and "wav2lip.pth (Wav2Lip, wav2lip-dict, step 253000)" in line and "frames=40" in line


def test_bad_inputs_fail_with_the_reason_and_leave_nothing_behind(project, media, ours_checkpoint, tmp_path):
    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((200, 300, 3), 128, np.uint8))
    exists = tmp_path / "exists.mp4"
    exists.write_bytes(b"keep me")
    corrupt, broken, short = tmp_path / "cut.mov", tmp_path / "broken.jpg", tmp_path / "short.wav"
    corrupt.write_bytes(media["video"].read_bytes()[:2000])  # a truncated upload: no index, no frames
    broken.write_bytes(b"\xff\xd8\xff\xe0 half a jpeg")
    write_wav(short, speech_like(0.15, (0.0, 0.15)), 16000)
    cases = {
        "no face of at least 40 px": (blank, media["speech"], tmp_path / "a.mp4"),
        "exists; pass --overwrite": (media["photo"], media["speech"], exists),
        "does not exist; create it first": (media["photo"], media["speech"], tmp_path / "nowhere" / "b.mp4"),
        "must end in .mp4": (media["photo"], media["speech"], tmp_path / "c.avi"),
        "no audio stream": (media["photo"], media["video"], tmp_path / "d.mp4"),
        "not a media file": (corrupt, media["speech"], tmp_path / "e.mp4"),
        "not a readable image": (broken, media["speech"], tmp_path / "f.mp4"),
        "shorter than one 0.20 s sync window": (media["photo"], short, tmp_path / "g.mp4"),
        "nowhere.wav: no such file": (media["photo"], tmp_path / "nowhere.wav", tmp_path / "h.mp4"),
    }
    for reason, (face, audio, out) in cases.items():
        result = dub(project, face, audio, out, ours_checkpoint)
        assert not result.ok and reason in result.reason
        assert any(path.name in result.reason for path in (face, audio, out))  # the file at fault is named
    assert exists.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".mp4") == ["exists.mp4"]  # no partial file
    assert len(project.layout.inference_log.read_text().splitlines()) == len(cases)
    assert dub(project, media["photo"], media["speech"], exists, ours_checkpoint, overwrite=True).ok


def test_lost_faces_pass_through_and_several_faces_are_noted(project, media, ours_checkpoint, tmp_path):
    frames = read_video(media["video"])
    frames[10:14] = 90  # the face is gone for four frames (and found again by the detection at frame 15)
    lost = tmp_path / "lost.mp4"
    write_mp4(lost, frames, 25, None, 16000, crf=12, threads=1, preset="ultrafast")
    result = dub(project, lost, media["speech"], tmp_path / "lost_out.mp4", ours_checkpoint)
    note = next(note for note in result.notes if note.startswith("face lost on"))
    missing = int(note.split()[3])  # "face lost on K of 30 frames": the four, and one until the next detection
    assert result.ok and 4 <= missing <= 5 and note.endswith("of 30 frames: they pass through unchanged")
    assert 40 - 2 * missing <= result.face_frames <= 40 - missing  # some frames are shown twice (ping-pong)
    made = read_video(tmp_path / "lost_out.mp4")
    assert made[11].std() < 0.5 and abs(float(made[11].mean()) - 90) < 3  # passed through: flat grey (two codecs)

    pair = np.concatenate([astronaut(), astronaut()[:, ::-1]], axis=1)  # two faces, side by side
    two = tmp_path / "two.png"
    cv2.imwrite(str(two), cv2.cvtColor(pair, cv2.COLOR_RGB2BGR))
    noted = dub(project, two, media["speech"], tmp_path / "two0.mp4", ours_checkpoint)
    assert noted.ok and any("faces found: following face 0" in note for note in noted.notes)
    assert dub(project, two, media["speech"], tmp_path / "two1.mp4", ours_checkpoint, face_index=1).ok
    refused = dub(project, two, media["speech"], tmp_path / "two9.mp4", ours_checkpoint, face_index=9)
    assert not refused.ok and "face index 9 asked for" in refused.reason


def test_silent_audio_gives_one_still_closed_mouth_with_a_note(project, media, ours_checkpoint, tmp_path):
    quiet = tmp_path / "quiet.wav"
    write_wav(quiet, np.random.default_rng(0).normal(0, 1e-4, 16000).astype(np.float32), 16000)  # a faint hiss
    out = tmp_path / "quiet.mp4"
    result = dub(project, media["photo"], quiet, out, ours_checkpoint)
    assert result.ok and result.frames == 25 == result.silent_frames
    assert any("silent throughout" in note for note in result.notes)
    made = read_video(out).astype(np.int16)
    assert np.abs(np.diff(made, axis=0)).mean() < 0.05  # the same picture throughout, up to the codec

    config = config_of(project)
    plan = plan_face(media["photo"], config.faces, 25, config.settings.max_side)
    lower = LowerFace(load_generator(str(ours_checkpoint), config.generator, config.mlruns, Path()).model)
    audio = read_speech(quiet, config.mel, 25, 5).mel_audio
    frames = list(dubbed_frames(plan, lower, audio, 25, config, {"face_frames": 0, "silent_frames": 0}))
    assert all(np.array_equal(frame, frames[0]) for frame in frames)  # before the codec: one mouth, bit for bit
    assert not np.array_equal(frames[0], astronaut())  # and it was generated, not passed through


def test_a_huge_photo_is_detected_on_a_smaller_copy_and_dubbed_at_max_side(project, media, ours_checkpoint, tmp_path):
    huge = tmp_path / "huge.png"
    cv2.imwrite(str(huge), cv2.resize(cv2.imread(str(media["photo"])), (3600, 3600), interpolation=cv2.INTER_CUBIC))
    audio = tmp_path / "short.wav"
    write_wav(audio, speech_like(0.3, (0.0, 0.3)), 16000)
    out = tmp_path / "huge.mp4"
    assert dub(project, huge, audio, out, ours_checkpoint).ok
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (1920, 1920)  # inference.max_side
    assert project.params.faces.detector.max_side < 1920  # detection ran on a smaller copy


def test_a_long_face_video_is_read_only_as_far_as_the_speech_needs(project, media, ours_checkpoint, tmp_path):
    faces = project.params.faces
    whole = plan_face(media["video"], faces, 25, 1920)
    start = plan_face(media["video"], faces, 25, 1920, seconds=0.4)  # 10 output frames
    assert len(whole.pts) == 30 and 11 <= len(start.pts) < 30 and len(start.slots) >= 10
    audio = tmp_path / "short.wav"
    write_wav(audio, speech_like(0.4, (0.0, 0.4)), 16000)
    out = tmp_path / "start.mp4"
    assert dub(project, media["video"], audio, out, ours_checkpoint).frames == 10
    top, source = read_video(out)[:, :60].astype(np.int16), read_video(media["video"])[:10, :60].astype(np.int16)
    assert np.abs(top - source).mean() < 3  # the first ten frames, in order
