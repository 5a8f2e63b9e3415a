"""The corpus's bytes do not depend on the CPU (lipsync.corpus.baseline_cpu).

The corpus is generated twice: here, with every library free to use this machine's SIMD, and
in a child process that plays a lesser x86-64 machine (x86-64-v2: no AVX, AVX2, FMA or
AVX-512 in numpy, OpenCV, glibc's libm, OpenBLAS or FFmpeg). Every file must be
byte-identical. Without the pins of ``baseline_cpu`` the two differ (numpy's ``**``, OpenCV's
``warpAffine``, FFmpeg's AAC and swscale take other kernels), on any machine with AVX2 or more.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from lipsync.corpus.baseline_cpu import IS_X86_64
from lipsync.corpus.generate import generate_corpus

ROOT = Path(__file__).resolve().parents[2]
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

GENERATE = """
import pickle, sys
from pathlib import Path
from lipsync.corpus.generate import generate_corpus
generate_corpus(pickle.loads(Path(sys.argv[1]).read_bytes()), Path(sys.argv[2]))
"""

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


def _lesser_machine(tmp_path: Path) -> dict[str, str]:
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


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _hashes(root: Path) -> dict[str, str]:
    files = (p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.mark.skipif(not IS_X86_64, reason="the pins and the lesser machine are x86-64 ones")
def test_corpus_bytes_do_not_depend_on_the_cpu(tiny_settings, tmp_path):
    env = _lesser_machine(tmp_path)
    seen = json.loads(_run(env, "-c", REPORT))  # the lesser machine is what the child sees
    assert not seen["numpy_avx2"] and "*AVX2?" in seen["opencv"]
    assert seen["ffmpeg"] and set(seen["ffmpeg"]) == {LESSER_FFMPEG_FLAGS}

    here, there = tmp_path / "here", tmp_path / "there"
    generate_corpus(tiny_settings, here)
    (tmp_path / "settings.pkl").write_bytes(pickle.dumps(tiny_settings))
    _run(env, "-c", GENERATE, str(tmp_path / "settings.pkl"), str(there))

    ours, theirs = _hashes(here), _hashes(there)
    assert len(ours) == 5 and set(ours) == set(theirs)
    assert {name for name in ours if ours[name] != theirs[name]} == set()
