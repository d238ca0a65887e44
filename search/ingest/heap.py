"""A writer's memory: glibc's heap (large buffers mapped apart, freed memory given back), its
resident size, and the pages of mapped segments a merge has read.

A segment's write allocates numpy buffers of tens of MB. glibc raises its mmap threshold to
the largest buffer freed so far (up to 32 MiB), so after the first spill such buffers come
from the heap, and each spill leaves holes there that later, differently sized buffers do not
fit: in a 20k run the heap held over 100 MiB free (but resident) at every spill, a fifth of
the writer's peak. A fixed threshold keeps every buffer of MMAP_THRESHOLD or more in a mapping
of its own, unmapped when freed; trim() gives back the free pages left between small objects.
Elsewhere than glibc (musl, macOS) both do nothing. rss() is the process's resident size.
"""

import ctypes
import ctypes.util
import mmap
import os

M_TRIM_THRESHOLD = -1  # mallopt's parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 * 1024


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc()


def bound() -> None:
    """Keep large buffers out of the heap from now on (this process and those it forks)."""
    if _LIBC is not None:
        _LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def trim() -> None:
    """Give the heap's free pages back to the system (after a spill: they are many)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


_PAGE = os.sysconf("SC_PAGE_SIZE")
_statm = {}  # pid → an open /proc/<pid>/statm (a forked process opens its own)


def rss() -> int:
    """This process's resident size in bytes (0 where /proc is missing): a few µs."""
    pid = os.getpid()
    fd = _statm.get(pid)
    if fd is None:
        try:
            fd = _statm[pid] = os.open(f"/proc/{pid}/statm", os.O_RDONLY)
        except OSError:
            return 0
    return int(os.pread(fd, 64, 0).split()[1]) * _PAGE


def mapped(readers) -> list:
    """The compound files of Whoosh segment readers, as Whoosh maps them (whole, read only)."""
    found = []
    for r in readers:
        files = getattr(r._storage, "a", r._storage)  # an OverlayStorage over the compound
        if isinstance(getattr(files, "_source", None), mmap.mmap):
            found.append(files._source)
    return found


def drop_pages(maps) -> None:
    """Take mapped files' pages out of this process's RSS (they stay in the page cache): a
    merge reads its sources once, and their pages read so far otherwise stay resident, about
    their whole size (110 MiB of a 5,000-document merge's peak)."""
    for m in maps:
        try:
            m.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError, AttributeError):  # closed, or no madvise here
            pass
