"""Give the heap's free pages back to the system while a long crawl runs.

A crawl's process allocates and frees page bodies, worker answers and records of
every size, page after page, among what it keeps (its seen-set, story index,
trap guard). glibc's malloc keeps the pages it has freed inside its heap for
later use, so the process's memory grew with the crawl's length although what it
held did not: on a 20,000-page web a third of the crawler's heap was free.
``malloc_trim`` hands those pages back. Elsewhere than glibc it is not there, and
nothing is done.

glibc also raises its threshold for serving a block from its own mapping each
time such a block is freed, up to 32 MB: after the first large arrays and
bodies come and go, every large block is carved out of the heap, and what is
freed leaves holes in it that a trim cannot give back. ``steady_heap`` fixes the
threshold where it starts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

__all__ = ["MMAP_THRESHOLD", "TRIM_EVERY", "steady_heap", "trim_heap"]

#: Pages between two trims (a trim of a 100 MB heap takes a few milliseconds).
TRIM_EVERY = 500
#: Blocks from this size on get a mapping of their own, given back when freed
#: (glibc's starting value, which it would otherwise raise).
MMAP_THRESHOLD = 128 * 1024
#: mallopt's parameter number for it (malloc.h).
_M_MMAP_THRESHOLD = -3


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def _malloc_trim() -> Callable[[int], int] | None:
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


def _mallopt() -> Callable[[int, int], int] | None:
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return None
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt  # type: ignore[no-any-return]


_TRIM = _malloc_trim()
_MALLOPT = _mallopt()


def steady_heap() -> bool:
    """Keep malloc's mapping threshold at ``MMAP_THRESHOLD`` for the rest of the
    process; False where malloc cannot."""
    return _MALLOPT is not None and _MALLOPT(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1


def trim_heap() -> bool:
    """Return the heap's free pages to the system; False where malloc cannot."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
