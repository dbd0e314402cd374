"""Story clustering: syndicated and near-duplicate copies share a story id.

MinHash (Broder) over word shingles, with locality-sensitive hashing to find
candidates and an estimated containment to confirm them. Copies of a wire story
differ by whole lines (another site's byline, caption, paywall notice, an
editor's note, a new first sentence), which cost a copy only the shingles of
those lines; different stories about the same event share facts and phrases, but
rarely long runs of words in the same order, so six-word shingles keep them
apart. Measured on the fixture web at scale 10 (about 3,000 article pages): copies
and AMP or print variants of a story contain at least 0.89 of each other's
shingles; two different stories at most 0.71 (hard negatives on the same
topic, built from shared sentences), against a threshold of 0.8.

Memory per story is the low 16 bits of its signature (256 x 2 bytes), its
shingle count, id and first URL, and 16 band keys in a sorted array: about
0.8 kB (764 bytes a story, measured over 6,000 stories), and no texts. Given a
folder, the index keeps the signatures in a file there instead (read back only
for the few candidates a text's bands name), and about 0.3 kB a story in memory.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import numpy as np
import numpy.typing as npt

__all__ = [
    "StoryIndex",
    "StoryMatch",
    "StorySketch",
    "shingle_hashes",
]

_WORD = re.compile(r"\w+", re.UNICODE)
# Fixed, so signatures and story ids are the same in every process and run.
_SEED = 20_240_604
# Odd 64-bit multiplier that rolls a shingle's word hashes into one.
_MIX = np.uint64(0x9E3779B97F4A7C15)

Signature = npt.NDArray[np.uint32]

#: Stories per block of stored signatures (256 x 2 bytes each: 512 kB a block).
_BLOCK = 1024


def shingle_hashes(text: str, size: int = 6) -> npt.NDArray[np.uint32]:
    """32-bit hashes of the distinct runs of ``size`` consecutive words of ``text``.

    Words are lowercased runs of letters and digits; a text of fewer than
    ``size`` words is one shingle, a text without words none.
    """
    words = _WORD.findall(text.lower())
    if not words:
        return np.empty(0, dtype=np.uint32)
    ids = np.fromiter(
        (zlib.crc32(word.encode("utf-8")) for word in words), dtype=np.uint64, count=len(words)
    )
    count = max(1, len(words) - size + 1)
    rolled = np.zeros(count, dtype=np.uint64)
    for offset in range(min(size, len(words))):
        rolled = rolled * _MIX + ids[offset : offset + count]  # wraps at 2**64, as meant
    folded = (rolled ^ (rolled >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return np.unique(folded).astype(np.uint32)


class _MinHasher:
    """``num_perm`` hash functions over 32-bit shingle hashes, one minimum each.

    Multiply-shift hashing (Dietzfelbinger): ``(a * x + b) mod 2**64``, high 32
    bits, with random 64-bit ``a`` (odd) and ``b``: a 2-independent family, in
    numpy's wrapping 64-bit arithmetic.
    """

    def __init__(self, num_perm: int) -> None:
        rng = np.random.default_rng(_SEED)
        top = np.iinfo(np.uint64).max
        self.a = rng.integers(0, top, size=num_perm, dtype=np.uint64, endpoint=True) | np.uint64(1)
        self.b = rng.integers(0, top, size=num_perm, dtype=np.uint64, endpoint=True)

    def signature(self, hashes: npt.NDArray[np.uint32]) -> Signature:
        if not len(hashes):
            return np.full(len(self.a), 0xFFFFFFFF, dtype=np.uint32)
        values = hashes.astype(np.uint64)
        # One matrix, changed in place; the high 32 bits taken of the minima only (a
        # shift keeps the order, so the minimum's high bits are the high bits' minimum).
        hashed: npt.NDArray[np.uint64] = values[:, None] * self.a[None, :]
        hashed += self.b
        minima: Signature = (hashed.min(axis=0) >> np.uint64(32)).astype(np.uint32)
        return minima


class _BandTable:
    """Band key -> story numbers, as two parallel sorted arrays plus a small buffer.

    A dict of Python ints would take about 100 bytes an entry; this takes 12. The
    buffer, a dict of at most ``buffer_size`` entries, is merged into the arrays when
    full.
    """

    def __init__(self, buffer_size: int = 4096) -> None:
        self._keys: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
        self._stories: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self._buffer: dict[int, list[int]] = {}
        self._buffered = 0
        self._buffer_size = buffer_size

    def add(self, keys: list[int], story: int) -> None:
        buffer = self._buffer
        for key in keys:
            found = buffer.get(key)
            if found is None:
                buffer[key] = [story]
            else:
                found.append(story)
        self._buffered += len(keys)
        if self._buffered >= self._buffer_size:
            self._merge()

    def get(self, keys: list[int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The stories sharing any of ``keys``, in story order, and how many of them each
        shares."""
        found: list[npt.NDArray[np.int32]] = []
        if len(self._keys):
            probe = np.array(keys, dtype=np.uint64)
            lo = np.searchsorted(self._keys, probe, side="left")
            hi = np.searchsorted(self._keys, probe, side="right")
            stories = self._stories
            found += [stories[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True) if b > a]
        buffer = self._buffer
        buffered = [story for key in keys for story in buffer.get(key, ())]
        if buffered:
            found.append(np.array(buffered, dtype=np.int32))
        if not found:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        numbers, counts = np.unique(np.concatenate(found), return_counts=True)
        return numbers.astype(np.int64), counts.astype(np.int64)

    def _merge(self) -> None:
        new_keys = [key for key, stories in self._buffer.items() for _ in stories]
        new_stories = [story for stories in self._buffer.values() for story in stories]
        keys = np.concatenate([self._keys, np.array(new_keys, np.uint64)])
        stories = np.concatenate([self._stories, np.array(new_stories, np.int32)])
        order = np.argsort(keys, kind="stable")
        self._keys, self._stories = keys[order], stories[order]
        self._buffer.clear()
        self._buffered = 0


class _Signatures:
    """The low 16 bits of each story's signature, by story number: in an unlinked
    file in ``folder`` when one is given (the operating system's cache holds what
    is read often, outside the process), else in memory.

    In memory they go in fixed blocks of rows that are never reallocated (growing
    one array would copy it, and leave holes in the heap the size of every copy).
    A file that cannot be written any more leaves the rows from then on in memory.
    """

    def __init__(self, folder: Path | None) -> None:
        self._file: IO[bytes] | None = None
        self._fd: int | None = None
        if folder is not None:
            try:
                # Open as long as the index: the file goes with it.
                self._file = tempfile.TemporaryFile(dir=folder, prefix="stories-")  # noqa: SIM115
            except OSError:
                pass
            else:
                self._fd = self._file.fileno()
        self._on_disk = 0
        self._blocks: list[npt.NDArray[np.uint16]] = []
        self._count = 0

    def append(self, signature: Signature) -> None:
        low = signature.astype(np.uint16)
        if self._fd is not None and self._on_disk == self._count:
            data = low.tobytes()
            try:
                os.pwrite(self._fd, data, self._count * len(data))
            except OSError:
                self._fd = None
            else:
                self._on_disk += 1
                self._count += 1
                return
        row = (self._count - self._on_disk) % _BLOCK
        if row == 0:
            self._blocks.append(np.empty((_BLOCK, len(low)), dtype=np.uint16))
        self._blocks[-1][row] = low
        self._count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def rows(self, numbers: list[int], width: int) -> npt.NDArray[np.uint16]:
        """The stored signatures of stories ``numbers`` (each ``width`` values), one a row."""
        size = 2 * width
        on_disk = self._on_disk if self._file is not None else 0
        fd = self._file.fileno() if self._file is not None else -1
        pread = os.pread
        data = b"".join(pread(fd, size, n * size) for n in numbers if n < on_disk)
        rows = np.frombuffer(data, dtype=np.uint16).reshape(-1, width)
        if len(rows) == len(numbers):
            return rows
        held = [n - self._on_disk for n in numbers if n >= on_disk]
        in_memory = np.stack([self._blocks[r // _BLOCK][r % _BLOCK] for r in held])
        return in_memory if not len(rows) else np.concatenate([rows, in_memory])


@dataclass(frozen=True)
class StorySketch:
    """What :meth:`StoryIndex.assign_sketch` needs of a text: its MinHash signature,
    shingle count, band keys and story id. Made by :meth:`StoryIndex.sketch`, which
    reads no index state, so an extraction worker makes it and the crawl's one
    index only looks it up."""

    story_id: str
    size: int
    keys: tuple[int, ...]
    signature: bytes


@dataclass(frozen=True)
class StoryMatch:
    """The story a text belongs to, and the first capture of it when this one is a copy."""

    story_id: str
    duplicate_of: str | None


class StoryIndex:
    """Assigns story ids to article texts in capture order.

    A text is a copy of an earlier story when the smaller of the two holds at
    least ``min_containment`` of its word shingles in the other (estimated from
    MinHash signatures), and is at least ``min_size_ratio`` as long: a copy
    edited for length still matches, a round-up quoting a whole story does not
    swallow it. Texts with fewer than ``min_words`` shingles are never matched.

    Candidates come from ``bands`` bands of ``rows`` signature values each: two
    texts with Jaccard similarity 0.5 (a copy cut to half the original, or one
    with many lines changed) share a band with probability 0.88, 0.7 with
    probability 0.999.

    With ``folder``, the signatures are kept in an unlinked file there, not in
    memory (a crawl's index, which grows with the crawl).

    A text is compared with at most ``max_candidates`` stories, those sharing the
    most bands with it (:attr:`candidates_capped` counts the texts with more): on
    texts that share much phrasing, candidates grew with the index (157 a text
    on average over the last 1,000 of the throughput bench's 5,000 articles), and
    so would the cost of each page.
    """

    def __init__(
        self,
        *,
        min_containment: float = 0.8,
        min_size_ratio: float = 0.5,
        min_words: int = 40,
        shingle_size: int = 6,
        num_perm: int = 256,
        bands: int = 16,
        rows: int = 3,
        folder: Path | None = None,
        max_candidates: int = 64,
    ) -> None:
        if bands * rows > num_perm:
            raise ValueError("bands * rows must not exceed num_perm")
        self.min_containment = min_containment
        self.min_size_ratio = min_size_ratio
        self.min_words = min_words
        self.shingle_size = shingle_size
        self.bands, self.rows = bands, rows
        self.max_candidates = max_candidates
        #: Texts whose candidates were more than ``max_candidates``.
        self.candidates_capped = 0
        self._hasher = _MinHasher(num_perm)
        self._table = _BandTable()
        self._signatures = _Signatures(folder)
        # Shingle counts and story ids (the 64-bit digest their hex spells) as
        # machine words, not Python objects.
        self._sizes = array("L")
        self._ids = array("Q")
        self._first: list[str] = []

    def __len__(self) -> int:
        """Stories indexed (those long enough to be matched)."""
        return len(self._ids)

    def close(self) -> None:
        """Close the signatures' file (an index given a folder); the index is done."""
        self._signatures.close()

    def assign(self, url: str, text: str) -> StoryMatch:
        """The story of ``text`` captured at ``url``; the first capture of a story founds it."""
        return self.assign_sketch(url, self.sketch(text))

    def sketch(self, text: str) -> StorySketch:
        """``text``'s sketch, as :meth:`assign_sketch` takes it (the costly part of
        :meth:`assign`; it depends on the index's parameters only)."""
        items = shingle_hashes(text, self.shingle_size)
        signature = self._hasher.signature(items)
        story_id = hashlib.blake2b(signature.tobytes(), digest_size=8).hexdigest()
        keys = self._band_keys(signature) if len(items) >= self.min_words else []
        return StorySketch(story_id, len(items), tuple(keys), signature.tobytes())

    def assign_sketch(self, url: str, sketch: StorySketch) -> StoryMatch:
        """:meth:`assign` for a text already sketched (by an index of the same parameters)."""
        if sketch.size < self.min_words:
            return StoryMatch(sketch.story_id, None)
        signature: Signature = np.frombuffer(sketch.signature, dtype=np.uint32)
        keys = list(sketch.keys)
        best = self._best_match(signature, sketch.size, self._candidates(keys))
        if best is not None:
            return StoryMatch(format(self._ids[best], "016x"), self._first[best])
        number = len(self._ids)
        self._table.add(keys, number)
        self._signatures.append(signature)
        self._sizes.append(sketch.size)
        self._ids.append(int(sketch.story_id, 16))
        self._first.append(url)
        return StoryMatch(sketch.story_id, None)

    def _band_keys(self, signature: Signature) -> list[int]:
        rows = self.rows
        return [
            int.from_bytes(
                hashlib.blake2b(
                    band.to_bytes(2, "little")
                    + signature[band * rows : (band + 1) * rows].tobytes(),
                    digest_size=8,
                ).digest(),
                "little",
            )
            for band in range(self.bands)
        ]

    def _candidates(self, keys: list[int]) -> list[int]:
        """The stories sharing a band with the text, in story order: at most
        ``max_candidates`` of them, those sharing the most bands (the oldest of equals)."""
        numbers, counts = self._table.get(keys)
        if len(numbers) <= self.max_candidates:
            return cast("list[int]", numbers.tolist())
        self.candidates_capped += 1
        # A copy shares most of its bands (12 of 16 on average at Jaccard 0.9); two
        # texts that only share phrasing, one or two.
        best = np.lexsort((numbers, -counts))[: self.max_candidates]
        return cast("list[int]", np.sort(numbers[best]).tolist())

    def _best_match(self, signature: Signature, size: int, candidates: list[int]) -> int | None:
        """The candidate story the text is a copy of (the closest; the oldest on a tie)."""
        if not candidates:
            return None
        sizes = np.frombuffer(self._sizes, dtype=np.dtype("L"))[candidates].astype(np.float64)
        keep = np.minimum(size, sizes) >= self.min_size_ratio * np.maximum(size, sizes)
        numbers = [n for n, kept in zip(candidates, keep.tolist(), strict=True) if kept]
        if not numbers:
            return None
        sizes = sizes[keep]
        others = self._signatures.rows(numbers, len(signature))
        # b-bit minwise hashing (Li and König, 2010): two texts agree on the low 16
        # bits of a minimum when they agree on it, or by chance, 1 in 65,536; the
        # chance agreements are negligible next to the 0.8 threshold.
        agree = np.count_nonzero(others == signature.astype(np.uint16), axis=1)
        jaccard = agree / len(signature)
        # |A & B| = J * (|A| + |B|) / (1 + J), over the smaller of the two sets.
        shared = jaccard * (size + sizes) / (1.0 + jaccard)
        containment = np.minimum(1.0, shared / np.minimum(size, sizes))
        best = int(np.argmax(containment))  # the first, so the oldest, of equals
        return numbers[best] if containment[best] >= self.min_containment else None
