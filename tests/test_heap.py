"""The crawler gives the heap's free pages back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import os

from newstrail.spiders.heap import trim_heap


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_free_pages_inside_the_heap_go_back_to_the_system() -> None:
    # Blocks under malloc's mmap threshold, every other one freed: 60 MB of holes
    # inside the heap that malloc keeps for itself until it is asked to trim.
    blocks = [bytes(4000 + n % 4000) for n in range(20_000)]
    kept = blocks[1::2]
    del blocks
    before = _rss()
    assert trim_heap()
    after = _rss()
    assert before - after > 10 * 2**20, (before, after)
    assert len(kept) == 10_000
