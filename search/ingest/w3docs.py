"""A bulk segment's stored fields, field lengths and columns, written a column at a time.

Whoosh's W3PerDocWriter takes each document's values one call at a time (a column writer's
add per value, through a compound temp file). Here the builder hands over a document's values
in one call: the stored fields are pickled and deflated at once and streamed to their column
file, the other values are kept per column, and at close each column is laid out in one go in
Whoosh's own formats (whoosh/columns.py: VarBytes, Numeric, RefBytes), with the same bytes,
so that Whoosh's readers, the engine and the merge read them unchanged. A column of another
type is written by its own Whoosh writer.
"""

import struct
from array import array
from collections import defaultdict
from pickle import dumps

import numpy as np
from isal import isal_zlib
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, _lenfield
from whoosh.columns import NumericColumn, RefBytesColumn, VarBytesColumn
from whoosh.filedb.structfile import StructFile

from search.ingest.codec import STORED_LEVEL
from search.ingest.w3rows import length_bytes


def _smallest(top: int) -> str:
    """The typecode Whoosh's GrowableArray (no longs) ends with for values up to top."""
    return "B" if top < 256 else "H" if top < 2**16 else "i" if top < 2**31 else "I"


def _big_endian(values, typecode: str) -> bytes:
    """An array as StructFile.write_array writes it (big-endian)."""
    a = array(typecode, values)
    if struct.pack("=H", 1) != struct.pack(">H", 1):
        a.byteswap()
    return a.tobytes()


class DocColumns:
    """One segment's per-document values, written as Whoosh's per-document writer writes them."""

    def __init__(self, storage, segment):
        self.storage, self.segment = storage, segment
        self._stored = None  # the "_stored" column's file, opened with the first document
        self._stored_lens = array("q")  # each document's stored bytes (0: none)
        # name → (column, documents, values), in first-use order; a VarBytes column's values
        # end to end (a bytearray) with their lengths, not a bytes object each
        self._cols: dict[str, tuple] = {}

    def add(self, docnum: int, stored: dict, columns: dict) -> None:
        """A document's stored fields (in field name order) and column values (name → (column
        object, value)); documents come in docnum order."""
        if stored:
            self.add_raw(docnum, isal_zlib.compress(dumps(stored, 2), STORED_LEVEL))
        for name, (column, value) in columns.items():
            self.add_column(name, column, (docnum,), (value,))

    def add_raw(self, docnum: int, data: bytes) -> None:
        """A document's stored fields, already pickled and deflated as codec._STORED does."""
        if self._stored is None:
            self._stored = self._create("_stored")
        self._stored.write(data)
        lens = self._stored_lens
        lens.extend([0] * (docnum - len(lens)))
        lens.append(len(data))

    def add_column(self, name: str, column, docs, values) -> None:
        """A column's values for docs (ascending), after any given before."""
        entry = self._cols.get(name)
        if entry is None:
            var = type(column) is VarBytesColumn
            entry = self._cols[name] = (column, array("q"),
                                        (bytearray(), array("q")) if var else [])
        entry[1].extend(docs)
        if type(entry[2]) is tuple:
            for v in values:
                entry[2][0].extend(v)
            entry[2][1].extend(map(len, values))
        else:
            entry[2].extend(values)

    def close(self, doccount: int, lengths: dict[str, array]) -> dict[str, int]:
        """Write every column (lengths: each text field's lengths by document, in first-use
        order); the segment's total field lengths, as Whoosh keeps them."""
        if self._stored is not None:
            lens = self._stored_lens
            lens.extend([0] * (doccount - len(lens)))
            _var_tail(self._stored, lens, doccount, VarBytesColumn())
            self._stored = None
        totals = defaultdict(int)
        for field, col in lengths.items():
            n = np.frombuffer(col, np.uint32) if len(col) else np.zeros(0, np.uint32)
            if not n.any():
                continue
            totals[field] = int(n.sum(dtype=np.int64))
            self._numeric(_lenfield(field), LENGTHS_COLUMN, np.flatnonzero(n),
                          length_bytes(n[n > 0]).tolist())
        for name, (column, docs, values) in self._cols.items():
            kind = type(column)
            if kind is VarBytesColumn:
                f = self._create(name)
                f.write(values[0])
                lens = np.zeros(doccount, np.int64)
                lens[np.frombuffer(docs, np.int64)] = np.frombuffer(values[1], np.int64)
                _var_tail(f, lens, doccount, column)
            elif kind is NumericColumn:
                self._numeric(name, column, np.frombuffer(docs, np.int64), values)
            elif kind is RefBytesColumn and not column._fixedlen and \
                    len(set(values) | {column._default}) <= 256:
                self._refs(name, column, np.frombuffer(docs, np.int64), values, doccount)
            else:  # any other column: its own writer, a value at a time
                f = self._create(name)
                writer = column.writer(f)
                for d, v in zip(docs, values, strict=True):
                    writer.add(d, v)
                writer.finish(doccount)
                f.close()
        self._cols = {}
        return totals

    def discard(self) -> None:
        """Close the stored fields' file (after a failure); the caller deletes the files."""
        if self._stored is not None:
            try:
                self._stored.close()
            except OSError:
                pass
            self._stored = None

    def _create(self, name: str) -> StructFile:
        return self.storage.create_file(W3Codec.column_filename(self.segment, name))

    def _numeric(self, name, column, docs: np.ndarray, values: list) -> None:
        """NumericColumn.Writer: values up to the last that is not the default, the documents
        before it without one holding the default."""
        f = self._create(name)
        default = column._default
        keep = [(d, v) for d, v in zip(docs.tolist(), values, strict=True) if v != default]
        if keep:
            row = [default] * (keep[-1][0] + 1)
            for d, v in keep:
                row[d] = v
            f.write(struct.pack(f"!{len(row)}{column._typecode}", *row))
        f.close()

    def _refs(self, name, column, docs: np.ndarray, values: list, doccount: int) -> None:
        """RefBytesColumn.Writer with under 256 distinct values: a byte a document, then the
        distinct values in order of first use (the default first)."""
        uniques = {column._default: 0}
        refs = bytearray(doccount)
        for d, v in zip(docs.tolist(), values, strict=True):
            refs[d] = uniques.setdefault(v, len(uniques))
        f = self._create(name)
        f.write(bytes(refs))
        f.write_varint(len(uniques))
        for v in uniques:
            f.write_varint(len(v))
            f.write(v)
        f.write_byte(ord("B"))
        f.close()


def _var_tail(f, lens, doccount: int, column: VarBytesColumn) -> None:
    """VarBytesColumn.Writer.finish after its values: the lengths, the offsets past the cutoff,
    the typecodes; and close."""
    lens = np.asarray(lens, np.int64)
    f.write(_big_endian(lens.tolist(), _smallest(int(lens.max()) if len(lens) else 0)))
    if column.allow_offsets and doccount > column.write_offsets_cutoff:
        offsets = np.cumsum(lens) - lens
        code = _smallest(int(offsets[-1]))
        f.write(_big_endian(offsets.tolist(), code))
        f.write(_smallest(int(lens.max())).encode("ascii") + code.encode("ascii") + b"X")
    else:
        f.write(_smallest(int(lens.max()) if len(lens) else 0).encode("ascii"))
    f.close()
