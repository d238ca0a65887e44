"""Rebuild the bundled demo corpus in samples/ from the shared source data.

    python samples/build_samples.py [--shared ../shared]

Only licensed sources are read (see samples/ATTRIBUTION.md); the unlicensed
ru_news_articles collection is never touched. Output is deterministic.
"""

import argparse
import gzip
import html
import json
import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
TITLE_MAX = 120
N_NASHIGROSHI = 150
N_BRUK = 300
BRUK_MAX_CHARS = 10_000  # keep very long features out so the demo stays small
RU_MIN_SENTENCES = 3
RU_CHUNK = 8
# Taiga genres that are documents worth searching in a news demo; the social-media
# posts/comments and poetry fragments are left out (see ATTRIBUTION.md).
TAIGA_GENRES = {"news", "nonfiction-academic-encycl", "fiction-kids"}


def cut_title(text: str, limit: int = TITLE_MAX) -> str:
    """First line / first sentence of text, at most limit chars, cut at a word boundary."""
    line = text.strip().split("\n", 1)[0].strip()
    m = re.match(r"(.+?[.!?…])(\s|$)", line)
    sentence = (m.group(1) if m else line).strip()
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:–—-") + "…"
    return sentence


def detokenise(text: str) -> str:
    """Undo tokeniser spacing: no space before , . : ; ! ? ) » nor after « (."""
    text = re.sub(r"[ \t]+(?=[,.:;!?)»])", "", text)
    text = re.sub(r"(?<=[«(])[ \t]+", "", text)
    # compounds the tokeniser split at the hyphen: "Івано- Франківськ" (but keep
    # suspended hyphens such as "фото- і відео")
    text = re.sub(r"(?<=\w)- (?=[A-ZА-ЯІЇЄҐ])", "-", text)
    return text


def read_jsonl_gz(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def evenly(items: list, n: int) -> list:
    """n items spread evenly over the list (all of them if there are fewer)."""
    if len(items) <= n:
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


def write_jsonl(path: Path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def build_nashigroshi(shared: Path) -> list[dict]:
    docs = list(read_jsonl_gz(shared / "corpora" / "uk_nashigroshi_docs.jsonl.gz"))
    out = []
    for d in evenly(docs, N_NASHIGROSHI):
        text = detokenise(d["text"]).strip()
        out.append({
            "id": f"nashigroshi-{d['id']}",
            # No title: the source has none, and the search shows the first sentence instead
            # (without counting it as a title).
            "text": text,
            "source": "Наші гроші",  # the publication; credits are in ATTRIBUTION.md
            "lang": "uk",
        })
    return out


def build_bruk(shared: Path) -> list[dict]:
    docs = [d for d in read_jsonl_gz(shared / "corpora" / "uk_bruk_docs.jsonl.gz")
            if d.get("cat") == "A" and len(d.get("text", "")) <= BRUK_MAX_CHARS]
    docs.sort(key=lambda d: d["id"])
    out = []
    for d in evenly(docs, N_BRUK):
        # BRUK gives the year of publication only: "date" is that year, which the index
        # keeps at year precision (shown as "2016", never as a made-up 1 January).
        record = {"id": f"bruk-{d['id']}", "title": d["title"].strip(),
                  "text": d["text"].strip(), "date": str(d["year"]).strip(),
                  "source": d["publ_in"].strip(), "lang": "uk"}
        if not record["title"]:
            del record["title"]  # the search shows the first sentence instead
        out.append(record)
    return out


def conllu_sentences(path: Path):
    """Comment metadata of each sentence: sent_id, text, genre, newdoc, newpar."""
    meta: dict = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                m = re.match(r"#\s*([^=]+?)\s*(?:=\s*(.*))?$", line)
                key, value = m.group(1).strip(), (m.group(2) or "").strip()
                if key in ("newdoc", "newdoc id", "newdoc_id"):
                    meta["newdoc"] = value or True
                elif key.startswith("newpar"):
                    meta["newpar"] = True
                else:
                    meta.setdefault(key, value)
            elif not line.strip():
                if "text" in meta:
                    yield meta
                meta = {}
    if "text" in meta:
        yield meta


def clean_ru(text: str) -> str:
    """GSD's HTML entities and TeX-style quotes/dashes to plain typography."""
    text = html.unescape(text)
    text = re.sub(r"``(.*?)''", r"«\1»", text)
    text = text.replace("``", "«").replace("''", "»")
    text = re.sub(r"(?<!\S)--(?!-)", "—", text)  # dash: "Москва -- столица", "-- Да,"
    text = re.sub(r"(?<=\w)--(?=\w)", "–", text)  # range: "XV--XVI", "5--6"
    return re.sub(r"[ \t]+", " ", text).strip()


def sent_prefix(sent_id: str) -> str:
    return re.sub(r"[-_.]*\d+[a-z]?(_\d+)?$", "", sent_id)


def ud_groups(path: Path):
    """(doc key, sentences) runs: a new document at `# newdoc`, or where the sentence-id
    prefix or genre changes."""
    group, key = [], None
    for s in conllu_sentences(path):
        k = (sent_prefix(s["sent_id"]), s.get("genre", ""))
        if group and ("newdoc" in s or k != key):
            yield group
            group = []
        if not group:
            key = k
        group.append(s)
    if group:
        yield group


def doc_text(sents: list[dict]) -> str:
    paras, cur = [], []
    for i, s in enumerate(sents):
        heading = i == 1 and not re.search(r"[.!?…:;,»\"]$", sents[0]["text"].strip())
        if (heading or s.get("newpar")) and i and cur:
            paras.append(" ".join(cur))
            cur = []
        cur.append(clean_ru(s["text"]))
    if cur:
        paras.append(" ".join(cur))
    return "\n\n".join(paras)


def ru_record(treebank: str, split: str, name: str, sents: list[dict]) -> dict:
    slug = re.sub(r"[^0-9A-Za-z_.-]+", "-", name).strip("-")
    text = doc_text(sents)
    project = {"gsd": "UD Russian-GSD", "taiga": "UD Russian-Taiga"}[treebank]
    return {
        "id": f"ud-ru-{treebank}-{split}-{slug}",
        # No title: the search shows the first sentence instead (see build_nashigroshi).
        "text": text,
        "lang": "ru",
        "source": project,  # no publication is known; credits are in ATTRIBUTION.md
    }


def build_ru(shared: Path) -> list[dict]:
    out = []
    for treebank in ("gsd", "taiga"):
        for split in ("dev", "test"):
            path = shared / "corpora" / f"ru_{treebank}-ud-{split}.conllu.gz"
            # GSD has no document structure at all: one run of sentences per file
            groups = ([list(conllu_sentences(path))] if treebank == "gsd"
                      else list(ud_groups(path)))
            for group in groups:
                genre = group[0].get("genre", "")
                if treebank == "taiga" and genre not in TAIGA_GENRES:
                    continue
                nd = group[0].get("newdoc")
                prefix = sent_prefix(group[0]["sent_id"])
                if treebank != "gsd" and (nd or prefix) and len(group) >= RU_MIN_SENTENCES:
                    name = nd if isinstance(nd, str) else prefix
                    out.append(ru_record(treebank, split, name, group))
                    continue
                # no document boundaries: consecutive sentences in chunks of RU_CHUNK,
                # a short tail joined to the chunk before it
                chunks = [group[i:i + RU_CHUNK] for i in range(0, len(group), RU_CHUNK)]
                if len(chunks) > 1 and len(chunks[-1]) < RU_MIN_SENTENCES:
                    tail = chunks.pop()
                    chunks[-1] = chunks[-1] + tail
                for chunk in chunks:
                    first, last = (c["sent_id"].removeprefix(f"{split}-")
                                   for c in (chunk[0], chunk[-1]))
                    name = f"{first}-{last}"
                    if treebank == "taiga":
                        name = f"{genre}-{name}"
                    out.append(ru_record(treebank, split, name, chunk))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    shared = Path(ap.parse_args().shared)

    pages = HERE / "pages"
    pages.mkdir(exist_ok=True)
    for src in sorted((shared / "samples").glob("*.txt")):
        shutil.copyfile(src, pages / src.name)

    for name, records in (("uk_nashigroshi.jsonl", build_nashigroshi(shared)),
                          ("uk_bruk_press.jsonl", build_bruk(shared)),
                          ("ru_ud.jsonl", build_ru(shared))):
        ids = [r["id"] for r in records]
        assert len(ids) == len(set(ids)), f"duplicate ids in {name}"
        write_jsonl(HERE / name, records)
        print(f"{name}: {len(records)} documents")


if __name__ == "__main__":
    main()
