"""Readers for the shared corpora (never copied into the repository)."""

import gzip
import json
from pathlib import Path

UK_DOC_FILES = ("uk_bruk_docs", "uk_nashigroshi_docs", "uk_uagec_docs")
UD_FILES = {
    "uk": ("uk_iu-ud-dev", "uk_iu-ud-test"),
    "ru": ("ru_gsd-ud-dev", "ru_gsd-ud-test", "ru_taiga-ud-dev", "ru_taiga-ud-test"),
}


def corpora_dir(shared) -> Path:
    """The corpora folder under a shared folder (or the folder itself if it holds them)."""
    shared = Path(shared)
    return shared / "corpora" if (shared / "corpora").is_dir() else shared


def read_jsonl(path: Path) -> list[dict]:
    """All records of a (gzipped) JSON-lines file."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def ru_articles(shared) -> list[dict]:
    """The RT/NG news articles: id, src, url, title, summary, keywords, text."""
    return read_jsonl(corpora_dir(shared) / "ru_news_articles.jsonl.gz")


def uk_docs(shared, names=UK_DOC_FILES) -> list[dict]:
    """Ukrainian documents of the given corpora, each with a 'corpus' key added."""
    out = []
    for name in names:
        for rec in read_jsonl(corpora_dir(shared) / f"{name}.jsonl.gz"):
            rec["corpus"] = name
            out.append(rec)
    return out


def ud_sentences(shared, lang: str) -> list[dict]:
    """UD sentences: {'id', 'text', 'tokens': [(form, lemma, upos)]} from the gold files."""
    out = []
    for name in UD_FILES[lang]:
        with gzip.open(corpora_dir(shared) / f"{name}.conllu.gz", "rt", encoding="utf-8") as f:
            sent = None
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("# sent_id = "):
                    sent = {"id": f"{name}:{line[12:].strip()}", "text": "", "tokens": []}
                elif line.startswith("# text = ") and sent is not None:
                    sent["text"] = line[9:].strip()
                elif line and not line.startswith("#") and sent is not None:
                    cols = line.split("\t")
                    if len(cols) >= 4 and cols[0].isdigit():
                        sent["tokens"].append((cols[1], cols[2], cols[3]))
                elif not line and sent is not None:
                    if sent["text"] and sent["tokens"]:
                        out.append(sent)
                    sent = None
            if sent is not None and sent["text"] and sent["tokens"]:
                out.append(sent)
    return out
