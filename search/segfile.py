"""Our files beside a Whoosh segment: a magic line, a pickled header, 8-byte aligned columns.

The postings sidecar (search/engine/sidecar.py) and the word table
(search/query/segment_words.py) are both laid out this way, so a reader maps a file once and
takes each column as a numpy view, with no copy.
"""

import pickle
import struct

import numpy as np

_HEADER = struct.Struct("<Q")


def write(f, magic: bytes, columns: dict[str, np.ndarray], **meta) -> None:
    """Write columns, and meta pickled with their layout, to an open file; close it."""
    layout, offset = {}, 0
    for name, a in columns.items():
        layout[name] = (offset, a.dtype.str, len(a))
        offset += -(-a.nbytes // 8) * 8  # 8-byte aligned
    header = pickle.dumps({**meta, "layout": layout}, pickle.HIGHEST_PROTOCOL)
    f.write(magic + _HEADER.pack(len(header)) + header)
    f.write(b"\0" * (-(len(magic) + _HEADER.size + len(header)) % 8))
    for a in columns.values():
        f.write(np.ascontiguousarray(a).data)  # the array's own buffer: no copy
        if a.nbytes % 8:
            f.write(b"\0" * (-a.nbytes % 8))
    f.close()


def read(buf, magic: bytes) -> tuple[dict, dict[str, np.ndarray]] | None:
    """(meta, columns as views of buf) of a file written by write(), or None if its magic
    differs (another format or version)."""
    if bytes(buf[:len(magic)]) != magic:
        return None
    head = len(magic) + _HEADER.size
    (size,) = _HEADER.unpack(bytes(buf[len(magic):head]))
    meta = pickle.loads(bytes(buf[head:head + size]))  # noqa: S301 (our own index files)
    base = head + size + (-(head + size) % 8)
    # Plain arrays over the mapping (a memmap's own slicing is Python code, per slice).
    columns = {name: np.frombuffer(buf, np.dtype(dt), count, base + off)
               for name, (off, dt, count) in meta.pop("layout").items()}
    return meta, columns
