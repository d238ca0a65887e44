"""A merge's stored fields, field lengths and columns, copied a column at a time.

Whoosh's per-document writer (which the merge used) unpickles every stored dict, pickles and
deflates it again and takes each column value in a call of its own. Here a source's stored
bytes are copied as they are when they are what the writer would write (the dict it would
store pickles to the same bytes, and the source's deflate is this codec's); the other values
are laid out a column at a time by DocColumns (w3docs.py). The files are byte for byte those
of Whoosh's writer.
"""

from array import array
from pickle import dumps, loads

import numpy as np
from isal import isal_zlib
from whoosh.columns import VarBytesColumn

from search.ingest import heap
from search.ingest.codec import STORED_LEVEL
from search.ingest.readback import read_lengths
from search.ingest.w3docs import DocColumns
from search.query.surface import Surfaces


def copy_docs(storage, schema, segment, readers, docmaps, exact, side):
    """Write the live documents' stored fields, lengths and columns, in order; return
    (titles, surfaces) for the word table, as the codec's per-document writer counts them."""
    names = sorted(schema.names())
    total = int(sum(int((m >= 0).sum()) for m in docmaps))
    # Lengths of fields without a sidecar: Whoosh's byte-coded ones, as its own merge takes.
    for name in exact:
        if name not in side.counted:
            for r, m in zip(readers, docmaps, strict=True):
                keep = m >= 0
                exact[name][m[keep]] = read_lengths(r, name)[keep].astype(np.int64)
    # Whoosh's writer adds a field's total length when a document first has one.
    first = {n: int(np.argmax(a > 0)) for n, a in exact.items() if a.any()}
    lengths = {n: array("I", exact[n].astype(np.uint32).tobytes())
               for n in sorted(first, key=lambda n: (first[n], n))}
    out = DocColumns(storage, segment)
    titles, surfaces = [], Surfaces()
    try:
        for r, m in zip(readers, docmaps, strict=True):
            heap.drop_pages(heap.mapped(readers))  # what the postings or the last source left
            live = np.flatnonzero(m >= 0).tolist()
            new = m[m >= 0].tolist()
            _stored(r, names, live, new, out, titles, surfaces)
            for name in names:
                ctype = schema[name].column_type
                if ctype and r.has_column(name):
                    c = r.column_reader(name, ctype)
                    c = c.raw_column() if hasattr(c, "raw_column") else c
                    out.add_column(name, ctype, new, [c[d] for d in live])
        segment._fieldlengths = out.close(total, lengths)
    except BaseException:
        out.discard()
        raise
    return titles, surfaces


def _stored(r, names, live, new, out, titles, surfaces):
    raw = r._perdoc.column_reader("_stored", VarBytesColumn())
    same = None  # whether the source deflates as _STORED does (checked on its first dict)
    for d, doc in zip(live, new, strict=True):
        data = raw[d]
        pk = isal_zlib.decompress(data) if data else b""
        stored = loads(pk) if pk else {}  # noqa: S301 (our own index files)
        keep = {n: v for n in names if (v := stored.get(n)) is not None}
        if keep:
            mine = dumps(keep, 2)  # as PickleColumn does
            if mine == pk and same is None:
                same = isal_zlib.compress(mine, STORED_LEVEL) == data
            out.add_raw(doc, data if mine == pk and same else
                        isal_zlib.compress(mine, STORED_LEVEL))
        texts = {k: v for k in ("title", "body", "lang") if isinstance(v := keep.get(k), str)}
        if "title" in texts:
            titles.append((texts["title"], doc))
        surfaces.add_stored(texts)
