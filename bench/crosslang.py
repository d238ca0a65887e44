"""Cross-language hit rates: uk→ru, ru→uk and Latin→Cyrillic probes on a mixed news archive.

    python bench/crosslang.py --shared ../shared            # builds bench/work/crosslang/
    python bench/crosslang.py --index DIR --exact            # the same probes, exact=1
    python bench/crosslang.py --index DIR --latency          # cost of the cross-language terms

The archive: 3,000 random RT/NG articles (ru) plus every BRUK and Nashi Groshi text (uk). A probe
is a word and its counterpart in the other language (or a Latin name and its Cyrillic forms),
judged by hand below; it is used only if both occur in the archive. It holds when the query's
top 10 with the language filter set to the other language (for Latin: both), are about the
counterpart: at least one hit, and at least 80 % of them have the counterpart's lemma.
`source` says where the product gets the pair from (list: search/data/news_words.tsv; cldr:
babel's names; places: search/data/places.tsv; rule: the spelling rules; latin: reversed
romanisations; same: spelt alike), so a reader can tell what is circular.
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import search.engine.engine as engine_module  # noqa: E402
from bench.corpora import ru_articles, uk_docs  # noqa: E402
from bench.speed import latency_queries, pct  # noqa: E402
from search.engine import Engine  # noqa: E402
from search.ingest.indexer import reindex  # noqa: E402
from search.morph import lemmas  # noqa: E402
from search.schema import KINDS  # noqa: E402
from search.text import fold, normalize  # noqa: E402

WORK = Path(__file__).resolve().parent / "work" / "crosslang"
RU_DOCS = 3000
HOLDS = 0.8
# (uk, ru, source): judged by hand. "same": spelt alike (a control that needs no cross-language
# help); "none": the product has no source for the pair (expected to fail).
PAIRS = [
    ("Путін", "Путин", "rule"), ("Порошенко", "Порошенко", "same"),
    ("Зеленський", "Зеленский", "rule"), ("Ердоган", "Эрдоган", "rule"),
    ("Янукович", "Янукович", "same"), ("Навальний", "Навальный", "rule"),
    ("Тимошенко", "Тимошенко", "same"), ("Лукашенко", "Лукашенко", "same"),
    ("Меркель", "Меркель", "same"), ("Макрон", "Макрон", "same"), ("Туреччина", "Турция", "cldr"),
    ("Німеччина", "Германия", "cldr"), ("Франція", "Франция", "cldr"), ("Сирія", "Сирия", "cldr"),
    ("Україна", "Украина", "cldr"), ("Росія", "Россия", "cldr"), ("Польща", "Польша", "cldr"),
    ("Японія", "Япония", "cldr"), ("Ізраїль", "Израиль", "cldr"), ("Грузія", "Грузия", "cldr"),
    ("Білорусь", "Беларусь", "cldr"), ("Італія", "Италия", "cldr"), ("Іран", "Иран", "cldr"),
    ("Індія", "Индия", "cldr"), ("Швеція", "Швеция", "cldr"), ("Берлін", "Берлин", "cldr"),
    ("Мінськ", "Минск", "cldr"), ("Варшава", "Варшава", "same"), ("Стамбул", "Стамбул", "same"),
    ("Львів", "Львов", "places"), ("Харків", "Харьков", "places"), ("Одеса", "Одесса", "places"),
    ("Київ", "Киев", "places"), ("вибори", "выборы", "list"), ("санкції", "санкции", "rule"),
    ("війна", "война", "list"), ("уряд", "правительство", "list"), ("рішення", "решение", "list"),
    ("податок", "налог", "list"), ("переговори", "переговоры", "list"),
    ("міністр", "министр", "rule"), ("армія", "армия", "rule"), ("церква", "церковь", "list"),
    ("економіка", "экономика", "rule"), ("нафта", "нефть", "list"), ("зброя", "оружие", "list"),
    ("поліція", "полиция", "rule"), ("лікарня", "больница", "list"),
    ("освіта", "образование", "list"), ("мова", "язык", "list"), ("гроші", "деньги", "list"),
    ("ціна", "цена", "list"), ("угода", "соглашение", "list"), ("кордон", "граница", "list"),
    ("літак", "самолет", "list"), ("пожежа", "пожар", "list"), ("вибух", "взрыв", "list"),
    ("міністерство", "министерство", "rule"), ("територія", "территория", "rule"),
    ("держава", "государство", "list"), ("людина", "человек", "list"),
    ("тиждень", "неделя", "list"), ("місто", "город", "list"), ("криза", "кризис", "list"),
    ("інфляція", "инфляция", "rule"), ("енергетика", "энергетика", "rule"),
    ("молодь", "молодежь", "list"), ("університет", "университет", "rule"),
    ("чемпіонат", "чемпионат", "list"), ("олімпіада", "олимпиада", "rule"),
    ("фільм", "фильм", "rule"), ("письменник", "писатель", "list"), ("історія", "история", "rule"),
    ("дослідження", "исследование", "list"), ("лікар", "врач", "list"),
    ("хвороба", "болезнь", "list"), ("здоров'я", "здоровье", "list"),
    ("епідемія", "эпидемия", "rule"), ("терорист", "террорист", "rule"),
    ("біженець", "беженец", "list"), ("посол", "посол", "same"), ("суддя", "судья", "rule"),
    ("вчений", "ученый", "list"), ("телебачення", "телевидение", "list"),
    ("злочин", "преступление", "list"), ("вбивство", "убийство", "list"),
    ("перемога", "победа", "list"), ("світ", "мир", "list"), ("влада", "власть", "list"),
    ("країна", "страна", "list"), ("підприємство", "предприятие", "list"),
    ("виробництво", "производство", "list"), ("будинок", "дом", "list"),
    ("зустріч", "встреча", "list"), ("питання", "вопрос", "list"), ("відповідь", "ответ", "list"),
    ("заява", "заявление", "list"), ("пенсія", "пенсия", "rule"), ("газета", "газета", "same"),
    ("журналіст", "журналист", "rule"), ("свобода", "свобода", "same"),
    ("незалежність", "независимость", "list"), ("промисловість", "промышленность", "list"),
    ("сільський", "сельский", "rule"), ("європейський", "европейский", "rule"),
    ("російський", "российский", "rule"), ("український", "украинский", "rule"),
    ("міжнародний", "международный", "list"),
]
# (Latin, uk, ru)
LATIN = [
    ("Putin", "Путін", "Путин"), ("Poroshenko", "Порошенко", "Порошенко"),
    ("Zelensky", "Зеленський", "Зеленский"), ("Erdogan", "Ердоган", "Эрдоган"),
    ("Merkel", "Меркель", "Меркель"), ("Yanukovych", "Янукович", "Янукович"),
    ("Tymoshenko", "Тимошенко", "Тимошенко"), ("Lavrov", "Лавров", "Лавров"),
    ("Navalny", "Навальний", "Навальный"), ("Gazprom", "Газпром", "Газпром"),
    ("Rosneft", "Роснефть", "Роснефть"), ("Naftogaz", "Нафтогаз", "Нафтогаз"),
    ("Medvedev", "Медведєв", "Медведев"), ("Shoigu", "Шойгу", "Шойгу"),
    ("Peskov", "Пєсков", "Песков"), ("Lukashenko", "Лукашенко", "Лукашенко"),
    ("Macron", "Макрон", "Макрон"), ("Trump", "Трамп", "Трамп"), ("Obama", "Обама", "Обама"),
    ("Kyiv", "Київ", "Киев"), ("Kharkiv", "Харків", "Харьков"), ("Odesa", "Одеса", "Одесса"),
    ("Moscow", "Москва", "Москва"), ("Germany", "Німеччина", "Германия"),
    ("Syria", "Сирія", "Сирия"), ("Turkey", "Туреччина", "Турция"),
    ("France", "Франція", "Франция"), ("Israel", "Ізраїль", "Израиль"),
    ("Poland", "Польща", "Польша"), ("Berlin", "Берлін", "Берлин"),
    ("Washington", "Вашингтон", "Вашингтон"), ("Crimea", "Крим", "Крым"),
]


def build(shared: str, index: Path) -> None:
    """The mixed archive, written once as JSON lines and indexed with the product's indexer."""
    src = index.parent / "src"
    src.mkdir(parents=True, exist_ok=True)
    ru = ru_articles(shared)
    random.Random(17).shuffle(ru)
    with (src / "ru.jsonl").open("w", encoding="utf-8") as f:
        for r in ru[:RU_DOCS]:
            f.write(json.dumps({"id": f"ru-{r['id']}", "title": r.get("title") or "",
                                "text": r["text"], "lang": "ru"}, ensure_ascii=False) + "\n")
    with (src / "uk.jsonl").open("w", encoding="utf-8") as f:
        for r in uk_docs(shared, ("uk_bruk_docs", "uk_nashigroshi_docs")):
            f.write(json.dumps({"id": f"{r['corpus']}-{r['id']}", "title": r.get("title") or "",
                                "text": r["text"], "lang": "uk"}, ensure_ascii=False) + "\n")
    reindex(index, [src])


def having(searcher, word: str, lang: str) -> set[str]:
    """Ids of the documents whose lang fields have any reading of word."""
    reader, out = searcher.reader(), set()
    for term in lemmas(fold(normalize(word)), lang):
        for kind in KINDS:
            field = f"{kind}_{lang}"
            if (field, term) in reader:
                for docnum in reader.postings(field, term).all_ids():
                    out.add(searcher.stored_fields(docnum)["id"])
    return out


def probe(eng, s, query, wanted: dict[str, str], exact: bool) -> bool | None:
    """True/False: the probe holds or not; None: not usable here (a side absent)."""
    about = {lang: having(s, w, lang) for lang, w in wanted.items()}
    if not all(about.values()):
        return None
    hits = eng.search(query, per_page=10, langs=tuple(wanted), forgiving=not exact).hits
    good = sum(h.id in about[h.lang] for h in hits)
    return bool(hits) and good >= HOLDS * len(hits)


def latency(eng, shared: str, rounds: int) -> None:
    """The latency queries (bench/speed.py) with cross-language terms on and off, interleaved
    query by query in one process (forgiving search on in both; results cache off)."""
    path = latency_queries(shared, WORK / "latency-queries.jsonl", 40)
    queries = [json.loads(line)["query"] for line in path.read_text().splitlines() if line]
    queries += [p[0] for p in PAIRS] + [p[0] for p in LATIN]
    real = engine_module.parse_query
    modes = {"cross on": real,
             "cross off": lambda *a, **k: real(*a, **{**k, "crosslang": False})}
    times: dict[str, list[float]] = {m: [] for m in modes}
    for q in queries:  # warm: dictionaries, CLDR tables, vocabularies
        eng.search(q)
    for _ in range(rounds):
        for q in queries:
            for mode, parse in modes.items():
                engine_module.parse_query = parse
                t0 = time.perf_counter()
                eng.search(q)
                times[mode].append((time.perf_counter() - t0) * 1000)
    engine_module.parse_query = real
    print(f"{len(queries)} queries x {rounds} rounds, {eng.doc_count()} documents")
    print("| mode | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|")
    for mode, t in times.items():
        t.sort()
        print(f"| {mode} | {pct(t, 50):.1f} | {pct(t, 95):.1f} | {pct(t, 99):.1f} |")
    on, off = sorted(times["cross on"]), sorted(times["cross off"])
    print(f"p95 ratio on/off: {pct(on, 95) / pct(off, 95):.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--index", default=str(WORK / "index"))
    ap.add_argument("--exact", action="store_true", help="search with exact=1 (no cross)")
    ap.add_argument("--json", default="", help="write the per-probe results here")
    ap.add_argument("--latency", action="store_true", help="time cross-language terms on/off")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    index = Path(args.index)
    if not index.is_dir() or not any(index.iterdir()):
        t0 = time.perf_counter()
        build(args.shared, index)
        print(f"built {index} in {time.perf_counter() - t0:.0f} s")
    eng = Engine(index, cache_size=0)
    if args.latency:
        latency(eng, args.shared, args.rounds)
        return 0
    s = eng.searcher()
    rows = []
    for uk, ru, source in PAIRS:
        rows.append(("uk→ru", uk, source, probe(eng, s, uk, {"ru": ru}, args.exact)))
        rows.append(("ru→uk", ru, source, probe(eng, s, ru, {"uk": uk}, args.exact)))
    for latin, uk, ru in LATIN:
        rows.append(("Latin→Cyrillic", latin, "latin",
                     probe(eng, s, latin, {"uk": uk, "ru": ru}, args.exact)))
    print(f"index: {index} ({eng.doc_count()} documents); exact={int(args.exact)}")
    print("| direction | probes usable | hold | hit rate |")
    print("|---|---|---|---|")
    for direction in ("uk→ru", "ru→uk", "Latin→Cyrillic"):
        used = [r for r in rows if r[0] == direction and r[3] is not None]
        held = sum(r[3] for r in used)
        print(f"| {direction} | {len(used)} | {held} | {held / max(1, len(used)):.2f} |")
    print("by source (both directions; list: also in the product's data, so circular):")
    for source in sorted({r[2] for r in rows}):
        used = [r for r in rows if r[2] == source and r[3] is not None]
        print(f"  {source}: {sum(r[3] for r in used)}/{len(used)}")
    failed = [f"{d} {q}" for d, q, _, ok in rows if ok is False]
    print("failed:", ", ".join(failed) or "none")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
