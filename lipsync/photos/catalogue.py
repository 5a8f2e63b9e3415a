"""Identities from faces, their split by person, and the ``data/photos`` folder.

Layout of ``data/photos``::

    crops/<face>.png        one photo per kept face: rotated so the eyes are level, centred on
                            the face, crop_scale face widths wide (builtin: the photo as is)
    annotations.json        per face: identity, split, box, five points, mouth corners, lip
                            point, dlib's 68 landmarks (crop pixels, pixel i spanning [i, i+1)),
                            mouth_open (inner-lip gap 62-66 over mouth width 48-54: smiles show teeth),
                            the crop's sha256; per identity: split, the face the corpus renders
                            and (packages) its mouth check
    provenance.csv          every face found: package, version, registry, archive sha256,
                            licence, note, member path, face index, width, status, identity

Faces of one person are merged greedily in discovery order: a face joins the identity of the
closest earlier face when their dlib descriptor distance is under ``same_person_distance``,
else starts a new identity ``<package id><nn>`` (a few lines, written here: with tens of
faces a clustering library would add a dependency, not accuracy, and this order is stable).
Each identity's rendered mouth is checked first (``corpus.photos.mouth_check``): the corpus's
own renderer draws a mouth sweep on its face and dlib must find the face and follow the opening.
Identities are ordered readable first, then by a hash of (seed, name); the first
``test_identities`` are test, the next ``val_identities`` val, the rest train, so the split does
not depend on the order packages are listed in, and a held-out face is one whose sync can be
seen (unchecked, the held-out faces were the corpus's worst-rendered mouths, and every held-out
figure measured the render rather than the models). Faces that fail stay in training.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lipsync.atomic import atomic_path, write_json
from lipsync.corpus.baseline_cpu import run_pinned
from lipsync.corpus.mouth_check import face_landmarker, sweep_mouth
from lipsync.corpus.photos import read_source
from lipsync.corpus.settings import (
    BuiltinPhotoSettings,
    CorpusSettings,
    PhotoPackageSettings,
    PhotoSettings,
    PhotosSettings,
)
from lipsync.evaluation.settings import FaceSettings
from lipsync.faces.settings import DetectorSettings
from lipsync.photos.archives import Fetch, fetch_archive, read_images, verify_archive
from lipsync.photos.faces import KEPT, FoundFace, describe_face, find_faces

CROPS, ANNOTATIONS, PROVENANCE = "crops", "annotations.json", "provenance.csv"
PROVENANCE_COLUMNS = (
    "package", "version", "registry", "sha256", "licence", "note", "member", "face_index", "width", "status",
    "identity", "face",
)  # fmt: skip


@dataclass(frozen=True)
class Sighting:
    """One face found in one image of one package (``package`` None: a built-in photo)."""

    package: PhotoPackageSettings | None
    member: str
    image_index: int
    face_index: int
    face: FoundFace

    @property
    def prefix(self) -> str:
        return self.package.id if self.package else self.member


def build_photos(
    corpus: CorpusSettings, detector: DetectorSettings, landmarks: FaceSettings, archives: Path, out_dir: Path,
    fetch: Fetch = fetch_archive,
) -> dict:  # fmt: skip
    """Write ``out_dir`` (see the module docstring) from ``corpus.photos``; returns the summary.

    ``corpus`` renders the mouth check (its renderer, framing and light, the seed) and ``landmarks``
    are the evaluation's dlib settings the check reads it with.

    The archives are fetched and verified here; finding faces and writing the crops runs in one
    spawned process with the libraries' SIMD pinned and one torch thread (as the corpus's
    rendering, :mod:`lipsync.corpus.baseline_cpu`), since MTCNN's boxes and OpenCV's warps
    round differently on other CPUs and the corpus is drawn from these annotations.
    """
    settings, archive_paths = corpus.photos, {}
    if settings.source == "packages":
        for package in settings.packages:
            if package.enabled:
                path = fetch(package, archives, settings.fetch_timeout)
                verify_archive(package, path)
                archive_paths[package.id] = path
    return run_pinned(_build, corpus, detector, landmarks, archive_paths, Path(out_dir))


def _build(
    corpus: CorpusSettings, detector: DetectorSettings, landmarks: FaceSettings, archive_paths: dict[str, Path],
    out_dir: Path,
) -> dict:  # fmt: skip
    import torch

    settings = corpus.photos
    torch.set_num_threads(1)  # the split of a convolution's sums depends on the thread count
    if settings.source == "builtin":
        sightings, images, identities = _builtin(settings)
    else:
        sightings, images = _from_packages(settings, detector, archive_paths)
        identities = merge_identities(sightings, settings.same_person_distance)
    kept = [s for s in sightings if s.face.status == KEPT]
    faces = {}
    for s in kept:
        key = face_key(s)
        where = (s.prefix, s.image_index)
        others = [o.face.box for o in sightings if (o.prefix, o.image_index) == where and o is not s]
        image = hide_faces(images[where], others, settings.hide_scale, settings.hide_blur)
        crop, face = _aligned(image, s, settings)
        faces[key] = {**face, "identity": identities[key], "crop": f"{CROPS}/{key}.png"}
        faces[key]["crop_sha256"] = _write_png(out_dir / CROPS / f"{key}.png", crop)
    _remove_stale(out_dir / CROPS, {f"{k}.png" for k in faces})
    chosen = {}
    for key in sorted(faces, key=lambda k: (-faces[k]["width"], k)):  # the widest face of each identity
        chosen.setdefault(faces[key]["identity"], key)
    if settings.source == "packages":
        mouths = check_mouths(corpus, {n: _record(out_dir, faces[k], "train") for n, k in chosen.items()}, landmarks)
        readable = {n for n, m in mouths.items() if m["readable"]}
        splits = split_identities(sorted(chosen), settings, corpus.seed, readable)
    else:
        mouths, splits = {}, {name: settings.builtin[name].split for name in settings.builtin}
    for face in faces.values():
        face["split"] = splits[face["identity"]]
    annotations = {
        "source": settings.source,
        "identities": {
            n: {"split": splits[n], "face": chosen[n], **({"mouth": mouths[n]} if n in mouths else {})}
            for n in sorted(chosen)
        },
        "faces": faces,
    }
    write_json(out_dir / ANNOTATIONS, annotations)
    _write_provenance(out_dir / PROVENANCE, sightings, identities)
    return summarize(sightings, annotations)


def face_key(s: Sighting) -> str:
    """File-name-safe name of one sighting: ``<package id>-<image index>-<face index>`` (builtin: the photo name)."""
    return f"{s.prefix}-{s.image_index:02d}-{s.face_index:02d}" if s.package else s.member


def _from_packages(
    settings: PhotosSettings, detector: DetectorSettings, archive_paths: dict[str, Path]
) -> tuple[list[Sighting], dict]:
    sightings, images = [], {}
    for package in settings.packages:
        if package.id not in archive_paths:
            continue
        images_of = read_images(package, archive_paths[package.id])
        for i, (member, image) in enumerate(zip(package.members, images_of, strict=True)):
            images[(package.id, i)] = image
            for j, face in enumerate(find_faces(image, detector, settings.filters)):
                sightings.append(Sighting(package, member, i, j, face))
    return sightings, images


def _builtin(settings: PhotosSettings) -> tuple[list[Sighting], dict, dict[str, str]]:
    """The built-in photos with their params annotations (and dlib's landmarks), unfiltered."""
    sightings, images = [], {}
    for name, photo in settings.builtin.items():
        image = read_source(photo.source)
        images[(name, 0)] = image
        face = describe_face(image, np.float32(photo.face_box), 1.0, np.float32(photo.landmarks), settings.filters)
        sightings.append(Sighting(None, name, 0, 0, _as_kept(face)))
    return sightings, images, {name: name for name in settings.builtin}


def _as_kept(face: FoundFace) -> FoundFace:
    return FoundFace(face.box, face.score, face.five, face.points68, face.descriptor, KEPT)


def merge_identities(sightings: list[Sighting], same_person: float) -> dict[str, str]:
    """face key -> identity name, for the kept sightings (see the module docstring)."""
    identities: dict[str, str] = {}
    seen: list[tuple[np.ndarray, str]] = []
    counts: dict[str, int] = {}
    for s in sightings:
        if s.face.status != KEPT:
            continue
        distances = [float(np.linalg.norm(s.face.descriptor - d)) for d, _ in seen]
        if distances and min(distances) < same_person:
            name = seen[int(np.argmin(distances))][1]
        else:
            counts[s.prefix] = counts.get(s.prefix, 0) + 1
            name = f"{s.prefix}{counts[s.prefix]:02d}"
        identities[face_key(s)] = name
        seen.append((s.face.descriptor, name))
    return identities


def check_mouths(corpus: CorpusSettings, photos: dict[str, PhotoSettings], landmarks: FaceSettings) -> dict[str, dict]:
    """identity -> its mouth check (``corpus.photos.mouth_check``): frames, found_share,
    open_correlation (None: too few frames found) and readable."""
    check = corpus.photos.mouth_check
    if check.frames == 0:
        return {name: {"readable": True} for name in photos}
    landmarker, out = face_landmarker(landmarks), {}
    for name, photo in photos.items():
        reading = sweep_mouth(corpus, name, photo, check.frames, check.looks, landmarker)
        r = reading.correlation
        out[name] = {
            "frames": reading.frames,
            "found_share": round(reading.found_share, 4),
            "open_correlation": None if r is None else round(r, 4),
            "readable": reading.found_share >= check.min_found_share and r is not None and r >= check.min_correlation,
        }
    return out


def split_identities(
    names: list[str], settings: PhotosSettings, seed: int, readable: set[str] | None = None
) -> dict[str, str]:
    """identity -> "test" | "val" | "train" (see the module docstring); the held-out identities
    come from ``readable`` first (None: all are)."""
    held = settings.test_identities + settings.val_identities
    if len(names) <= held:
        raise ValueError(
            f"photos: {len(names)} identities found, but corpus.photos holds out {settings.test_identities} test + "
            f"{settings.val_identities} val and needs at least one for training"
        )
    readable = set(names) if readable is None else readable
    order = sorted(names, key=lambda n: (n not in readable, hashlib.sha256(f"{seed}:{n}".encode()).hexdigest()))
    split = {n: "test" for n in order[: settings.test_identities]}
    split |= {n: "val" for n in order[settings.test_identities : held]}
    return split | {n: "train" for n in order[held:]}


def hide_faces(image: np.ndarray, boxes: list[np.ndarray], scale: float, blur: float) -> np.ndarray:
    """uint8 (H, W, 3) ``image`` with the faces in ``boxes`` blurred away: an ellipse ``scale`` x each
    box, feathered, replaced by a Gaussian blur of sigma ``blur`` x the box width (a neighbour in a
    group photo must not be a second face in the corpus's frames)."""
    out = image.copy()
    height, width_px = image.shape[:2]
    for box in boxes:
        width = float(box[2] - box[0])
        reach = int(math.ceil(scale * max(width, float(box[3] - box[1])) / 2 + 3 * blur * width))
        cx, cy = float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2
        x0, y0 = max(0, int(cx) - reach), max(0, int(cy) - reach)
        x1, y1 = min(width_px, int(cx) + reach + 1), min(height, int(cy) + reach + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        window = out[y0:y1, x0:x1].astype(np.float32)  # the blur's reach: the rest of the photo is untouched
        blurred = cv2.GaussianBlur(window, (0, 0), blur * width, borderType=cv2.BORDER_REPLICATE)
        mask = np.zeros(window.shape[:2], np.float32)
        axes = (int(round(scale * width / 2)), int(round(scale * float(box[3] - box[1]) / 2)))
        cv2.ellipse(mask, (int(round(cx)) - x0, int(round(cy)) - y0), axes, 0, 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.1 * width))[:, :, None]
        out[y0:y1, x0:x1] = np.clip(window * (1 - mask) + blurred * mask + 0.5, 0, 255).astype(np.uint8)
    return out


def _aligned(image: np.ndarray, s: Sighting, settings: PhotosSettings) -> tuple[np.ndarray, dict]:
    """The face's crop (uint8 RGB) and its annotation in crop pixels."""
    face = s.face
    if s.package is None:  # a built-in photo stays whole: its annotations are in its own pixels
        photo: BuiltinPhotoSettings = settings.builtin[s.member]
        return image, _annotation(face, np.float32(photo.face_box), np.float32(photo.landmarks), photo.lip_point)
    side = settings.crop_scale * face.width
    scale = min(1.0, settings.max_crop / side)
    if scale < 1.0:  # area-downscale first: a rotation with linear interpolation would alias
        small = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        image = cv2.resize(image, small, interpolation=cv2.INTER_AREA)
    size = 2 * int(round(side * scale / 2))
    left, right = face.five[0] * scale, face.five[1] * scale
    angle = math.degrees(math.atan2(float(right[1] - left[1]), float(right[0] - left[0])))
    centre = (face.box[:2] + face.box[2:]) / 2 * scale
    matrix = cv2.getRotationMatrix2D((float(centre[0]) - 0.5, float(centre[1]) - 0.5), angle, 1.0)
    matrix[:, 2] += size / 2 - centre
    crop = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def move(points: np.ndarray) -> np.ndarray:  # continuous coordinates: pixel centres at i + 0.5
        p = np.asarray(points, np.float64).reshape(-1, 2) * scale - 0.5
        return p @ matrix[:, :2].T + matrix[:, 2] + 0.5

    half = (face.box[2:] - face.box[:2]) * scale / 2
    new_centre = move(centre / scale)[0]
    box = np.concatenate([new_centre - half, new_centre + half])
    five = move(face.five)
    five[3:5] = move(face.points68[[48, 54]])  # dlib's mouth corners: consistent with its 68 points
    moved = FoundFace(box, face.score, move(face.five), move(face.points68), face.descriptor, face.status)
    return crop, _annotation(moved, box, five, None)


def _annotation(face: FoundFace, box: np.ndarray, five: np.ndarray, lip_point) -> dict:
    points = np.asarray(face.points68, np.float64)
    lip = lip_point if lip_point is not None else (points[57] + points[66]) / 2  # lower lip: outer/inner middle

    def r(values) -> list:
        return np.round(np.asarray(values, np.float64), 2).tolist()

    return {
        "width": round(float(box[2] - box[0]), 2),
        "score": round(float(face.score), 4),
        "box": r(box),
        "five": r(five),
        "mtcnn_five": r(face.five),
        "mouth_corners": r(five[3:5]),
        "lip_point": r(lip),
        "mouth_open": _mouth_open(points),
        "points68": r(points),
    }


def _mouth_open(points: np.ndarray) -> float:
    """Inner-lip gap (points 62-66) over mouth width (48-54), from dlib's 68 points."""
    return round(float(np.linalg.norm(points[66] - points[62]) / np.linalg.norm(points[54] - points[48])), 3)


def _write_png(path: Path, rgb: np.ndarray) -> str:
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"photos: could not encode {path}")
    data = encoded.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _remove_stale(folder: Path, expected: set[str]) -> None:
    for path in sorted(folder.glob("*.png")):
        if path.name not in expected:
            path.unlink()


def _write_provenance(path: Path, sightings: list[Sighting], identities: dict[str, str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PROVENANCE_COLUMNS)
    for s in sightings:
        p = s.package
        origin = (p.package, p.version, p.registry, p.sha256, p.licence, p.note) if p else _installed(s.member)
        key = face_key(s)
        writer.writerow(
            (*origin, s.member, s.face_index, f"{s.face.width:.1f}", s.face.status,
             identities.get(key, "") if s.face.status == KEPT else "", key if s.face.status == KEPT else "")
        )  # fmt: skip
    with atomic_path(path) as tmp:
        tmp.write_text(buffer.getvalue())


def _installed(name: str) -> tuple[str, ...]:
    dist = {"astronaut": "scikit-image", "camera": "scikit-image", "grace_hopper": "matplotlib"}.get(name, "")
    try:
        meta = importlib.metadata.metadata(dist) if dist else None
    except importlib.metadata.PackageNotFoundError:
        meta = None
    version = meta["Version"] if meta else ""
    licence = (meta.get("License-Expression") or "") if meta else ""
    return (dist, version, "pip (installed)", "", licence, "sample image of the installed package")


def summarize(sightings: list[Sighting], annotations: dict) -> dict:
    """Counts per package and image, kept faces, identities and split sizes (numbers only)."""
    per_image: dict[str, dict[str, int]] = {}
    for s in sightings:
        entry = per_image.setdefault(f"{s.prefix}:{s.member}", {"found": 0, "kept": 0})
        entry["found"] += 1
        entry["kept"] += s.face.status == KEPT
    splits = [v["split"] for v in annotations["identities"].values()]
    checked = [v for v in annotations["identities"].values() if "mouth" in v]
    return {
        "source": annotations["source"],
        "faces_found": len(sightings),
        "faces_kept": sum(s.face.status == KEPT for s in sightings),
        "identities": len(annotations["identities"]),
        "train_identities": splits.count("train"),
        "val_identities": splits.count("val"),
        "test_identities": splits.count("test"),
        "mouth_checked": len(checked),
        "mouth_readable": sum(v["mouth"]["readable"] for v in checked),
        "held_out_unreadable": sum(not v["mouth"]["readable"] and v["split"] != "train" for v in checked),
        "per_image": per_image,
    }


def load_photo_set(folder: Path) -> dict[str, PhotoSettings]:
    """identity -> the face the corpus renders for it (``source`` "file:<crop path>"), in name order."""
    path = Path(folder) / ANNOTATIONS
    try:
        annotations = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"corpus: {path} is missing: run `lipsync run photos` first") from None
    return {
        name: _record(folder, annotations["faces"][identity["face"]], identity["split"])
        for name, identity in sorted(annotations["identities"].items())
    }


def _record(folder: Path, face: dict, split: str) -> PhotoSettings:
    """The corpus's record of one annotated face (its crop read from ``folder``)."""
    return PhotoSettings(
        source=f"file:{(Path(folder) / face['crop']).resolve()}",
        face_box=tuple(face["box"]),
        landmarks=tuple(tuple(p) for p in face["five"]),
        lip_point=tuple(face["lip_point"]),
        points68=tuple(tuple(p) for p in face["points68"]),
        split=split,
    )


def photo_set_hash(folder: Path) -> str:
    """sha256 of ``annotations.json`` (which holds every crop's sha256): the corpus's input identity."""
    return hashlib.sha256((Path(folder) / ANNOTATIONS).read_bytes()).hexdigest()
