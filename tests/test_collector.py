"""The garbage collector's thresholds while segment builders live, and after."""

import gc

from whoosh import index

from search.ingest import collector, store
from search.ingest.segment import SegmentBuilder
from search.schema import make_schema

DOC = {"id": "d1", "lang": "uk", "title": "Бюджет громади", "body": "Депутати ухвалили бюджет.",
       "title_uk": "Бюджет громади", "body_uk": "Депутати ухвалили бюджет."}


def _builder(ix):
    return SegmentBuilder(ix.schema, ix.storage, store.codec(), ix.indexname)


def test_thresholds_raised_while_builders_live_and_restored_after(tmp_path):
    ix = index.create_in(tmp_path, make_schema())
    before = gc.get_threshold()
    assert before != collector.BULK
    first, second = _builder(ix), _builder(ix)
    first.add(DOC)
    assert gc.get_threshold() == collector.BULK
    first.write()
    assert gc.get_threshold() == collector.BULK  # the second still lives
    second.add(DOC)
    second.discard()
    assert gc.get_threshold() == before
    dropped = _builder(ix)  # never written (no document came): dropping it is enough
    assert gc.get_threshold() == collector.BULK
    del dropped
    assert gc.get_threshold() == before
