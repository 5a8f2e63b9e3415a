"""Render the corpus on the same code paths on every x86-64 machine: the libraries' SIMD pinned.

numpy, OpenCV, OpenBLAS, glibc's libm and FFmpeg each pick kernels for the CPU they run on
when they load, and several of those kernels round differently from the others. Measured
here (AMD CPU with AVX-512, numpy 2.4, OpenCV 5.0, PyAV 18 / FFmpeg 8, glibc 2.36), forcing
one library at a time to a lower level on the same inputs, each of these changes bytes:

- numpy: ``x ** y`` (float32 and float64), ``exp``/``log`` (float64) use AVX-512 kernels
  (level ``X86_V4``); ``exp``/``sin`` (float32) use AVX2 kernels (``X86_V3``). The corpus's
  lighting (``lit ** gamma``) differs, so every frame differs.
- OpenCV: ``warpAffine`` INTER_LINEAR (float32 and uint8) and ``GaussianBlur`` (float32)
  change at the AVX2/FMA3 level (``resize`` INTER_AREA, ``inpaint`` and ``cvtColor`` did not).
- glibc's libm: ``sin``, ``cos``, ``atan2`` (numpy float64 and Python's ``math``) have FMA
  variants chosen per CPU.
- OpenBLAS (numpy's ``@``): the kernel is chosen per CPU (``Haswell`` here, ``SkylakeX`` on
  an Intel AVX-512 CPU); the generic kernel gives other bytes for the same 2x2 products.
- FFmpeg: the AAC encoder's float DSP changes its output at the AVX and the FMA3 levels
  (a sine tone encoded three ways), and swscale's RGB -> YUV differs between C and SSE2.

A corpus rendered on two machines whose CPUs differ at any of these levels therefore
differs (the cross-machine ``dvc.lock`` mismatch of issue 12). x264 is pinned separately in
:mod:`lipsync.media.writer`.

The fix runs every clip in a spawned worker process whose libraries are held to the
x86-64 baseline, which every machine this project runs on has: ``NPY_DISABLE_CPU_FEATURES``
lists all of numpy's dispatch targets, ``GLIBC_TUNABLES`` masks AVX, AVX2, FMA and
AVX-512 from glibc's function selection, ``OPENBLAS_CORETYPE`` names a fixed generic
kernel and ``OPENBLAS_NUM_THREADS=1`` fixes the summation split; these must be in the
environment before the process starts, which is why rendering always happens in a spawned
process. In the worker, :func:`pin_worker` turns OpenCV's optimised paths off
(``cv2.setUseOptimized(False)``: its SIMD dispatch and IPP) with one thread, and forces
FFmpeg's CPU flags to SSE2 (``av_force_cpu_flags``). Pinning libraries' own switches was
preferred to rewriting the rendering without transcendental functions or float
interpolation: the switches cover any numpy/OpenCV call a renderer uses, today's or a
future one's. Other architectures (aarch64) and systems keep the libraries' choices: a corpus
rendered there is reproducible on that architecture only.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import platform
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

# The pins are x86-64 switches; FFmpeg's libavutil is found through Linux's /proc/self/maps.
IS_X86_64 = sys.platform == "linux" and platform.machine().lower() in ("x86_64", "amd64")

# glibc selects FMA/AVX2 variants of libm functions (sin, cos, exp, log, pow, atan2) per CPU.
GLIBC_MASK = "glibc.cpu.hwcaps=-AVX,-AVX2,-FMA,-FMA4,-AVX512F"
OPENBLAS_CORE = "Prescott"  # SSE3 kernels: on every x86-64 CPU, chosen whatever the CPU is
# FFmpeg's AV_CPU_FLAG_{MMX, MMXEXT, SSE, SSE2, CMOV}: the x86-64 baseline.
FFMPEG_BASELINE_FLAGS = 0x1 | 0x2 | 0x8 | 0x10 | 0x1000
T = TypeVar("T")


def baseline_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The variables a fresh process needs so numpy, glibc and OpenBLAS use baseline kernels.

    Empty off x86-64. ``GLIBC_TUNABLES`` keeps any tunables already set in ``environ``.
    """
    if not IS_X86_64:
        return {}
    environ = os.environ if environ is None else environ
    tunables = ":".join(t for t in (environ.get("GLIBC_TUNABLES"), GLIBC_MASK) if t)
    return {
        "NPY_DISABLE_CPU_FEATURES": " ".join(_numpy_dispatch_targets()),
        "GLIBC_TUNABLES": tunables,
        "OPENBLAS_CORETYPE": OPENBLAS_CORE,
        "OPENBLAS_NUM_THREADS": "1",
    }


@contextlib.contextmanager
def baseline_children() -> Iterator[None]:
    """Processes started inside the block (spawned pool workers) inherit the baseline environment
    and one OpenMP thread (torch's default thread count).

    Pool workers must all be started inside it (``ProcessPoolExecutor`` starts them as work
    is submitted); the parent's own libraries are unaffected, they loaded already.
    """
    pins = {**baseline_environment(), "OMP_NUM_THREADS": "1"}  # one torch thread, on every architecture
    saved = {name: os.environ.get(name) for name in pins}
    os.environ.update(pins)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def pinned_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` spawned processes pinned as the corpus workers are, each with one
    OpenMP (torch) thread: a convolution's sums are split by the thread count, so MTCNN's
    boxes move with it. Submit all the work inside the block (workers start as it is
    submitted, and only inside :func:`baseline_children` do they start pinned)."""
    context = multiprocessing.get_context("spawn")
    with baseline_children(), ProcessPoolExecutor(workers, mp_context=context, initializer=pin_worker) as pool:
        yield pool


def run_pinned(function: Callable[..., T], *args) -> T:
    """``function(*args)`` in one pinned spawned process (:func:`pinned_pool`; picklable
    arguments and result); its exceptions are raised here."""
    with pinned_pool(1) as pool:
        return pool.submit(function, *args).result()


def pin_worker() -> None:
    """In a worker started by :func:`baseline_children`: pin OpenCV and FFmpeg, check numpy.

    Raises RuntimeError when numpy still runs above its baseline (the process was not
    started with the baseline environment), so an unpinned render can never write files.
    """
    import cv2

    cv2.setNumThreads(1)  # the pool already uses the cores; also one fixed split of the work
    if not IS_X86_64:
        return
    cv2.setUseOptimized(False)
    _force_ffmpeg_flags(FFMPEG_BASELINE_FLAGS)
    active = [name for name in _numpy_dispatch_targets() if _numpy_features().get(name)]
    if active:
        raise RuntimeError(
            f"pinned worker: numpy still uses {active}; start it inside baseline_children() "
            "so NPY_DISABLE_CPU_FEATURES is set before numpy loads"
        )


def _numpy_dispatch_targets() -> list[str]:
    from numpy._core._multiarray_umath import __cpu_dispatch__

    return list(__cpu_dispatch__)


def _numpy_features() -> dict[str, bool]:
    from numpy._core._multiarray_umath import __cpu_features__

    return dict(__cpu_features__)


def _force_ffmpeg_flags(flags: int) -> None:
    """``av_force_cpu_flags`` in every libavutil loaded (PyAV's; OpenCV's wheel ships another)."""
    import av  # noqa: F401  (loads libavutil)

    paths = sorted(
        {
            line.split()[-1]
            for line in Path("/proc/self/maps").read_text().splitlines()
            if "libavutil" in line and line.split()[-1].startswith("/")
        }
    )
    if not paths:
        raise RuntimeError("pinned worker: no libavutil found in /proc/self/maps after importing PyAV")
    for path in paths:
        libavutil = ctypes.CDLL(path)
        libavutil.av_force_cpu_flags(flags)
        if libavutil.av_get_cpu_flags() != flags:
            raise RuntimeError(f"pinned worker: FFmpeg ({path}) did not take the forced CPU flags")
