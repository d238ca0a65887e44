"""bench/index_diff.py: two builds of the same documents are the same, a changed one is not."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import index_diff  # noqa: E402
from search.ingest.indexer import reindex  # noqa: E402

DOCS = [
    {"id": "a1", "title": "Бюджет громади", "lang": "uk", "date": "2026-12-03",
     "text": "Депутати ухвалили бюджет громади на наступний рік: ремонт доріг і шкіл. " * 8},
    {"id": "a2", "title": "Цены на нефть выросли", "lang": "ru", "site": "РБК",
     "text": "Нефтяные котировки поднялись после решения стран ОПЕК сократить добычу. " * 8},
    {"id": "a3", "title": "Мовні табори", "lang": "uk",
     "text": "Діти вивчають англійську мову в таборах влітку, а батьки платять менше. " * 3},
]


def _index(tmp_path: Path, name: str, docs: list[dict]) -> Path:
    """An index of docs in a file of their own (its path and time are indexed too)."""
    src = tmp_path / f"{hash(json.dumps(docs))}.jsonl"
    if not src.exists():
        src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8")
    reindex(tmp_path / name, [src])
    return tmp_path / name


def test_same_documents_same_index_and_a_changed_word_differs(tmp_path, capsys):
    a = _index(tmp_path, "a", DOCS)
    b = _index(tmp_path, "b", DOCS)
    assert index_diff.main([str(a), str(b), "--bytes"]) == 0
    out = capsys.readouterr().out
    assert "diffs 0" in out and "not: -" in out
    changed = [dict(d) for d in DOCS]
    changed[1]["text"] = changed[1]["text"].replace("ОПЕК", "ОПЕК+")
    c = _index(tmp_path, "c", changed)
    assert index_diff.main([str(a), str(c)]) == 1
    out = capsys.readouterr().out
    assert "differs: stored fields of document 1" in out
