"""The LSE protocol: distances per offset, LSE-D, LSE-C, the offset's sign, one clip end to end."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from lipsync.evaluation.mfcc import mfcc
from lipsync.evaluation.settings import SyncSettings
from lipsync.evaluation.sync import mean_over_clips, offset_distances, sync_scores
from lipsync.evaluation.sync_clip import evaluator_frames, evaluator_input, score_clip
from lipsync.evaluation.syncnet_v2 import SyncNetV2
from tests.evaluation.evaluation_fixtures import cropped_clip, shift_audio
from tests.evaluation.test_syncnet_v2 import SMALL

K = 15
SETTINGS = SyncSettings(max_offset=K, batch_size=16)


def advanced_embeddings(k: int, windows: int = 60, dim: int = 8, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Video embeddings and audio embeddings of the same stream advanced by k windows."""
    stream = torch.randn(windows + 2 * K, dim, generator=torch.Generator().manual_seed(seed))
    return stream[K : K + windows], stream[K + k : K + k + windows]


def test_distance_layout_is_calc_pdists():
    video, audio = torch.randn(7, 4), torch.randn(7, 4)
    distances = offset_distances(video, audio, max_offset=2)  # (7, 5)
    for i in range(7):
        for j in range(5):
            other = audio[i + j - 2] if 0 <= i + j - 2 < 7 else torch.zeros(4)  # zero-padded outside the clip
            assert distances[i, j] == pytest.approx(float(torch.norm(video[i] - other + 1e-6)), abs=1e-5)


@pytest.mark.parametrize("k", [-7, 4])
def test_advanced_audio_gives_a_positive_offset(k):
    scores = sync_scores(*advanced_embeddings(k), K)
    assert scores.offset == k
    assert scores.offsets[np.argmin(scores.mean_distance)] == k
    # at the true offset only the |k| windows whose partner falls outside the clip are off
    assert scores.lse_d < 0.25 * np.median(scores.mean_distance)
    assert scores.window_distance.shape == (60, 31) and scores.windows == 60


def test_lse_c_separates_matched_from_mismatched_embeddings():
    video, audio = advanced_embeddings(0)
    noise = 0.3 * torch.randn(audio.shape, generator=torch.Generator().manual_seed(1))
    matched = sync_scores(video, audio + noise, K)
    mismatched = sync_scores(video, torch.randn(audio.shape, generator=torch.Generator().manual_seed(2)), K)
    assert matched.offset == 0 and matched.lse_c > 2.0
    assert mismatched.lse_c < 0.25 and mismatched.lse_d > matched.lse_d + 2.0
    assert matched.lse_c == pytest.approx(float(np.median(matched.mean_distance) - matched.lse_d))
    assert mean_over_clips([matched, mismatched]) == pytest.approx(
        ((matched.lse_d + mismatched.lse_d) / 2, (matched.lse_c + mismatched.lse_c) / 2)
    )


class MouthEnergyEvaluator(nn.Module):
    """A fixed evaluator: its face embedding is the darkness of a mouth box in each of the 5
    frames (an open mouth is dark), its audio embedding the log energy (MFCC 0) of each frame's
    4 steps, both standardised with statistics of the clip. Sync is all it can see."""

    face_size = 96
    channel_order = "rgb"
    face_crop_top = 0.0

    def __init__(self, box: tuple[int, int, int, int], darkness: np.ndarray, energy: np.ndarray) -> None:
        super().__init__()
        self.box, self.darkness, self.energy = box, (darkness.mean(), darkness.std()), (energy.mean(), energy.std())

    def embed_faces(self, faces: Tensor) -> Tensor:  # (B, 3, 5, 96, 96) -> (B, 5)
        x0, y0, x1, y1 = self.box
        darkness = 255 - faces[:, :, :, y0:y1, x0:x1].mean(dim=(1, 3, 4))
        return (darkness - self.darkness[0]) / self.darkness[1]

    def embed_audio(self, mfcc_window: Tensor) -> Tensor:  # (B, 1, 13, 20) -> (B, 5)
        energy = mfcc_window[:, 0, 0].reshape(len(mfcc_window), 5, 4).mean(dim=-1)
        return (energy - self.energy[0]) / self.energy[1]


@pytest.fixture(scope="module")
def speaking():
    """A 3 s corpus clip (test photo) and the fixed evaluator calibrated on it. The clip's mouth
    is the drawn lens (a flat dark shape: its box's darkness follows the opening at r = 0.99);
    the warped photo mouth shows teeth and moves the lips out of a fixed box (r = -0.16), which
    this darkness-only evaluator cannot read."""
    clip = cropped_clip(speaker=25, seconds=3.0, renderer="lens")
    box = tuple(int(v) for v in np.round(clip.mouth_boxes.mean(axis=0)))
    darkness = 255 - clip.faces[:, box[1] : box[3], box[0] : box[2]].astype(np.float32).mean(axis=(1, 2, 3))
    return clip, MouthEnergyEvaluator(box, darkness, mfcc(clip.audio)[0])


@pytest.mark.parametrize("k", [-5, 0, 3])
def test_a_known_audio_shift_is_found_as_the_offset(speaking, k):
    clip, evaluator = speaking
    scores = score_clip(evaluator, clip.faces, shift_audio(clip.audio, k), "spk25", SETTINGS)
    assert scores.windows == 70 and abs(scores.offset - k) <= 1


def test_own_audio_scores_better_than_another_clips(speaking):
    clip, evaluator = speaking
    other = cropped_clip(speaker=0, seconds=3.0, renderer="lens").audio
    own = score_clip(evaluator, clip.faces, clip.audio, "spk25", SETTINGS)
    dubbed = score_clip(evaluator, clip.faces, other, "spk25+spk00", SETTINGS)
    assert own.lse_c > dubbed.lse_c + 0.3 and own.lse_d < dubbed.lse_d - 0.3


def test_batching_does_not_change_the_scores():
    clip = cropped_clip(speaker=25, seconds=3.0)
    torch.manual_seed(0)
    evaluator = SyncNetV2(SMALL)
    one = score_clip(
        evaluator, clip.faces[:20], clip.audio[: 20 * 640], "a", dataclasses.replace(SETTINGS, batch_size=64)
    )
    many = score_clip(
        evaluator, clip.faces[:20], clip.audio[: 20 * 640], "a", dataclasses.replace(SETTINGS, batch_size=4)
    )
    assert not evaluator.training and one.windows == 15
    np.testing.assert_allclose(one.window_distance, many.window_distance, rtol=1e-5)


def test_a_clip_shorter_than_a_window_names_the_clip():
    clip = cropped_clip(speaker=25, seconds=3.0)
    with pytest.raises(ValueError, match="clip spk25-0007 is too short for a sync window: 5 frames"):
        score_clip(SyncNetV2(SMALL), clip.faces[:5], clip.audio, "spk25-0007", SETTINGS)
    with pytest.raises(ValueError, match="clip x: expected uint8 faces"):
        score_clip(SyncNetV2(SMALL), clip.faces.astype(np.float32), clip.audio, "x", SETTINGS)


def test_evaluator_frames_are_resized_unnormalised_and_in_the_evaluators_colour_order():
    faces = np.zeros((2, 96, 96, 3), np.uint8)
    faces[..., 0], faces[..., 2] = 200, 10  # red
    rgb, bgr = evaluator_frames(faces, 224, "rgb", 0.0), evaluator_frames(faces, 224, "bgr", 0.0)
    assert rgb.shape == (3, 2, 224, 224) and rgb.dtype == torch.float32
    assert rgb[0].unique().tolist() == [200.0] and bgr[0].unique().tolist() == [10.0]


def test_evaluator_input_with_a_crop_top_is_the_centred_square_below_that_line():
    faces = np.zeros((1, 100, 100, 3), np.uint8)
    faces[0, 40:, 20:80] = 255  # the square below 40% of the height, centred: rows 40..99, columns 20..79
    faces[0, 40:, :20] = faces[0, 40:, 80:] = 90  # beside it, left out
    faces[0, :40] = 30  # above it, left out
    cropped = evaluator_input(faces, 60, crop_top=0.4)
    assert cropped.shape == (1, 60, 60, 3) and cropped.min() == 255
    assert evaluator_input(faces, 100, 0.0) is faces  # already the net's square: no copy
    assert evaluator_input(faces, 50, 0.0).shape == (1, 50, 50, 3)
    assert evaluator_frames(faces, 60, "rgb", 0.4).min() == 255.0
