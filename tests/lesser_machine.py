"""A child process that plays a lesser x86-64 machine (x86-64-v2: no AVX, AVX2, FMA or AVX-512
in numpy, OpenCV, glibc's libm, OpenBLAS or FFmpeg), for the tests that require the same bytes
on every CPU (the corpus, the per-video stages)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSER_FFMPEG_FLAGS = 0x13DB  # MMX MMXEXT SSE SSE2 SSE3 SSSE3 SSE4.1 SSE4.2 CMOV: no AVX, no FMA3

# Every Python process started with the lesser environment (pool workers too) forces FFmpeg's
# flags at start-up, as FFmpeg would detect them on that machine.
SITECUSTOMIZE = f"""
import ctypes, pathlib
import av
for line in pathlib.Path("/proc/self/maps").read_text().splitlines():
    if "libavutil" in line and line.split()[-1].startswith("/"):
        ctypes.CDLL(line.split()[-1]).av_force_cpu_flags({LESSER_FFMPEG_FLAGS})
"""

# What the child sees: numpy's AVX2 level, OpenCV's dispatch line, PyAV's FFmpeg flags.
REPORT = """
import ctypes, json, pathlib
import cv2, numpy
from numpy._core._multiarray_umath import __cpu_features__
maps = pathlib.Path("/proc/self/maps").read_text().splitlines()
libs = {line.split()[-1] for line in maps if "libavutil" in line and "opencv" not in line}  # PyAV's
print(json.dumps({
    "numpy_avx2": __cpu_features__["X86_V3"],
    "opencv": cv2.getCPUFeaturesLine(),
    "ffmpeg": sorted(ctypes.CDLL(p).av_get_cpu_flags() for p in libs if p.startswith("/")),
}))
"""


def lesser_machine(tmp_path: Path) -> dict[str, str]:
    """The environment of a child process that plays the lesser machine."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    from numpy._core._multiarray_umath import __cpu_dispatch__

    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
        "NPY_DISABLE_CPU_FEATURES": " ".join(f for f in __cpu_dispatch__ if f != "X86_V2"),
        "OPENCV_CPU_DISABLE": "AVX,FP16,AVX2,FMA3,AVX512-SKX",
        "OPENCV_IPP": "sse42",
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX,-AVX2,-FMA,-FMA4,-AVX512F",
        "OPENBLAS_CORETYPE": "Nehalem",
    }


def run_python(env: dict[str, str], *args: str) -> str:
    """``python *args`` in the repository root with ``env``; its stdout (it must exit 0)."""
    done = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    files = (p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
