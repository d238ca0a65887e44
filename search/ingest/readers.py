"""Searchers that follow commits without reopening the segments a commit left unchanged."""

from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher


def reopen(ix, old):
    """A searcher on ix's latest commit that keeps old's readers of segments the commit left
    unchanged (same id, same deletions); old's other readers are closed.

    Opening a segment copies its terms and postings files into memory (Whoosh's compound
    files): 0.25 s at 200k documents, per commit and worker, which stalled searches and grew
    memory. Not Whoosh's refresh(): it reuses the readers of unchanged
    segments with their old deletions, so a document deleted or replaced would still be found.
    """
    toc = ix._read_toc()
    reusable = {r._segment.segment_id(): r for r, _ in old.reader().leaf_readers()
                if getattr(r, "_segment", None) is not None}
    readers, opened = [], []
    try:
        for segment in toc.segments:
            r = reusable.get(segment.segment_id())
            # One segment is read bare (a SegmentReader knows its own generation): opened anew.
            if (r is not None and r._segment.deleted_count() == segment.deleted_count()
                    and len(toc.segments) > 1):
                del reusable[segment.segment_id()]
            else:
                r = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
                opened.append(r)
            readers.append(r)
    except BaseException:
        for r in opened:  # old stays whole and usable
            r.close()
        raise
    for r in reusable.values():
        try:
            r.close()
        except OSError:
            pass  # its files may be gone already
    if not readers:
        reader = EmptyReader(toc.schema)
    elif len(readers) == 1:
        reader = readers[0]
    else:
        reader = MultiReader(readers, generation=toc.generation)
    return Searcher(reader, weighting=BM25F(), fromindex=ix)
