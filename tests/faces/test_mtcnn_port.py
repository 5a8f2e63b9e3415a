"""The PyTorch port of MTCNN: weights, conventions, and detections on real photographs."""

import dataclasses

import cv2
import matplotlib.cbook
import numpy as np
import pytest
import skimage.data
import torch

from lipsync.faces.detect import detect_faces, refine_faces
from lipsync.faces.mtcnn import Mtcnn, MtcnnWeightsError, default_weights_dir, load_mtcnn
from lipsync.faces.settings import DetectorSettings, FacesSettings
from tests.builders import real_section


def faces_params() -> FacesSettings:
    """The real ``faces`` section of params.yaml."""
    return real_section(FacesSettings, "faces")


@pytest.fixture(scope="module")
def detector() -> DetectorSettings:
    return faces_params().detector


def grace_hopper() -> np.ndarray:
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def test_weights_load_into_fixed_names():
    mtcnn = load_mtcnn()
    assert sum(p.numel() for p in mtcnn.pnet.parameters()) == 6632
    assert mtcnn.rnet.fc4.weight.shape == (128, 576)
    assert mtcnn.onet.fc5.weight.shape == (256, 1152)
    assert mtcnn.onet.prelu1.weight.shape == (32,)
    regression, landmarks, prob = mtcnn.onet(torch.zeros(2, 3, 48, 48))
    assert regression.shape == (2, 4) and landmarks.shape == (2, 10) and prob.shape == (2,)


def test_missing_weights_error_names_the_file(tmp_path):
    with pytest.raises(MtcnnWeightsError, match=str(tmp_path / "pnet.lz4")):
        Mtcnn(tmp_path)
    assert (default_weights_dir() / "onet.lz4").is_file()


def test_astronaut_one_face_with_landmarks_on_eyes_and_mouth(detector):
    found = detect_faces(skimage.data.astronaut()[None], detector)[0]
    assert len(found.scores) == 1 and found.scores[0] > 0.99
    x0, y0, x1, y1 = found.boxes[0]
    assert 165 < x0 < 195 and 50 < y0 < 75 and 250 < x1 < 280 and 160 < y1 < 185
    left_eye, right_eye, nose, mouth_left, mouth_right = found.landmarks[0]
    assert 195 < left_eye[0] < 212 and 95 < left_eye[1] < 106  # the eye on the image's left
    assert 238 < right_eye[0] < 252 and 95 < right_eye[1] < 108
    assert left_eye[1] < nose[1] < mouth_left[1]
    assert 132 < mouth_left[1] < 146 and 132 < mouth_right[1] < 146
    assert mouth_left[0] < nose[0] < mouth_right[0]


@pytest.mark.parametrize(
    ("image", "centre"),
    [
        (lambda: np.repeat(skimage.data.camera()[..., None], 3, axis=2), (227, 156)),
        (grace_hopper, (264, 225)),
    ],
    ids=["camera", "grace_hopper"],
)
def test_one_face_in_other_photographs(detector, image, centre):
    found = detect_faces(image()[None], detector)[0]
    assert len(found.scores) == 1
    box_centre = (found.boxes[0, :2] + found.boxes[0, 2:]) / 2
    assert np.abs(box_centre - centre).max() < 15


def test_no_face_in_flat_grey_or_noise(detector):
    grey = np.full((200, 300, 3), 128, dtype=np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    found = detect_faces(np.stack([grey, noise]), detector)
    assert [len(f.scores) for f in found] == [0, 0]
    assert found[0].boxes.shape == (0, 4) and found[0].landmarks.shape == (0, 5, 2)


def test_batched_detection_matches_single_frames(detector):
    astronaut = skimage.data.astronaut()
    flipped = np.ascontiguousarray(astronaut[:, ::-1])
    batch = detect_faces(np.stack([astronaut, flipped, astronaut]), detector)
    single = detect_faces(flipped[None], detector)[0]
    np.testing.assert_allclose(batch[1].boxes, single.boxes, atol=1e-3)
    np.testing.assert_allclose(batch[0].boxes, batch[2].boxes, atol=1e-3)
    # mirrored image, mirrored box (MTCNN is not exactly mirror-symmetric: a few pixels)
    np.testing.assert_allclose(512 - batch[1].boxes[0, [2, 0]], batch[0].boxes[0, [0, 2]], atol=8)


def test_refine_is_stable_and_scores_faces(detector):
    astronaut = skimage.data.astronaut()
    found = detect_faces(astronaut[None], detector)[0]
    # O-Net given the box it measured the detection from gives the detection again, exactly
    boxes, scores, landmarks = refine_faces(np.stack([astronaut] * 2), np.repeat(found.proposals, 2, axis=0), detector)
    assert boxes.dtype == np.float32 and landmarks.shape == (2, 5, 2)
    np.testing.assert_allclose(boxes, np.repeat(found.boxes, 2, axis=0), atol=1e-3)
    np.testing.assert_allclose(landmarks[0], found.landmarks[0], atol=1e-3)
    np.testing.assert_allclose(scores, found.scores[0], atol=1e-5)
    # given its own output instead it moves the box a little: O-Net is not at a fixed point
    boxes, scores, _ = refine_faces(astronaut[None], found.boxes, detector)
    assert scores[0] > 0.99 and 0.5 < np.abs(boxes - found.boxes).max() < 6
    # a box on the background is not a face
    _, scores, _ = refine_faces(astronaut[None], np.float32([[380, 20, 480, 120]]), detector)
    assert scores[0] < 0.5


def test_large_frames_are_downscaled_but_boxes_stay_in_frame_pixels(detector):
    astronaut = skimage.data.astronaut()
    big = cv2.resize(astronaut, (1536, 1536), interpolation=cv2.INTER_CUBIC)
    small_box = detect_faces(astronaut[None], detector)[0].boxes[0]
    big_box = detect_faces(big[None], detector)[0].boxes[0]
    np.testing.assert_allclose(big_box / 3, small_box, atol=6)


def test_bfloat16_refinement_agrees_with_float32(detector):
    astronaut = skimage.data.astronaut()
    box = detect_faces(astronaut[None], detector)[0].boxes
    exact = refine_faces(astronaut[None], box, dataclasses.replace(detector, precision="float32"))
    fast = refine_faces(astronaut[None], box, dataclasses.replace(detector, precision="bfloat16"))
    np.testing.assert_allclose(fast[0], exact[0], atol=1.5)  # boxes, px
    np.testing.assert_allclose(fast[2], exact[2], atol=1.5)  # landmarks, px
    assert fast[1][0] > 0.99
