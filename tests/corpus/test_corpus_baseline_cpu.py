"""The corpus's bytes do not depend on the CPU (lipsync.corpus.baseline_cpu).

The corpus is generated twice: here, with every library free to use this machine's SIMD, and
in a child process that plays a lesser x86-64 machine (:mod:`tests.lesser_machine`). Every file must be
byte-identical. Without the pins of ``baseline_cpu`` the two differ (numpy's ``**``, OpenCV's
``warpAffine``, FFmpeg's AAC and swscale take other kernels), on any machine with AVX2 or more.
"""

from __future__ import annotations

import json
import pickle

import pytest

from lipsync.corpus.baseline_cpu import IS_X86_64
from lipsync.corpus.generate import generate_corpus
from tests.lesser_machine import LESSER_FFMPEG_FLAGS, REPORT, file_hashes, lesser_machine, run_python

GENERATE = """
import pickle, sys
from pathlib import Path
from lipsync.corpus.generate import generate_corpus
generate_corpus(pickle.loads(Path(sys.argv[1]).read_bytes()), Path(sys.argv[2]))
"""


@pytest.mark.skipif(not IS_X86_64, reason="the pins and the lesser machine are x86-64 ones")
def test_corpus_bytes_do_not_depend_on_the_cpu(tiny_settings, tmp_path):
    env = lesser_machine(tmp_path)
    seen = json.loads(run_python(env, "-c", REPORT))  # the lesser machine is what the child sees
    assert not seen["numpy_avx2"] and "*AVX2?" in seen["opencv"]
    assert seen["ffmpeg"] and set(seen["ffmpeg"]) == {LESSER_FFMPEG_FLAGS}

    here, there = tmp_path / "here", tmp_path / "there"
    generate_corpus(tiny_settings, here)
    (tmp_path / "settings.pkl").write_bytes(pickle.dumps(tiny_settings))
    run_python(env, "-c", GENERATE, str(tmp_path / "settings.pkl"), str(there))

    ours, theirs = file_hashes(here), file_hashes(there)
    assert len(ours) == 5 and set(ours) == set(theirs)
    assert {name for name in ours if ours[name] != theirs[name]} == set()
