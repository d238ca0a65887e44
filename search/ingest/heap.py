"""A writer's memory: its resident size less glibc's free heap, and the pages of mapped
segments a merge has read.

(glibc's heap was tried too: a fixed mmap threshold and malloc_trim around each spill took
the writer's RSS between spills down by ~100 MiB, but its peak, inside the write, by only
15-40 MiB, for 4.7x the page faults and ~9 % more CPU at 2k: bench/README.md, issue16q.)
"""

import ctypes
import ctypes.util
import mmap
import os

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


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _mallinfo2():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = libc.mallinfo2  # glibc 2.33+
    except (OSError, AttributeError):
        return None
    fn.restype = _Mallinfo2
    return fn


_MALLINFO2 = _mallinfo2()


def live() -> int:
    """rss() less the free bytes of glibc's heap: a spill's write reuses those (after a few
    spills its heap holds 100-190 MiB of holes between them, resident but free). Walks the
    heap's free chunks: up to milliseconds."""
    free = _MALLINFO2().fordblks if _MALLINFO2 is not None else 0
    return max(rss() - free, 0)


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
