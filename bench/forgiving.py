"""Query latency with forgiving search (layout, spelling, name variants) on and off.

    python bench/forgiving.py --index bench/work/speed/ours-para-200000

Runs the same normal queries both ways, interleaved, with the results cache off, and prints
p50/p95 per mode; then times the queries that the forgiving features exist for.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.engine import Engine  # noqa: E402

NORMAL = [
    "бюджет", "президент", "співпраця", "війна", "економіка україни", "державний бюджет",
    "закупівля тендер", "освіта", "соглашение", "москва", "нефть газ", "город", "Київ",
    "школа OR лікарня", "декоративно-прикладное искусство", "выборы президента",
]
FORGIVEN = [  # (query, what it is)
    ("cgsdghfwz", "wrong layout, uk"), ("vjcrdf", "wrong layout, ru"),
    ("президнет", "typo"), ("співпраца", "typo"), ("Запорожье", "ru name of a uk place"),
    ("Zaporizhzhia", "Latin name"), ("Kharkiv", "Latin name"),
]


def p(values, q):
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    eng = Engine(args.index, cache_size=0)
    eng.warm()
    for q in NORMAL:
        eng.search(q), eng.search(q, forgiving=False)
    times = {True: [], False: []}
    for _ in range(args.rounds):
        for q in NORMAL:
            for mode in (True, False):
                started = time.perf_counter()
                eng.search(q, forgiving=mode)
                times[mode].append((time.perf_counter() - started) * 1000)
    print(f"index: {args.index} ({eng.doc_count()} documents), {len(NORMAL)} normal queries "
          f"x {args.rounds} rounds")
    for mode in (False, True):
        print(f"  forgiving {'on ' if mode else 'off'}: p50 {p(times[mode], 50):6.1f} ms  "
              f"p95 {p(times[mode], 95):6.1f} ms")
    print("queries the features are for (forgiving on):")
    for q, what in FORGIVEN:
        started = time.perf_counter()
        res = eng.search(q)
        took = (time.perf_counter() - started) * 1000
        print(f"  {q:15s} {what:22s} {took:7.1f} ms  total {res.total:6d}  "
              f"corrected {res.corrected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
