"""Face tracking on synthetic clips whose true face box is known on every frame."""

import dataclasses
import re

import numpy as np
import pytest
import skimage.data
import torch
from torchvision.ops import box_iou

import lipsync.faces.track as track_module
from lipsync.faces.benchmark import benchmark_tracking, still_face_movement, tracking_lag
from lipsync.faces.detect import detect_faces
from lipsync.faces.settings import FacesSettings
from lipsync.faces.synthetic import moving_face_clip, sliding_face_clip
from lipsync.faces.track import AmbiguousFaceError, NoFaceError, present_runs, track_faces
from tests.builders import real_section
from tests.faces.images import ASTRONAUT_FACE, astronaut, camera, grace_hopper, group_photo, tile, video_frame


@pytest.fixture(scope="module")
def params() -> FacesSettings:
    """The real ``faces`` section of params.yaml."""
    return real_section(FacesSettings, "faces")


@pytest.fixture(scope="module")
def astronaut_clip(params):
    image = skimage.data.astronaut()
    box = detect_faces(image[None], params.detector)[0].boxes[0]
    return moving_face_clip(image, box, length=60, size=256, face_fraction=0.4)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return box_iou(torch.from_numpy(a), torch.from_numpy(b)).diag().numpy()


def test_follows_a_moving_face(params, astronaut_clip):
    frames, truth = astronaut_clip
    tracks = track_faces(frames, params.tracker, params.detector)
    assert tracks.present.all() and tracks.other_faces == 0
    assert tracks.detections_run == -(-60 // params.tracker.detect_every)
    assert tracks.boxes.dtype == np.float32 and tracks.landmarks.shape == (60, 5, 2)
    overlap = iou(tracks.boxes, truth)
    assert overlap.mean() >= 0.9 and overlap.min() >= 0.8
    assert tracks.scores.min() >= params.tracker.refine_threshold
    # landmarks measured on every frame, inside the face box: eyes above the mouth
    eyes, mouth = tracks.landmarks[:, :2, 1].mean(1), tracks.landmarks[:, 3:, 1].mean(1)
    assert (eyes < mouth).all() and (tracks.landmarks[..., 1] > tracks.boxes[:, None, 1]).all()


def test_streamed_frames_and_chunks_give_the_same_tracks(params, astronaut_clip):
    frames, _ = astronaut_clip
    whole = track_faces(frames, params.tracker, params.detector)
    one_by_one = track_faces(iter(frames), params.tracker, params.detector)
    chunks = track_faces((frames[i : i + 7] for i in range(0, 60, 7)), params.tracker, params.detector)
    np.testing.assert_allclose(one_by_one.boxes, whole.boxes, atol=1e-4)
    np.testing.assert_allclose(chunks.landmarks, whole.landmarks, atol=1e-4)


def test_face_lost_while_blanked_and_runs_split(params, astronaut_clip):
    frames, _ = astronaut_clip
    frames = frames.copy()
    frames[20:36] = 128
    tracks = track_faces(frames, params.tracker, params.detector)
    assert tracks.present[:20].all() and not tracks.present[20:36].any()
    assert np.isnan(tracks.boxes[20:36]).all() and (tracks.scores[20:36] == 0).all()
    assert tracks.other_faces == 0  # the face found again continues the same track
    # found again at the next full detection, at the latest
    every = params.tracker.detect_every
    back = -(-36 // every) * every  # the first full detection once the face is back
    assert tracks.present[back:].all()
    assert present_runs(tracks.present, 5) == [(0, 20), (int(np.argmax(tracks.present[20:])) + 20, 60)]


def two_faces(params, second_fraction: float) -> np.ndarray:
    image = skimage.data.astronaut()
    box = detect_faces(image[None], params.detector)[0].boxes[0]
    left, _ = moving_face_clip(image, box, length=20, size=256, face_fraction=0.4)
    right, _ = moving_face_clip(
        image[:, ::-1].copy(), box * [-1, 1, -1, 1] + [512, 0, 512, 0], 20, 256, second_fraction
    )
    return np.concatenate([left, right], axis=2)  # (20, 256, 512, 3)


def test_two_faces_of_similar_size_are_ambiguous(params):
    with pytest.raises(AmbiguousFaceError, match="^2 faces found .*, 2 of them of similar size"):
        track_faces(two_faces(params, 0.38), params.tracker, params.detector)


def test_a_group_photo_is_rejected_with_its_number_of_faces(params):
    group = np.repeat(group_photo()[None], 20, axis=0)  # six faces of 85-100 px, (20, 400, 600, 3)
    with pytest.raises(AmbiguousFaceError) as error:
        track_faces(group, params.tracker, params.detector)
    message = str(error.value)
    assert message.startswith("6 faces found (face tracks of at least 5 frames), 6 of them of similar size")
    assert "5 other(s)" in message and "crop the video to one speaker" in message


def test_tiny_faces_are_reported_with_their_size(params):
    frames, _ = moving_face_clip(astronaut(), ASTRONAUT_FACE, length=87, size=256, face_fraction=0.06)
    with pytest.raises(NoFaceError) as error:
        track_faces(frames, params.tracker, params.detector)
    message = str(error.value)
    assert message.startswith(
        "no face of at least 40 px (faces.detector.min_face_size) in any of the 87 frames; smaller faces were found: "
    )
    low, high = (int(v) for v in re.search(r"found: (\d+)-(\d+) px \(box side\)", message).groups())
    assert 12 <= low <= high < 40
    assert "in 6 of 6 frames searched" in message and "Lower faces.detector.min_face_size" in message


def test_a_face_seen_too_briefly_is_reported(params, astronaut_clip):
    frames = astronaut_clip[0][:30].copy()
    frames[3:] = 90  # the face is on the first 3 frames only: shorter than min_track_len
    with pytest.raises(NoFaceError, match="no face followed for 5 frames .* the longest 3 frame"):
        track_faces(frames, params.tracker, params.detector)


def test_a_much_smaller_second_face_is_not_the_speaker(params):
    tracks = track_faces(two_faces(params, 0.2), params.tracker, params.detector)
    assert tracks.other_faces == 1
    assert (tracks.boxes[:, 2] < 256).all()  # the main face is the left, larger one


def test_no_face_anywhere(params):
    with pytest.raises(NoFaceError, match="in any of the 30 frames, nor any smaller face down to 12 px"):
        track_faces(np.full((30, 128, 128, 3), 90, dtype=np.uint8), params.tracker, params.detector)


def test_present_runs():
    present = np.array([0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1], dtype=bool)
    assert present_runs(present, 1) == [(1, 4), (6, 12), (13, 14)]
    assert present_runs(present, 5) == [(6, 12)]
    assert present_runs(np.zeros(4, dtype=bool), 1) == []


def test_benchmark_reports_speed_and_agreement(params, astronaut_clip):
    frames, _ = astronaut_clip
    tracker = dataclasses.replace(params.tracker, batch=20)
    report = benchmark_tracking(frames[:30], dataclasses.replace(params, tracker=tracker))
    assert report["frames"] == 30 and report["frames_compared"] == 30
    assert report["mean_iou"] >= 0.9
    assert report["track_fps"] > 0 and report["detect_fps"] > 0


def test_a_face_the_detector_misses_is_followed_by_onet(params, astronaut_clip, monkeypatch):
    import lipsync.faces.tracklets as tracklets

    frames, truth = astronaut_clip
    detect = tracklets.detect_prepared

    def blind_on_second_keyframe(work, settings):
        found = detect(work, settings)
        return [
            found[0],
            dataclasses.replace(
                found[1],
                boxes=found[1].boxes[:0],
                scores=found[1].scores[:0],
                landmarks=found[1].landmarks[:0],
                proposals=found[1].proposals[:0],
            ),
            *found[2:],
        ]

    monkeypatch.setattr(tracklets, "detect_prepared", blind_on_second_keyframe)
    tracks = track_faces(frames, params.tracker, params.detector)
    assert tracks.present.all() and tracks.other_faces == 0
    assert iou(tracks.boxes, truth).min() >= 0.8


@pytest.mark.parametrize("size", [112, 256])
def test_a_still_face_does_not_move(params, size):
    """Identical frames: the box stays put (<= 1 px; in fact exactly), across keyframes and chunks."""
    settings = dataclasses.replace(params, tracker=dataclasses.replace(params.tracker, batch=30))  # 2 chunks
    stills = [video_frame(size, 7), tile(grace_hopper(), (265, 245), 200, size), tile(camera(), (230, 165), 70, size)]
    movement = [still_face_movement(frame, 35, settings) for frame in stills]
    assert max(movement) <= 1.0
    assert max(movement) < 1e-3  # exactly still, up to float rounding


@pytest.mark.parametrize(("size", "speed"), [(112, 1.0), (256, 2.0)])
def test_a_moving_face_is_followed_without_lag(params, size, speed):
    """A face sliding right then back: the tracked box trails per-frame MTCNN by <= 0.5 frame (and 1 px),
    and the smoothing adds <= 0.2 frame of its own."""
    frames, _ = sliding_face_clip(astronaut(), ASTRONAUT_FACE, 40, size, 0.4, speed)
    report = tracking_lag(frames, speed, params)
    lag = report["vs_detections"]
    assert abs(lag["lag_frames"]) <= 0.5 and abs(lag["lag_px"]) <= 1.0
    assert abs(lag["offset_px"]) <= 1.0  # and no constant offset either
    assert abs(report["vs_measured"]["lag_frames"]) <= 0.2


def test_sliding_clip_goes_right_then_back():
    _, boxes = sliding_face_clip(astronaut(), ASTRONAUT_FACE, 10, 128, 0.4, 3.0)
    np.testing.assert_allclose(np.diff(boxes[:5, 0]), 3.0, atol=1e-4)
    np.testing.assert_allclose(boxes[5:], boxes[4::-1])


def test_smoothing_holds_still_input_and_does_not_lag_a_ramp():
    present = np.ones(12, dtype=bool)
    present[8] = False  # two runs: 0-7 and 9-11
    ramp = np.float32([[2 * t, 10, 2 * t + 50, 60] for t in range(12)])
    smoothed = track_module._smooth(ramp, present, 5)
    np.testing.assert_allclose(smoothed[present], ramp[present], atol=1e-4)  # linear motion: no lag, ends too
    still = np.repeat(np.float32([[5, 6, 55, 66]]), 12, axis=0)
    assert (track_module._smooth(still, present, 5) == still).all()
