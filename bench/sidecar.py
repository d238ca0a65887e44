"""What the postings arrays written beside each segment cost and save.

    python bench/sidecar.py --docs 3000 --rounds 2

Builds the same documents with Whoosh's codec and with ours (ArraysCodec), alternating, and
reports indexing wall and CPU time and size on disk; then reads the postings of the terms the
latency queries use, from Whoosh's blocks and from the arrays, per 10k postings.
"""

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from whoosh.codec.whoosh3 import W3Codec  # noqa: E402

from bench.engines import dir_size  # noqa: E402
from bench.report import WORK, table, write_json  # noqa: E402
from bench.speed import latency_queries, paragraphs  # noqa: E402
from search.engine import arrays  # noqa: E402
from search.engine.sidecar import open_sidecar  # noqa: E402
from search.ingest import store  # noqa: E402
from search.ingest.indexer import document_fields  # noqa: E402
from search.query.parse import parse_query  # noqa: E402


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def build(docs, path: Path, codec) -> dict:
    store.switch(path, store.new_generation(path))
    ix = store.open_current(path)
    t0, c0 = time.perf_counter(), cpu()
    w = ix.writer(limitmb=256, codec=codec)
    for doc in docs:
        w.add_document(**document_fields(doc, "bench", ""))
    w.commit()
    return {"wall_s": time.perf_counter() - t0, "cpu_s": cpu() - c0, "bytes": dir_size(path)}


def reads(path: Path, queries: list[str]) -> dict:
    """Seconds to read every query term's postings from blocks, and from the arrays."""
    ix = store.open_current(path)
    s = ix.searcher()
    reader = s.leaf_searchers()[0][0].ixreader
    terms = {(t.field, t.text) for q in queries
             for c in parse_query(q, reader=s.reader()).plan.clauses
             for t in [*c.terms, *(t for p in c.phrases for step in p for t in step)]}
    out = {"terms": len(terms)}
    sidecar = open_sidecar(reader)
    for name, read in [("blocks", lambda f, t: arrays.read_postings(reader, f, t)),
                       ("arrays", sidecar.postings)]:
        t0, postings = time.perf_counter(), 0
        for field, text in sorted(terms):
            got = read(field, text)
            postings += len(got[0]) if got is not None else 0
        out[name] = {"s": time.perf_counter() - t0, "postings": postings}
    s.close()
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-json", action="store_true")
    args = ap.parse_args(argv)
    docs = paragraphs(args.shared, args.docs)
    queries = [json.loads(line)["query"] for line in latency_queries(
        args.shared, WORK / "querysets" / "speed-full.jsonl", 100).read_text().splitlines()]
    runs = {"whoosh": [], "arrays": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):  # alternate, so that load on the machine hits both
            for name, codec in ([("whoosh", W3Codec()), ("arrays", store.codec())]
                                if r % 2 == 0 else [("arrays", store.codec()),
                                                    ("whoosh", W3Codec())]):
                runs[name].append(build(docs, Path(tmp) / f"{name}-{r}", codec))
        read = reads(Path(tmp) / "arrays-0", queries)
    rows = []
    for name, rs in runs.items():
        rows.append([name, len(docs), round(min(r["wall_s"] for r in rs), 1),
                     round(min(r["cpu_s"] for r in rs), 1), round(rs[0]["bytes"] / 2**20, 1)])
    ratio = rows[1][3] / rows[0][3]
    per10k = {k: round(read[k]["s"] / max(read[k]["postings"], 1) * 1e4 * 1000, 2)
              for k in ("blocks", "arrays")}
    text = (table(["codec", "docs", "best wall s", "best CPU s", "MiB"], rows)
            + f"\nindexing CPU with arrays / without: {ratio:.2f}"
            + f"\nreading {read['terms']} query terms ({read['blocks']['postings']} postings): "
            f"blocks {per10k['blocks']} ms, arrays {per10k['arrays']} ms per 10k postings")
    print(text)
    if not args.no_json:
        write_json("sidecar", {"runs": runs, "reads": read, "tables": text})


if __name__ == "__main__":
    main()
