"""Helpers for the web tests: small generated corpora indexed into tmp folders."""

import json
from pathlib import Path

from search.ingest.indexer import reindex

WORD = "вибори"


def write_news(path: Path, count: int, start: int = 0, word: str = WORD, lang: str = "uk"):
    """A .jsonl of count small dated docs that all contain word."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for i in range(start, start + count):
            f.write(json.dumps({
                "id": f"{lang}-{i}", "title": f"Новина {i}: {word} у місті",
                "text": f"Сьогодні у місті {word} номер {i}. Люди прийшли голосувати рано.",
                "date": f"2024-01-{i % 28 + 1:02d}", "lang": lang,
                "url": f"https://example.org/news/{i}",
            }, ensure_ascii=False) + "\n")
    return path


def build_index(tmp_path: Path, count: int = 15) -> tuple[Path, Path]:
    """(index_dir, src_dir) of count generated docs."""
    src, index_dir = tmp_path / "src", tmp_path / "index"
    write_news(src / "news.jsonl", count)
    reindex(index_dir, [src])
    return index_dir, src


def html(resp) -> str:
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)
