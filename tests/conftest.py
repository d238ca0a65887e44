"""Shared fixtures: real indexes in tmp_path built from real sample pages."""

import json
import shutil
from pathlib import Path

import pytest

from search.engine import Engine
from search.ingest.indexer import reindex
from tests.web_helpers import build_index, write_news
from web import create_app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_PAGES = sorted(FIXTURES.glob("pages/*.txt"))


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory):
    """CLI runs keep their tables in a temporary folder, not the user's ~/.cache."""
    import os

    from search import lemma_table, morph
    from search.cli_cache import cache_dir

    if os.environ.get("SEARCH_CACHE_DIR"):
        return
    folder = tmp_path_factory.mktemp("cache")
    # Copies of the lemma tables `make test` built: a real `make run` (test_setup.py) runs
    # `make install`, which would otherwise spend a minute or more building them here.
    for lang in morph.LANGS:
        built = lemma_table.table_path(cache_dir(), lang)
        if built.is_file():
            shutil.copyfile(built, lemma_table.table_path(folder, lang))
    os.environ["SEARCH_CACHE_DIR"] = str(folder)


def index_records(records: list[dict], src: Path, index_dir: Path) -> Path:
    """Write records as src/docs.jsonl, index them into index_dir and return index_dir."""
    (src / "docs.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    assert reindex(index_dir, [src]).skipped == []
    return index_dir


def index_fixtures(records: list[dict], name: str):
    """Module-scoped fixtures over one index of records: index_dir, engine, reader, client."""

    @pytest.fixture(scope="module", name="index_dir")
    def _index_dir(tmp_path_factory):
        return index_records(records, tmp_path_factory.mktemp(f"{name}_src"),
                             tmp_path_factory.mktemp(f"{name}_index"))

    @pytest.fixture(scope="module", name="engine")
    def _engine(index_dir):
        eng = Engine(index_dir, cache_size=0)
        yield eng
        eng.close()

    @pytest.fixture(scope="module", name="reader")
    def _reader(index_dir):
        from search.ingest.indexer import open_index

        r = open_index(index_dir, create=False).reader()
        yield r
        r.close()

    @pytest.fixture(name="client")
    def _client(index_dir):
        return create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True}).test_client()

    return _index_dir, _engine, _reader, _client


def fresh_index(root: Path):
    """An empty current generation under root, opened for writing segments by hand."""
    from search.ingest import store

    store.switch(root, store.new_generation(root))
    return store.open_current(root)


def add_segment(ix, docs, delete=(), bulk=False, **writer_args) -> None:
    """Commit docs ((id, lang, body) or Documents) as one new segment, deleting ids.

    bulk: written by our BulkWriter (search/ingest/bulk.py) instead of Whoosh's writer.
    """
    from search.ingest.bulk import BulkWriter
    from search.ingest.documents import Document
    from search.ingest.indexer import document_fields

    w = BulkWriter(ix, merge=False, **writer_args) if bulk else ix.writer(**writer_args)
    for doc in docs:
        if not isinstance(doc, Document):
            doc = Document(id=doc[0], title="", body=doc[2], lang=doc[1])
        w.add_document(**document_fields(doc, "src", "sig"))
    for doc_id in delete:
        w.delete_by_term("id", doc_id)
    if bulk:
        w.commit()
    else:
        w.commit(merge=False)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    """An index of the two sample pages plus the small fixture collections (read-only)."""
    src = tmp_path_factory.mktemp("sample_src")
    for f in SAMPLE_PAGES + sorted(FIXTURES.glob("*.jsonl")):
        shutil.copy(f, src / f.name)
    index_dir = tmp_path_factory.mktemp("sample_index")
    summary = reindex(index_dir, [src])
    assert summary.skipped == [], summary.skipped
    return index_dir


@pytest.fixture(scope="session")
def engine(sample_index) -> Engine:
    eng = Engine(sample_index)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def news_index(tmp_path_factory):
    """An index of 15 generated Ukrainian docs plus 3 Russian ones (голосование, which no
    Ukrainian query word of the tests crosses to): enough for 2 pages."""
    tmp = tmp_path_factory.mktemp("web_news")
    index_dir, src = build_index(tmp, 15)
    write_news(src / "ru.jsonl", 3, word="голосование", lang="ru")
    reindex(index_dir, [src])
    return index_dir


@pytest.fixture
def client(news_index):
    return create_app({"SEARCH_INDEX_DIR": str(news_index), "TESTING": True}).test_client()


@pytest.fixture
def sample_client(sample_index):
    return create_app({"SEARCH_INDEX_DIR": str(sample_index), "TESTING": True}).test_client()


@pytest.fixture
def empty_client(tmp_path):
    return create_app({"SEARCH_INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
