"""Child process of :mod:`lipsync.corpus.espeak`: speak one utterance with espeak-ng via ctypes.

Run as a script (``python -I espeak_child.py``), standard library and ``espeakng_loader`` only,
so start-up stays around 40 ms. Reads a JSON request ``{text, voice, rate, pitch, range, seed}`` on
stdin; writes one JSON line ``{sample_rate, phonemes, phoneme_ms, word_ms}`` then the audio as
little-endian int16 PCM on stdout.

The C declarations follow espeak-ng's ``speak_lib.h`` (API revision 12).
"""

from __future__ import annotations

import array
import ctypes
import json
import os
import sys

# speak_lib.h constants
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
POS_CHARACTER = 1
CHARS_UTF8 = 1
PARAM_RATE, PARAM_PITCH, PARAM_RANGE = 1, 3, 4
EVENT_LIST_TERMINATED, EVENT_WORD, EVENT_PHONEME = 0, 1, 7


class EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class Event(ctypes.Structure):
    """``espeak_EVENT``: 6 ints, a pointer, then an 8-byte union (40 bytes on 64-bit Linux)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms from the start of the utterance
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", EventId),
    ]


SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event))


def speak(request: dict) -> tuple[dict, bytes]:
    """Run espeak-ng once; returns (metadata, little-endian int16 PCM bytes)."""
    import espeakng_loader

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    data_parent = os.path.dirname(espeakng_loader.get_data_path())  # the folder holding espeak-ng-data
    sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_parent.encode(), INITIALIZE_PHONEME_EVENTS)
    if sample_rate <= 0:
        raise RuntimeError(f"espeak_Initialize failed with data in {data_parent}")
    # espeak-ng seeds the noise of its voices (breath, flutter) from the clock; fix it.
    lib.espeak_ng_SetRandSeed(ctypes.c_long(int(request["seed"])))
    chunks, phonemes, phoneme_ms, word_ms = [], [], [], []

    def on_audio(wav, n_samples, events):
        if wav and n_samples > 0:
            chunks.append(ctypes.string_at(wav, n_samples * 2))
        i = 0
        while events[i].type != EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == EVENT_PHONEME:
                phonemes.append(event.id.string.decode("utf-8", errors="replace"))
                phoneme_ms.append(event.audio_position)
            elif event.type == EVENT_WORD:
                word_ms.append(event.audio_position)
            i += 1
        return 0

    callback = SynthCallback(on_audio)  # keep a reference while espeak may call it
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(request["voice"].encode()) != 0:
        raise RuntimeError(f"unknown espeak voice {request['voice']!r}")
    for param, key in ((PARAM_RATE, "rate"), (PARAM_PITCH, "pitch"), (PARAM_RANGE, "range")):
        lib.espeak_SetParameter(param, int(request[key]), 0)
    text = request["text"].encode() + b"\0"
    status = lib.espeak_Synth(text, ctypes.c_size_t(len(text)), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
    if status != 0 or lib.espeak_Synchronize() != 0:
        raise RuntimeError(f"espeak_Synth failed with status {status}")
    meta = {"sample_rate": sample_rate, "phonemes": phonemes, "phoneme_ms": phoneme_ms, "word_ms": word_ms}
    pcm = b"".join(chunks)
    if sys.byteorder != "little":
        samples = array.array("h", pcm)
        samples.byteswap()
        pcm = samples.tobytes()
    return meta, pcm


if __name__ == "__main__":
    _meta, _pcm = speak(json.loads(sys.stdin.buffer.read()))
    sys.stdout.buffer.write(json.dumps(_meta).encode() + b"\n" + _pcm)
