"""Keyed, order-free randomness: every draw is a hash of the seed and a key.

A draw never depends on how many draws came before it, so adding a host to the estate does
not rename every pod, and a metric's value at an instant does not depend on which other
values were asked for first.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_SCALE = float(1 << 64)
_K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
"""The alphabet of Kubernetes' generated name suffixes (no vowels, no look-alikes)."""


class Keyed:
    """Draws keyed on `(seed, *key)`; the same key always gives the same value."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def digest(self, *key: object) -> bytes:
        """32 bytes of hash of the seed and the key."""
        text = "\x1f".join(str(part) for part in (self.seed, *key))
        return hashlib.blake2b(text.encode(), digest_size=32).digest()

    def unit(self, *key: object) -> float:
        """Uniform in [0, 1)."""
        return int.from_bytes(self.digest(*key)[:8], "big") / _SCALE

    def uniform(self, low: float, high: float, *key: object) -> float:
        """Uniform in [low, high)."""
        return low + (high - low) * self.unit(*key)

    def integer(self, low: int, high: int, *key: object) -> int:
        """Uniform integer in [low, high], both ends included."""
        return low + int(self.unit(*key) * (high - low + 1))

    def normal(self, *key: object) -> float:
        """Standard normal (Box-Muller on two keyed uniforms)."""
        digest = self.digest(*key)
        u1 = (int.from_bytes(digest[:8], "big") + 1) / (_SCALE + 1)
        u2 = int.from_bytes(digest[8:16], "big") / _SCALE
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def choice(self, options: Sequence[T], *key: object) -> T:
        """One of `options`."""
        return options[int(self.unit(*key) * len(options))]

    def chance(self, probability: float, *key: object) -> bool:
        """True with the given probability."""
        return self.unit(*key) < probability

    def suffix(self, length: int, *key: object) -> str:
        """A Kubernetes-style generated suffix (`7d9f8c6b5`, `x2k4q`)."""
        digest = self.digest(*key)
        return "".join(_K8S_ALPHABET[b % len(_K8S_ALPHABET)] for b in digest[:length])

    def uuid(self, *key: object) -> str:
        """A UUID (version 4 layout) from the key."""
        return str(uuid.UUID(bytes=self.digest(*key)[:16], version=4))

    def hex(self, length: int, *key: object) -> str:
        """Lower-case hex digits."""
        return self.digest(*key).hex()[:length]
