"""The corpus vocabulary and the seeded drawing of sentences from it.

Common English words chosen for visible mouth shapes: many bilabial closures (m, b, p),
labiodentals (f, v), rounded vowels (oo, oh, w) and wide open or spread vowels, so every
clip exercises closed, open, wide and round mouths.
"""

from __future__ import annotations

import numpy as np

WORDS: tuple[str, ...] = (
    "apple", "april", "baby", "back", "ball", "band", "bank", "base", "bay", "beam", "bean",
    "bear", "beat", "bell", "best", "big", "bike", "bird", "black", "blue", "boat", "body",
    "book", "boom", "boot", "box", "boy", "bread", "bring", "brown", "bubble", "bump", "bus",
    "but", "buy", "calm", "camp", "car", "cheap", "cheese", "chip", "choose", "cool", "cup",
    "dog", "door", "dream", "drop", "each", "eat", "echo", "fan", "far", "farm", "feel",
    "fish", "five", "food", "fool", "four", "fox", "free", "fruit", "fun", "game", "go",
    "good", "green", "group", "hat", "heavy", "help", "home", "hope", "house", "how", "jump",
    "keep", "lamp", "lime", "long", "loop", "love", "map", "maybe", "me", "meal", "meet",
    "middle", "milk", "mime", "mind", "moon", "mop", "more", "morning", "mouth", "move",
    "mud", "music", "name", "new", "no", "now", "number", "oak", "ocean", "old", "open",
    "over", "pan", "paper", "park", "pea", "peach", "people", "pie", "pink", "place", "plan",
    "play", "please", "pool", "pop", "power", "puppy", "purple", "push", "quick", "room",
    "rope", "rose", "round", "rubber", "ship", "shoe", "shop", "simple", "smooth", "soap",
    "soon", "soup", "spoon", "summer", "sun", "table", "team", "time", "top", "true", "two",
    "up", "vase", "very", "view", "voice", "wait", "warm", "water", "wave", "way", "we",
    "web", "whale", "who", "why", "wide", "window", "woman", "wood", "wool", "yawn", "yes",
    "you", "zoo",
)  # fmt: skip


def draw_text(rng: np.random.Generator, n_words: int, phrase_words: tuple[int, int]) -> str:
    """A sentence of ``n_words`` words drawn with ``rng``, split into comma-separated phrases.

    phrase_words: (min, max) words per phrase; espeak pauses at each comma, which puts short
    silences (closed mouths) inside a clip.
    """
    words = [WORDS[i] for i in rng.integers(0, len(WORDS), size=n_words)]
    phrases, start = [], 0
    while start < n_words:
        size = int(rng.integers(phrase_words[0], phrase_words[1] + 1))
        phrases.append(" ".join(words[start : start + size]))
        start += size
    return ", ".join(phrases) + "."
