"""Matching benchmark: quality and speed of the probabilistic pass, speed of the exact
pass, with the Python Record Linkage Toolkit as the baseline on the same data.

    .venv/bin/python benchmarks/matching.py [--persons P] [--rows L] [--seed S]
                                            [--exact N] [--skip-baseline] [--engine spark]
    .venv/bin/python benchmarks/matching.py --scale exact --persons 10000000 --rows 10000000
    .venv/bin/python benchmarks/matching.py --scale probabilistic --persons 1000000 --rows 1000000

Quality: a registry of P generated persons (common surnames and given-name characters,
birth dates 1940–2015, sex, a county among 40), and a department list of L rows
without ID numbers: 70 % are registry persons with known corruptions — a homophone
character (same pinyin), a variant character (异体字/traditional form), month and day
swapped, two birth-date digits transposed, one birth-date digit mistyped, the sex or
the region missing — and 30 % are persons not in the registry (some sharing a name or
a birth date with one who is). Precision, recall and F1 of the pairs each side calls
a match (yangguang: probable or review; the baseline: its rule's score over the same
comparisons, best pair per row) are printed with each one's wall time.

``--engine spark`` runs the probabilistic pass on Spark (local mode, ``core.spark``)
as well, on the same data after DuckDB: its scores and time beside DuckDB's (the
baseline in the same run), their ratio and whether every row got the same person.

Speed of the exact pass: N keyed hashes (HMAC-SHA256 under an exchange key, as a
hashed list's) computed for a registry of N and joined with a list of N (half of
them present), as `matching run` does for a hashed list, timed.

Prints one JSON line at the end. No database is used: both passes are the same
functions ``matching run`` calls (``linking.link``, ``exchange.Hasher``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yangguang.settings")

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬建国志强永红"
         "海峰云鹏飞辉凤兰春梅金花文斌俊宇浩然子涵欣怡梓轩雨桐思远晓东晓燕丽娟淑珍德明学文"
         "立新光明振华喆哲坤昇升宁清锋峰")
COUNTIES = [f"{p}{c:02d}" for p in ("1409", "6101", "6229", "6301", "3707") for c in range(1, 9)]


def _pinyin_pool():
    from pypinyin import lazy_pinyin

    by_sound: dict[str, list[str]] = {}
    for ch in set(SURNAMES + GIVEN):
        by_sound.setdefault(lazy_pinyin(ch)[0], []).append(ch)
    return by_sound


def make_data(persons: int, rows: int, seed: int):
    from yangguang.matching import names
    from yangguang.matching.linking import Record

    rng = random.Random(seed)
    sounds = _pinyin_pool()
    from pypinyin import lazy_pinyin
    variant_of = {}
    for variant, standard in names.variants().items():
        variant_of.setdefault(standard, variant)

    def person(key: int) -> Record:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(27_000))
        return Record(key, name, rng.choice((1, 2)), birth, rng.choice(COUNTIES) + "100001")

    registry = [person(i) for i in range(persons)]

    def homophone(name: str) -> str:
        i = rng.randrange(len(name))
        others = [c for c in sounds.get(lazy_pinyin(name[i])[0], []) if c != name[i]]
        return name[:i] + rng.choice(others) + name[i + 1:] if others else name

    def variant(name: str) -> str:
        for i, ch in enumerate(name):
            if ch in variant_of:
                return name[:i] + variant_of[ch] + name[i + 1:]
        return homophone(name)

    def birth_text(day: dt.date) -> str:
        return day.isoformat()

    def transpose(day: dt.date) -> dt.date:
        for _ in range(10):
            text = list(day.strftime("%Y%m%d"))
            i = rng.randrange(4, 7)
            text[i], text[i + 1] = text[i + 1], text[i]
            try:
                return dt.datetime.strptime("".join(text), "%Y%m%d").date()
            except ValueError:
                continue
        return day

    def typo(day: dt.date) -> dt.date:
        for _ in range(10):
            text = list(day.strftime("%Y%m%d"))
            i = rng.randrange(2, 8)
            text[i] = str(rng.randrange(10))
            try:
                return dt.datetime.strptime("".join(text), "%Y%m%d").date()
            except ValueError:
                continue
        return day

    corruptions = ["none", "homophone", "variant", "swap", "transpose", "typo", "no_sex", "no_region"]
    truth: dict[int, int] = {}
    listed = []
    picked = rng.sample(range(persons), int(rows * 0.7))
    for key, pk in enumerate(picked, start=1_000_000_000):
        p = registry[pk]
        kind = rng.choice(corruptions)
        name, sex, birth, region = p.name, p.sex, p.birth_date, p.region[:6]
        if kind == "homophone":
            name = homophone(name)
        elif kind == "variant":
            name = variant(name)
        elif kind == "swap" and birth.day <= 12 and birth.day != birth.month:
            birth = dt.date(birth.year, birth.day, birth.month)
        elif kind == "transpose":
            birth = transpose(birth)
        elif kind == "typo":
            birth = typo(birth)
        elif kind == "no_sex":
            sex = None
        elif kind == "no_region":
            region = ""
        listed.append(Record(key, name, sex, birth, region))
        truth[key] = pk
    for key in range(2_000_000_000, 2_000_000_000 + rows - len(picked)):
        other = person(key)
        if rng.random() < 0.3:  # a namesake of a registry person, born another day
            twin = rng.choice(registry)
            other = Record(key, twin.name, other.sex, other.birth_date, other.region[:6])
        listed.append(other)
    rng.shuffle(listed)
    return registry, listed, truth


def scores(predicted: dict[int, int], truth: dict[int, int]) -> dict[str, float]:
    tp = sum(1 for row, pk in predicted.items() if truth.get(row) == pk)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "predicted": len(predicted)}


def run_yangguang(registry, listed, engine="duckdb"):
    from yangguang.matching import linking

    started = time.perf_counter()
    links = linking.link(listed, registry, engine)
    seconds = time.perf_counter() - started
    return {row: lk.person_key for row, lk in links.items()}, seconds


def baseline_frame(keys, names_, births, sexes, regions):
    """The baseline's table: name, its pinyin (once per distinct name), birth date as
    ISO text, sex, the region's county code."""
    import pandas as pd

    from yangguang.matching import names

    frame = pd.DataFrame({"name": names_, "birth": births, "sex": sexes,
                          "region": [(r or "")[:6] or None for r in regions]}, index=keys)
    distinct = frame["name"].dropna().unique()
    frame.insert(1, "pinyin", frame["name"].map(dict(zip(distinct, map(names.pinyin, distinct), strict=True))))
    return frame


def baseline_link(left, right) -> dict[int, int]:
    """recordlinkage 0.16: index by blocking on the birth date and on the pinyin (the
    same blocks Splink uses), compare with its own string and exact comparators, and
    call a pair a match when its summed score reaches 3 of 4 (best pair per row)."""
    import recordlinkage

    indexer = recordlinkage.Index()
    indexer.block("birth")
    indexer.block("pinyin")
    pairs = indexer.index(left, right)
    compare = recordlinkage.Compare()
    compare.string("pinyin", "pinyin", method="jarowinkler", threshold=0.92, label="name")
    compare.string("birth", "birth", method="levenshtein", threshold=0.85, label="birth")
    compare.exact("sex", "sex", label="sex")
    compare.exact("region", "region", label="region")
    features = compare.compute(pairs, left, right)
    total = features.sum(axis=1)
    chosen = total[total >= 3].sort_values(ascending=False)
    predicted: dict[int, int] = {}
    for (row, pk), _score in chosen.items():
        predicted.setdefault(int(row), int(pk))
    return predicted


def run_baseline(registry, listed):
    def frame(records):
        return baseline_frame([r.key for r in records], [r.name for r in records],
                              [r.birth_date.isoformat() if r.birth_date else None for r in records],
                              [r.sex for r in records], [r.region for r in records])

    started = time.perf_counter()
    predicted = baseline_link(frame(listed), frame(registry))
    return predicted, time.perf_counter() - started


def exact_speed(n: int, seed: int) -> dict[str, float]:
    from yangguang.matching.exchange import Hasher

    rng = random.Random(seed)
    numbers = [f"{rng.randrange(10**16, 10**17):017d}X" for _ in range(n)]
    hasher = Hasher(os.urandom(32))
    started = time.perf_counter()
    registry = {hasher.of_normalised(number): i for i, number in enumerate(numbers)}
    hashed = time.perf_counter() - started
    listed = [hasher.of_normalised(number) for number in numbers[: n // 2]] + [
        hasher.of_normalised(f"{rng.randrange(10**16, 10**17):017d}0") for _ in range(n - n // 2)]
    started = time.perf_counter()
    found = sum(1 for digest in listed if digest in registry)
    joined = time.perf_counter() - started
    return {"n": n, "hash_registry_s": round(hashed, 2), "join_s": round(joined, 2), "found": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--exact", type=int, default=1_000_000)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="spark: the probabilistic pass on Spark too (quality mode and --scale probabilistic)")
    parser.add_argument("--scale", choices=("exact", "probabilistic"),
                        help="the scale benchmarks (benchmarks/matching_scale.py): --persons and --rows "
                             "set the sizes")
    parser.add_argument("--baseline-rows", type=int, default=20_000,
                        help="--scale probabilistic: the baseline's rows (its time extrapolated)")
    parser.add_argument("--database", default="yg_match_scale",
                        help="--scale exact: the PostgreSQL database (created, kept for the next run)")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/")
    args = parser.parse_args()
    if args.scale:
        import matching_scale

        sys.exit(matching_scale.main(args))
    import django

    django.setup()
    registry, listed, truth = make_data(args.persons, args.rows, args.seed)
    predicted, seconds = run_yangguang(registry, listed)
    result = {"persons": args.persons, "rows": args.rows,
              "yangguang": {**scores(predicted, truth), "seconds": round(seconds, 2)}}
    print(f"yangguang (Splink/DuckDB): {result['yangguang']}", flush=True)
    if args.engine == "spark":
        from yangguang.core import spark

        started = time.perf_counter()
        spark.session()
        start_s = time.perf_counter() - started
        on_spark, spark_s = run_yangguang(registry, listed, "spark")
        result["spark"] = {**scores(on_spark, truth), "seconds": round(spark_s, 2),
                           "session_start_s": round(start_s, 2),
                           "ratio_to_duckdb": round(spark_s / seconds, 2),
                           "same_as_duckdb": on_spark == predicted}
        print(f"yangguang (Splink/Spark, local): {result['spark']}", flush=True)
    if not args.skip_baseline:
        predicted, seconds = run_baseline(registry, listed)
        result["recordlinkage"] = {**scores(predicted, truth), "seconds": round(seconds, 2)}
        print(f"recordlinkage baseline:   {result['recordlinkage']}", flush=True)
    if args.exact:
        result["exact"] = exact_speed(args.exact, args.seed)
        print(f"exact pass (keyed hashes): {result['exact']}", flush=True)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
