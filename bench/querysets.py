"""Evaluation sets built from the shared corpora, frozen to files before any engine runs."""

import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

from bench.corpora import UK_DOC_FILES, ru_articles, ud_sentences, uk_docs
from search.ingest.documents import Document, from_record

SETS = ("known-item/ru", "known-item/uk", "titleless/ru", "titleless/uk", "tag/ru", "lemma/ru",
        "lemma/uk")
HALVES = ("tune", "test")
TITLELESS = ("known-item", "titleless")  # kinds whose documents are indexed from text alone
UK_FILLERS = tuple(n for n in UK_DOC_FILES if n != "uk_bruk_docs")
CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "ADV"}
SIZES = {  # (documents, queries); quick runs use smaller ones in their own folder
    "full": {"known-item/ru": (1000, 200), "known-item/uk": (None, 200),
             "titleless/ru": (2000, 300), "titleless/uk": (2000, 300), "tag/ru": (2000, 200),
             "lemma/ru": (None, 200), "lemma/uk": (None, 200)},
    "quick": {"known-item/ru": (200, 40), "known-item/uk": (150, 40), "titleless/ru": (200, 40),
              "titleless/uk": (200, 40), "tag/ru": (300, 30), "lemma/ru": (800, 40),
              "lemma/uk": (800, 40)},
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


def titleless_ru(shared, n_docs, n_queries):
    """Like known_item_ru, larger and with its own seeds: the headline finds its article."""
    arts = sorted(ru_articles(shared), key=lambda r: r["id"])
    docs = _sample([r for r in arts if r.get("title") and r.get("text")], n_docs, 51)
    return [r["id"] for r in docs], _headline_queries(docs, docs, n_queries, 52)


def titleless_uk(shared, n_docs, n_queries):
    """Every bruk text (press headlines are the queries), filled up with title-less corpora."""
    bruk = sorted((r for r in uk_docs(shared, ("uk_bruk_docs",)) if r.get("text")),
                  key=lambda r: r["id"])
    # Nashi Groshi and UA-GEC have no titles: they only make the collection 2,000 documents.
    others = sorted((r for r in uk_docs(shared, UK_FILLERS) if r.get("text")),
                    key=lambda r: r["id"])
    if n_docs < len(bruk):  # quick sets
        bruk = sorted(_sample(bruk, n_docs, 63), key=lambda r: r["id"])
    docs = bruk + _sample(others, max(0, n_docs - len(bruk)), 61)
    press = [r for r in bruk if r.get("cat") == "A" and r.get("title")]
    return [r["id"] for r in docs], _headline_queries(docs, press, n_queries, 62)


def _headline_queries(docs, candidates, n_queries, seed):
    """Queries from the candidates' titles that no other document of the set shares."""
    titles = defaultdict(list)
    for r in docs:
        if r.get("title"):
            titles[_key(r["title"])].append(r["id"])
    unique = [r for r in candidates if len(titles[_key(r["title"])]) == 1]
    return [{"query": r["title"], "relevant": [r["id"]]} for r in _sample(unique, n_queries, seed)]


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
    elif kind == "titleless":
        ids, queries = (titleless_ru if lang == "ru" else titleless_uk)(shared, n_docs, n_queries)
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


def half(qid: str) -> str:
    """'tune' or 'test': a fixed split by a hash of the query id (about half each)."""
    return HALVES[hashlib.sha256(qid.encode()).digest()[0] & 1]


def documents(name, shared, ids) -> list[Document]:
    """The documents a set indexes, as the product reads them (no title for known-item sets)."""
    kind, lang = name.split("/")
    wanted = set(ids)
    if kind == "lemma":
        by_id = {s["id"]: s for s in ud_sentences(shared, lang) if s["id"] in wanted}
        return [Document(id=i, title="", body=by_id[i]["text"], lang=lang) for i in ids]
    if lang == "ru":
        by_id = {r["id"]: r for r in ru_articles(shared) if r["id"] in wanted}
    else:
        names = UK_DOC_FILES if kind == "titleless" else ("uk_bruk_docs",)
        by_id = {r["id"]: r for r in uk_docs(shared, names) if r["id"] in wanted}
    out = []
    for i in ids:
        r = by_id[i]
        if kind in TITLELESS:  # text only: whatever title the product shows, it makes up itself
            out.append(from_record({"id": i, "text": r["text"], "lang": lang}))
        else:
            out.append(from_record({"id": i, "title": r.get("title") or "",
                                    "summary": r.get("summary") or "", "text": r["text"],
                                    "lang": lang}))
    return out


def baseline_documents(name, docs) -> list[Document]:
    """What a baseline indexes: the body alone where the record has no title of its own."""
    if name.split("/")[0] not in TITLELESS:
        return docs
    return [Document(id=d.id, title="", body=d.body, lang=d.lang) for d in docs]
