"""The crawler gives the heap's free pages back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import os
import subprocess
import sys

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


_PROBE = """
import ctypes, ctypes.util, sys
from newstrail.spiders.heap import steady_heap

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks"
                " keepcost".split()]

libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "steady":
    assert steady_heap()
libc.free(libc.malloc(8 * 2**20))
before = libc.mallinfo2().hblkhd
block = libc.malloc(2 * 2**20)
print(libc.mallinfo2().hblkhd - before)
"""


def _mapped_after_a_larger_block_was_freed(mode: str) -> int:
    # A fresh process: this one's heap has free chunks (the test above) that a
    # block could come from whatever the threshold.
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(result.stdout)


def test_large_blocks_keep_their_own_mappings_after_larger_ones_were_freed() -> None:
    # Freeing an 8 MB mapping raises glibc's threshold to 8 MB: the next 2 MB block
    # is carved out of the heap, where it leaves a hole when it is freed.
    assert _mapped_after_a_larger_block_was_freed("glibc") == 0
    assert _mapped_after_a_larger_block_was_freed("steady") >= 2 * 2**20
