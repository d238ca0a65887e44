"""Evaluation sets built from the shared corpora, frozen to files before any engine runs."""

import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

from bench.corpora import ru_articles, ud_sentences, uk_docs
from search.documents import Document, from_record

SETS = ("known-item/ru", "known-item/uk", "tag/ru", "lemma/ru", "lemma/uk")
CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "ADV"}
SIZES = {  # (documents, queries); quick runs use smaller ones in their own folder
    "full": {"known-item/ru": (1000, 200), "known-item/uk": (None, 200), "tag/ru": (2000, 200),
             "lemma/ru": (None, 200), "lemma/uk": (None, 200)},
    "quick": {"known-item/ru": (200, 40), "known-item/uk": (150, 40), "tag/ru": (300, 30),
              "lemma/ru": (800, 40), "lemma/uk": (800, 40)},
}


def _key(text: str) -> str:
    return text.strip().lower().replace("ё", "е")


def _sample(items, n, seed):
    items = list(items)
    if n is None or n >= len(items):
        return items
    return random.Random(seed).sample(items, n)


def known_item_ru(shared, n_docs, n_queries):
    arts = sorted(ru_articles(shared), key=lambda r: r["id"])
    docs = _sample([r for r in arts if r.get("title") and r.get("text")], n_docs, 11)
    titles = defaultdict(list)
    for r in docs:
        titles[_key(r["title"])].append(r["id"])
    unique = [r for r in docs if len(titles[_key(r["title"])]) == 1]
    queries = [{"query": r["title"], "relevant": [r["id"]]}
               for r in _sample(unique, n_queries, 12)]
    return [r["id"] for r in docs], queries


def known_item_uk(shared, n_docs, n_queries):
    press = sorted((r for r in uk_docs(shared, ("uk_bruk_docs",)) if r.get("cat") == "A"),
                   key=lambda r: r["id"])
    docs = _sample([r for r in press if r.get("title") and r.get("text")], n_docs, 21)
    titles = defaultdict(list)
    for r in docs:
        titles[_key(r["title"])].append(r["id"])
    unique = [r for r in docs if len(titles[_key(r["title"])]) == 1]
    queries = [{"query": r["title"], "relevant": [r["id"]]}
               for r in _sample(unique, n_queries, 22)]
    return [r["id"] for r in docs], queries


def tag_ru(shared, n_docs, n_queries):
    arts = sorted((r for r in ru_articles(shared) if r["src"] == "rt" and r.get("keywords")),
                  key=lambda r: r["id"])
    docs = _sample(arts, n_docs, 31)
    carriers = defaultdict(set)
    for r in docs:
        for kw in r["keywords"]:
            carriers[kw.strip()].add(r["id"])
    low, high = (5, 100) if len(docs) >= 1000 else (2, 30)
    tags = sorted(t for t, ids in carriers.items() if low <= len(ids) <= high and t)
    queries = [{"query": t, "relevant": sorted(carriers[t])}
               for t in _sample(tags, n_queries, 32)]
    return [r["id"] for r in docs], queries


def lemma(shared, lang, n_docs, n_queries):
    sents = _sample(ud_sentences(shared, lang), n_docs, 41)
    sents.sort(key=lambda s: s["id"])
    where, forms = defaultdict(set), defaultdict(set)
    for s in sents:
        for form, lem, pos in s["tokens"]:
            lem_k, form_k = _key(lem), _key(form)
            if pos not in CONTENT_POS or len(lem_k) < 3 or not lem_k.replace("-", "").isalpha():
                continue
            where[lem_k].add(s["id"])
            if form_k != lem_k and form_k.replace("-", "").isalpha():
                forms[lem_k].add(form.lower())
    candidates = sorted(lem for lem, ids in where.items() if 2 <= len(ids) <= 20 and forms[lem])
    rng = random.Random(43)
    queries = [{"query": rng.choice(sorted(forms[lem])), "lemma": lem,
                "relevant": sorted(where[lem])}
               for lem in _sample(candidates, n_queries, 42)]
    return [s["id"] for s in sents], queries


def build(name, shared, size="full"):
    """(document ids, queries) of one set, built from the corpora."""
    n_docs, n_queries = SIZES[size][name]
    kind, lang = name.split("/")
    if kind == "known-item":
        ids, queries = (known_item_ru if lang == "ru" else known_item_uk)(shared, n_docs,
                                                                        n_queries)
    elif kind == "tag":
        ids, queries = tag_ru(shared, n_docs, n_queries)
    else:
        ids, queries = lemma(shared, lang, n_docs, n_queries)
    for i, q in enumerate(queries):
        q["qid"] = f"{name}#{i}"
        q["lang"] = lang
    return ids, queries


def set_path(folder, name) -> Path:
    return Path(folder) / (name.replace("/", "-") + ".jsonl")


def frozen(name, shared, folder, size="full"):
    """The set from its file; built and written first if the file is missing (never rebuilt)."""
    path = set_path(folder, name)
    if not path.exists():
        ids, queries = build(name, shared, size)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            f.write(json.dumps({"set": name, "size": size, "docs": ids}, ensure_ascii=False) + "\n")
            for q in queries:
                f.write(json.dumps(q, ensure_ascii=False) + "\n")
        tmp.rename(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    head = json.loads(lines[0])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return head["docs"], [json.loads(line) for line in lines[1:]], digest


def documents(name, shared, ids) -> list[Document]:
    """The documents a set indexes, in the form the set defines (titles stripped for known-item)."""
    kind, lang = name.split("/")
    wanted = set(ids)
    if kind == "lemma":
        by_id = {s["id"]: s for s in ud_sentences(shared, lang) if s["id"] in wanted}
        return [Document(id=i, title="", body=by_id[i]["text"], lang=lang) for i in ids]
    if lang == "ru":
        by_id = {r["id"]: r for r in ru_articles(shared) if r["id"] in wanted}
    else:
        by_id = {r["id"]: r for r in uk_docs(shared, ("uk_bruk_docs",)) if r["id"] in wanted}
    out = []
    for i in ids:
        r = by_id[i]
        if kind == "known-item":  # no title, no summary: the title comes from the first sentence
            out.append(from_record({"id": i, "text": r["text"], "lang": lang}))
        else:
            out.append(from_record({"id": i, "title": r.get("title") or "",
                                    "summary": r.get("summary") or "", "text": r["text"],
                                    "lang": lang}))
    return out
