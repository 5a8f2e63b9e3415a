"""Tests of the corpus building blocks, in memory: photos, espeak, visemes, speakers, one clip."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from scipy.stats import spearmanr

from lipsync.corpus.espeak import synthesize
from lipsync.corpus.photos import builtin_photo_set, load_photo, prepare_photo
from lipsync.corpus.render import render_clip
from lipsync.corpus.speakers import plan_speakers
from lipsync.corpus.visemes import mouth_track, viseme_of


def test_photos_load_as_rgb_uint8(corpus_settings):
    shapes = {name: load_photo(name, corpus_settings).shape for name in corpus_settings.photos.builtin}
    assert shapes == {"astronaut": (512, 512, 3), "camera": (512, 512, 3), "grace_hopper": (600, 512, 3)}
    camera = load_photo("camera", corpus_settings)
    assert camera.dtype == np.uint8 and np.array_equal(camera[..., 0], camera[..., 2])
    with pytest.raises(KeyError, match="corpus.photos.builtin"):
        load_photo("lena", corpus_settings)


@pytest.mark.parametrize("name", ["astronaut", "camera", "grace_hopper"])
def test_annotations_are_a_plausible_face(corpus_settings, name):
    photo = corpus_settings.photos.builtin[name]
    x0, y0, x1, y1 = photo.face_box
    (lex, ley), (rex, rey), (nx, ny), (lmx, lmy), (rmx, rmy) = photo.landmarks
    assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in photo.landmarks)
    assert lex < rex and lmx < rmx  # "left" = image left
    assert max(ley, rey) < ny < min(lmy, rmy)  # eyes above the nose tip above the mouth
    assert 0.7 < (x1 - x0) / (y1 - y0) < 1.3  # roughly square


def test_own_mouth_is_inpainted_and_lip_colour_sampled(corpus_settings):
    photo = builtin_photo_set(corpus_settings)["grace_hopper"]
    prepared = prepare_photo(photo, corpus_settings.mouth)
    original = load_photo("grace_hopper", corpus_settings).astype(np.float32) / 255
    (lx, ly), (rx, _) = photo.landmarks[3], photo.landmarks[4]
    mouth = np.s_[int(ly) - 4 : int(ly) + 6, int(lx) + 8 : int(rx) - 8]
    assert np.abs(prepared.pixels[mouth] - original[mouth]).mean() > 0.03  # the dark lip line is gone
    assert np.array_equal(prepared.pixels[:100], original[:100])  # far from the mouth: untouched
    red, green, _ = prepared.lip_rgb
    assert red > green + 0.2  # lips are red
    assert prepared.mouth_width == pytest.approx(74.03, abs=0.01)


def test_espeak_is_deterministic_with_phoneme_timing():
    first = synthesize("maybe the moon", "en-us+f3", 160, 50, 50, seed=3)
    time.sleep(1.0)  # espeak would otherwise seed its voice noise from the clock
    again = synthesize("maybe the moon", "en-us+f3", 160, 50, 50, seed=3)
    other = synthesize("maybe the moon", "en+m1", 160, 50, 50, seed=3)
    assert first.sample_rate == 22050 and first.audio.dtype == np.int16
    assert np.array_equal(first.audio, again.audio) and first.phonemes == again.phonemes
    assert not np.array_equal(first.audio[: len(other.audio)], other.audio[: len(first.audio)])
    assert [p.lstrip("'") for p in first.phonemes[:2]] == ["m", "eI"]
    assert np.all(np.diff(first.phoneme_ms) >= 0)
    assert first.phoneme_ms[-1] < 1000 * len(first.audio) / first.sample_rate
    assert len(first.word_ms) == 3


def test_viseme_lookup(corpus_settings):
    mouth = corpus_settings.mouth
    assert viseme_of("m", mouth) == "bilabial"
    assert viseme_of("'aI2", mouth) == "open_vowel"  # stress stripped, longest prefix "aI"
    assert viseme_of("t[", mouth) == "alveolar"
    assert viseme_of("_:", mouth) == "silence"
    assert viseme_of("Q", mouth) == mouth.default_viseme


def test_mouth_track_closes_on_bilabials_and_silence(corpus_settings):
    mouth = corpus_settings.mouth
    times = np.array([[0.4, 0.8], [0.8, 1.0], [1.0, 1.4]])
    track = mouth_track(("'a", "m", "a"), times, 50, 25, 1.0, mouth)  # (50, 3)
    centres = (np.arange(50) + 0.5) / 25
    opening = track[:, 0]
    reach = mouth.coarticulation_ms / 2000
    assert np.all(opening[(centres > 0.8) & (centres < 1.0)] == 0)  # lips shut during /m/
    assert np.all(opening[(centres < 0.4 - reach) | (centres > 1.4 + reach)] == 0)  # silence
    assert opening[14] == pytest.approx(mouth.visemes["open_vowel"].open, abs=1e-6)  # t = 0.58 s
    assert track[0, 1] == pytest.approx(mouth.visemes["silence"].width)
    assert 0 < opening[10] < opening[12]  # opening before the vowel's centre: coarticulation


def test_speakers_assignment_keeps_the_test_photo_out_of_training(real_settings):
    settings = real_settings
    speakers = plan_speakers(settings)
    assert [s.id for s in speakers][:2] == ["spk00-astronaut", "spk01-camera"]
    last = range(settings.speakers - settings.test_speakers, settings.speakers)
    assert settings.test_speakers >= 2
    assert [s.id for s in speakers if s.split == "test"] == [f"spk{i:02d}-grace_hopper" for i in last]
    assert {s.photo for s in speakers if s.split == "train"} == {"astronaut", "camera"}
    assert len({s.voice.name for s in speakers}) == len(speakers)
    fewer = plan_speakers(dataclasses.replace(settings, speakers=4, test_speakers=1))
    assert fewer[0] == speakers[0]  # a speaker's draws do not depend on the speaker count


@pytest.fixture(scope="module")
def clip(corpus_settings):
    return render_clip(dataclasses.replace(corpus_settings, min_seconds=3.0, max_seconds=3.0), 0, 0)


def test_clip_shapes_and_truth(clip, corpus_settings):
    truth = clip.truth
    assert clip.frames.shape == (75, 128, 128, 3) and clip.frames.dtype == np.uint8
    assert clip.audio.shape == (48000,) and clip.audio.dtype == np.float32 and np.abs(clip.audio).max() <= 1
    assert truth.face_boxes.shape == (75, 4) and truth.landmarks.shape == (75, 5, 2)
    assert truth.mouth_params.shape == (75, 3) and truth.mouth_boxes.shape == (75, 4)
    assert (truth.speaker, truth.photo, truth.split) == ("spk00-astronaut", "astronaut", "train")
    x0, y0, x1, y1 = truth.face_boxes.T
    inside = (truth.landmarks[..., 0] > x0[:, None]) & (truth.landmarks[..., 0] < x1[:, None])
    assert inside.all() and np.all((truth.landmarks[..., 1] > y0[:, None]) & (truth.landmarks[..., 1] < y1[:, None]))
    expected_width = plan_speakers(corpus_settings)[0].look.face_width * 128
    assert np.allclose(x1 - x0, expected_width, rtol=0.05)
    corners = truth.landmarks[:, 3:5].mean(axis=1)
    mx0, my0, mx1, my1 = truth.mouth_boxes.T
    assert np.all((corners[:, 0] > mx0) & (corners[:, 0] < mx1) & (corners[:, 1] > my0) & (corners[:, 1] < my1))
    assert np.all(np.diff(truth.phoneme_times[:, 0]) >= 0) and truth.phoneme_times.max() <= 3.0
    assert len(truth.phonemes) == len(truth.visemes) == len(truth.phoneme_times)


def test_clip_mouth_follows_speech(clip, corpus_settings):
    truth = clip.truth
    opening = truth.mouth_params[:, 0]
    centres = (np.arange(len(opening)) + 0.5) / 25
    closures = [
        t for t, v in zip(truth.phoneme_times, truth.visemes, strict=True) if v in corpus_settings.mouth.closure_visemes
    ]
    shut = np.zeros(len(opening), bool)
    for start, end in closures:
        shut |= (centres > start) & (centres < end)
    assert shut.any() and np.all(opening[shut] == 0)
    assert np.all(opening[centres < truth.phoneme_times[0, 0] - 0.04] == 0)  # lead-in silence
    windows = clip.audio.reshape(75, 640)
    energy = np.log(np.sqrt((windows**2).mean(axis=1)) + 1e-4)
    assert spearmanr(energy, opening)[0] > 0.5


def test_open_and_closed_mouth_pixels_differ(clip):
    opening = clip.truth.mouth_params[:, 0]
    wide = int(np.argmax(opening))
    closed = int(np.argmin(np.where(opening == 0, np.abs(np.arange(75) - wide), 999)))
    assert opening[wide] > 0.6 and opening[closed] == 0
    x0, y0, x1, y1 = np.round(clip.truth.mouth_boxes[wide]).astype(int)
    region = np.s_[y0:y1, x0:x1]
    a, b = clip.frames[wide][region].astype(float), clip.frames[closed][region].astype(float)
    assert np.abs(a - b).mean() > 20  # levels of 255: a dark open mouth vs closed lips (measured 31.4)
    assert (a.mean(axis=2) < 60).mean() > (b.mean(axis=2) < 60).mean() + 0.05  # dark interior (0.092 vs 0.014)


def test_render_is_deterministic(clip, corpus_settings):
    again = render_clip(dataclasses.replace(corpus_settings, min_seconds=3.0, max_seconds=3.0), 0, 0)
    assert np.array_equal(again.frames, clip.frames) and np.array_equal(again.audio, clip.audio)
    assert again.truth.phonemes == clip.truth.phonemes and again.truth.text == clip.truth.text


def test_too_short_clip_names_the_params_key(corpus_settings):
    short = dataclasses.replace(corpus_settings, min_seconds=0.3, max_seconds=0.3)
    with pytest.raises(ValueError, match="corpus.min_seconds"):
        render_clip(short, 0, 0)


def test_speakers_on_many_identities_never_share_one_across_splits(real_settings):
    base = builtin_photo_set(real_settings)["astronaut"]
    splits = ["test"] * 4 + ["val"] * 2 + ["train"] * 14
    photos = {f"pkg{i:02d}": dataclasses.replace(base, split=s) for i, s in enumerate(splits)}
    speakers = plan_speakers(real_settings, photos)
    counts = [sum(p.split == s for p in speakers) for s in ("train", "val", "test")]
    assert counts == [26 - 2 - 4, 2, 4] == [real_settings.speakers - 6, real_settings.val_speakers, 4]
    by_split = {s: {p.photo for p in speakers if p.split == s} for s in ("train", "val", "test")}
    assert [len(names) for names in by_split.values()] == [14, 2, 4]  # every identity is used
    assert all(photos[name].split == split for split, names in by_split.items() for name in names)
    assert speakers[3].id == "spk03-pkg09"  # train speakers cycle over the train identities in name order


def test_articulation_is_the_rendered_clips_audio_and_truth(clip, corpus_settings):
    """The sync ceiling measures corpora without rendering: it must see the very same clip."""
    from lipsync.corpus.articulation import articulate_clip

    said = articulate_clip(dataclasses.replace(corpus_settings, min_seconds=3.0, max_seconds=3.0), 0, 0)
    assert np.array_equal(said.speech.audio, clip.audio)
    assert np.array_equal(said.mouth_params, clip.truth.mouth_params) and said.n_frames == len(clip.frames)


def test_dirty_clips_shift_only_the_audio_of_train_speakers(tiny_settings):
    dirty = dataclasses.replace(tiny_settings, dirty=dataclasses.replace(tiny_settings.dirty, share=1.0))
    clean, shifted = render_clip(tiny_settings, 0, 0), render_clip(dirty, 0, 0)
    lead = shifted.truth.audio_shift_frames * (tiny_settings.sample_rate // tiny_settings.fps)
    low, high = tiny_settings.dirty.shift_frames
    assert low <= abs(shifted.truth.audio_shift_frames) <= high and clean.truth.audio_shift_frames == 0
    assert np.array_equal(clean.frames, shifted.frames)  # the picture (and its mouth) keeps its timing
    assert np.array_equal(clean.truth.mouth_params, shifted.truth.mouth_params)
    assert len(shifted.audio) == len(clean.audio)
    moved = shifted.audio[: len(clean.audio) - lead] if lead > 0 else shifted.audio[-lead:]
    kept = clean.audio[lead:] if lead > 0 else clean.audio[: len(clean.audio) + lead]
    assert np.array_equal(moved, kept)
    gap = shifted.audio[len(clean.audio) - lead :] if lead > 0 else shifted.audio[:-lead]
    assert np.std(gap) == pytest.approx(tiny_settings.speech.noise, rel=0.1)  # the noise floor moves in
    test_speaker = render_clip(dirty, 1, 0)
    assert test_speaker.truth.split == "test" and test_speaker.truth.audio_shift_frames == 0
