"""Give the heap's free pages back to the system while a long crawl runs.

A crawl's process allocates and frees page bodies, worker answers and records of
every size, page after page, among what it keeps (its seen-set, story index,
trap guard). glibc's malloc keeps the pages it has freed inside its heap for
later use, so the process's memory grew with the crawl's length although what it
held did not: on a 20,000-page web a third of the crawler's heap was free.
``malloc_trim`` hands those pages back. Elsewhere than glibc it is not there, and
nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

__all__ = ["TRIM_EVERY", "trim_heap"]

#: Pages between two trims (a trim of a 100 MB heap takes a few milliseconds).
TRIM_EVERY = 500


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _malloc_trim()


def trim_heap() -> bool:
    """Return the heap's free pages to the system; False where malloc cannot."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
