"""Which targets were seen already, in a fixed amount of memory whatever the file's size.

A Python set of a million strings would grow with the file (~100 MB); this is open addressing
(linear probing) over preallocated arrays of SLOTS 64-bit words (16 MiB), sized for MAX_ROWS
targets at a load below one half, so a probe ends within a few slots.

A distinct recipient is never taken for a duplicate:
- a phone target is E.164, "+" and at most 15 digits with no leading zero, so the digits as an
  integer (< 10**15 < 2**50) ARE the number: the word stored is the number itself, not a hash of
  it, and two words are equal only for one number. Only the slot is chosen by a hash.
- an email address cannot fit a word, so it keeps 127 bits of BLAKE2b in two words: two distinct
  addresses collide with a probability of 2**-127 per pair, ~10**-26 for a million-row file.
  (An exact check would need every address kept, which is what the fixed size rules out.)
"""
from __future__ import annotations

import hashlib
from array import array

from chalicelib.broadcasts.limits import MAX_ROWS

BITS = 21
SLOTS = 1 << BITS          # > 2 * MAX_ROWS
_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_TOP = 1 << 63
assert SLOTS > 2 * MAX_ROWS


class Seen:
    def __init__(self, exact_phones: bool = True) -> None:
        self.exact = exact_phones
        self.words = array("Q", [0]) * SLOTS  # 0 = empty slot
        self.extra = None if exact_phones else array("Q", [0]) * SLOTS
        self.count = 0

    def add(self, target: str) -> bool:
        """True the first time `target` is added, False for a duplicate."""
        if self.exact:
            word, extra = int(target[1:]), 0  # "+628..." -> 628...: never 0
        else:
            digest = hashlib.blake2b(target.encode("utf-8"), digest_size=16).digest()
            word = int.from_bytes(digest[:8], "big") | _TOP
            extra = int.from_bytes(digest[8:], "big")
        slot = ((word * _GOLDEN) & _MASK64) >> (64 - BITS)
        words, extras = self.words, self.extra
        while True:
            found = words[slot]
            if found == 0:
                if self.count >= MAX_ROWS:
                    raise OverflowError("more targets than the table is sized for")
                words[slot] = word
                if extras is not None:
                    extras[slot] = extra
                self.count += 1
                return True
            if found == word and (extras is None or extras[slot] == extra):
                return False
            slot = (slot + 1) & (SLOTS - 1)
