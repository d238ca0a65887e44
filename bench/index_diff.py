"""Whether two indexes of the same documents hold the same things, segment by segment.

    .venv/bin/python bench/index_diff.py INDEX_A INDEX_B [--bytes]

Segments are paired in their TOC order (the same run on two versions of the writer makes the
same segments). Per segment it compares every field's terms, term infos (document frequency,
weight, lengths, ids), postings (ids, weights, values) as Whoosh's own reader gives them, the
stored fields, the length and other columns, the sidecar arrays (search/engine/sidecar.py) and
the word table's columns (search/query/segment_words.py), and prints the differences found.
With --bytes it also says which of the segment's files are byte for byte the same.
"""

import argparse
import sys
from pathlib import Path

import numpy as np


def _open(path: Path):
    from search.ingest import store

    if (path / store.CURRENT).exists():
        return store.open_current(path, create=False)
    return store.open_dir(path)


def _files(reader) -> dict[str, bytes]:
    """The segment's files (compound or not) by extension, as bytes."""
    seg, storage = reader._segment, reader._storage
    prefix = seg.segment_id()
    out = {}
    for name in storage.list():
        if name.startswith(prefix):
            f = storage.open_file(name)
            try:
                out[name[len(prefix):]] = bytes(f.read())
            finally:
                f.close()
    return out


def _postings(reader, field: str, tbytes: bytes) -> tuple:
    m = reader.postings(field, tbytes)
    ids, weights, values = [], [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        values.append(m.value())
        m.next()
    return ids, weights, values


def _info(info) -> tuple:
    return (info.doc_frequency(), info.weight(), info.min_length(), info.max_length(),
            info.max_weight(), info.min_id(), info.max_id())


def _tables(reader) -> dict:
    from search.engine.sidecar import open_sidecar
    from search.query.segment_words import segment_table

    out = {}
    side = open_sidecar(reader)
    if side is not None:
        out.update({f"npa:{k}": v for k, v in side.columns.items()})
        out["npa:terms"] = side.terms
    table = segment_table(reader)
    out.update({f"lex:{k}": v for k, v in vars(table).items()})
    return out


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if hasattr(a, "_data") and hasattr(a, "_off"):  # segment_words.Strings
        return _same(a._data, b._data) and _same(a._off, b._off)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def compare_segments(ra, rb, say) -> dict:
    """Counts of what was compared, and of the differences (said as found)."""
    counts = {"terms": 0, "postings": 0, "stored": 0, "columns": 0, "tables": 0, "diffs": 0}

    def differ(what):
        counts["diffs"] += 1
        if counts["diffs"] <= 20:
            say(f"  differs: {what}")

    if ra.doc_count_all() != rb.doc_count_all():
        differ(f"documents {ra.doc_count_all()} / {rb.doc_count_all()}")
        return counts
    fields = sorted(set(ra.indexed_field_names()) | set(rb.indexed_field_names()))
    for field in fields:
        ta = list(ra.lexicon(field)) if field in ra.indexed_field_names() else []
        tb = list(rb.lexicon(field)) if field in rb.indexed_field_names() else []
        if ta != tb:
            differ(f"{field}: {len(ta)} / {len(tb)} terms")
            continue
        for t in ta:
            counts["terms"] += 1
            if _info(ra.term_info(field, t)) != _info(rb.term_info(field, t)):
                differ(f"term info {field} {t!r}")
            pa, pb = _postings(ra, field, t), _postings(rb, field, t)
            counts["postings"] += len(pa[0])
            if pa != pb:
                differ(f"postings {field} {t!r}")
    for d in range(ra.doc_count_all()):
        counts["stored"] += 1
        if ra.stored_fields(d) != rb.stored_fields(d):
            differ(f"stored fields of document {d}")
    pa, pb = ra._perdoc, rb._perdoc
    names = sorted({n for n in ra.schema.names() if ra.schema[n].column_type}
                   | {f"_{f}_len" for f in fields})
    for name in names:
        has = pa.has_column(name), pb.has_column(name)
        if has[0] != has[1]:
            differ(f"column {name} present {has}")
            continue
        if not has[0]:
            continue
        col = ra.schema[name].column_type if name in ra.schema else None
        if col is None:
            from whoosh.codec.whoosh3 import LENGTHS_COLUMN as col
        counts["columns"] += 1
        if list(pa.column_reader(name, col)) != list(pb.column_reader(name, col)):
            differ(f"column {name}")
    for f in [f for f in fields if pa.has_column(f"_{f}_len")]:
        if pa.min_field_length(f) != pb.min_field_length(f) or \
                pa.max_field_length(f) != pb.max_field_length(f) or \
                pa.field_length(f) != pb.field_length(f):
            differ(f"field lengths of {f}")
    xa, xb = _tables(ra), _tables(rb)
    for k in sorted(xa.keys() | xb.keys()):
        counts["tables"] += 1
        if k not in xa or k not in xb or not _same(xa[k], xb[k]):
            differ(f"table {k}")
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--bytes", action="store_true", help="also compare the segments' files")
    args = ap.parse_args(argv)
    ia, ib = _open(args.a), _open(args.b)
    sa, sb = ia.reader().leaf_readers(), ib.reader().leaf_readers()
    if len(sa) != len(sb):
        print(f"segments: {len(sa)} / {len(sb)}")
        return 1
    total = {}
    for i, ((ra, _), (rb, _)) in enumerate(zip(sa, sb, strict=True)):
        print(f"segment {i}: {ra.doc_count_all()} documents")
        counts = compare_segments(ra, rb, print)
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
        if args.bytes:
            fa, fb = _files(ra), _files(rb)
            fa.pop(".seg", None), fb.pop(".seg", None)  # its directory has file times
            same = sorted(k for k in fa.keys() & fb.keys() if fa[k] == fb[k])
            other = sorted((fa.keys() | fb.keys()) - set(same))
            print(f"  files the same: {' '.join(same) or '-'}; not: {' '.join(other) or '-'}")
    print("compared:", ", ".join(f"{k} {v:,}" for k, v in total.items()))
    return 1 if total.get("diffs") else 0


if __name__ == "__main__":
    sys.exit(main())
