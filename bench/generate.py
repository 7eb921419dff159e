"""Synthetic 分工表 plans for the benchmarks, and cached databases built from them.

Everything here is deterministic (seeded): the same size always gives the same files,
byte for byte, so figures from different runs and machines describe the same data.

A data set of ``N`` items is written as one or more plan files in the seed's text
format (``附件``, the title with its year, a blank line, the five-cell header, then
rows of six tab-prefixed cells separated by blank lines, merged cells left empty,
the category row repeated after a "page break"). The text is built from the seed's
own vocabulary: its categories, key tasks, content clauses and responsible units,
plus every deadline form of the domain notes.

Sizes above 47 are split over several plans (the district's 2025, 2024 and 2023
plans, then township and department plans of 2024). The newest plan, the one the
app opens, holds half of the items, so the tree, search and the progress counts
work on as large a plan as the data set allows.

Usage::

    python bench/generate.py 47 1000 --out DIR     # write the plan files
    python bench/generate.py 10000 --db            # build (or reuse) the cached database
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GENERATOR_VERSION = 1
"""Bump when the generated text changes, so cached databases are rebuilt."""
SEED = 20230815
"""The random seed of every data set."""
SIZES = (47, 1_000, 10_000, 100_000)
"""The sizes the benchmark runs at."""
IMPORT_SIZE = 10_000
"""The size of the single plan file the import benchmark reads."""

MAIN_TITLE = "{year}年全区政务公开工作要点分工表"
OTHER_PLANS = (
    (2024, "2024年全区政务公开工作要点分工表"),
    (2023, "2023年全区政务公开工作要点分工表"),
    (2024, "2024年东城街道政务公开工作要点分工表"),
    (2024, "2024年区教育局政务公开工作要点分工表"),
    (2024, "2024年区卫健局政务公开工作要点分工表"),
    (2024, "2024年北山镇政务公开工作要点分工表"),
)
"""The plans after the main (newest) one; they sort after it (older, or same year)."""

# --- Vocabulary ---------------------------------------------------------------------------
# Taken from the 2023 通川区 seed plan (categories, key tasks, units) and the domain notes.

CATEGORIES = (
    ("1", "加大主动公开力度"),
    ("2", "推进政务公开提质增效"),
    ("3", "深化政务公开促进基层政府治理能力提升"),
    ("4", "加强平台载体信息化建设"),
    ("5", "夯实工作基础"),
)
KEY_TASKS = (
    (
        "深入推进“三城三地三片区”战略定位信息公开",
        "深入推进教育科技人才支撑信息公开",
        "深入推进民生保障信息公开",
        "深入推进政府自身建设信息公开",
    ),
    (
        "做好专栏内容保障工作",
        "加强涉企政策公开服务",
        "提高政策解读回应质量",
        "高效办理依申请公开",
        "切实提高群众关切回应实效",
        "防范化解重大舆情风险",
    ),
    ("提升基层治理质效", "全面完成基层政务公开标准化规范化任务"),
    ("大力提升政府网站信息化建管水平", "优化完善政务新媒体运维管理机制"),
    (
        "强化保密和安全管理",
        "加强监督管理",
        "深入开展调查研究",
        "切实做好各类保障",
        "加强工作宣传",
    ),
)
TOPICS = (
    "乡村振兴",
    "医疗卫生",
    "生态环境",
    "安全生产",
    "食品药品",
    "社会救助",
    "养老服务",
    "稳岗就业",
    "涉农补贴",
    "公共文化服务",
    "住房保障",
    "义务教育",
    "重大建设项目",
    "财政预决算",
    "行政执法",
)
KEY_TASK_TEMPLATES = (
    "深入推进{topic}领域信息公开",
    "做好{topic}政策解读和回应关切",
    "加强{topic}信息发布",
    "规范{topic}领域基层政务公开",
)
CLAUSES = (
    "聚焦推动经济运行整体好转",
    "及时公开重大项目、重大平台、全面深化改革等信息",
    "及时发布提振内需促进消费恢复等方面政策及实施情况",
    "做好积极扩大有效投资相关规划和政策文件公开",
    "深化“放管服”改革优化营商环境",
    "推进学前教育普及普惠、义务教育优质均衡信息公开",
    "围绕深入实施创新驱动发展战略，主动公开相关政策",
    "深入推进面向高校毕业生、农民工、退役军人等重点群体的就业专项活动及支持政策公开",
    "加强重大传染病防控、改善群众就医体验、健康科普等信息发布",
    "加大空气质量、饮用水源地水质等生态环保信息公开力度",
    "加强“一老一小”服务保障、社会救助、医疗保险等重点民生政策推送",
    "及时公开人大代表建议和政协委员提案办理结果",
    "决策过程中公开征求群众意见结束后，1个月内发布意见采纳情况",
    "扎实推进财政预决算公开，完善公开参考样表",
    "相关被审计单位要主动、全面公开整改结果",
    "推动各领域“双随机、一公开”监管抽查事项清单、抽查结果以及行政处罚决定公开",
    "完善行政规范性文件动态更新机制，标注行政规范性文件有效性",
    "健全专栏内容保障定期检查更新机制",
    "重点公开乡村振兴、教育、医疗、社会保险、助企纾困等本地区政策、措施及其实施情况",
    "重大建设项目批准实施领域全流程公开项目批准服务、批准结果、招投标等信息",
    "走出去、送上门，加强信息公开服务，提高政策透明度和获取便利度",
    "充分发挥行业协会商会的优势和桥梁纽带作用，加强政策辅导、咨询解答和培训交流工作",
    "严格落实政策性文件与解读方案、解读材料同步组织、同步审签、同步部署“三同步”工作机制",
    "建设政策咨询库，对现行有效政策文件予以分解提炼",
    "及时更新政府信息公开指南，拓展线上线下政府信息公开申请接收渠道，杜绝超期回复",
    "完善依申请公开办理中的法制审核流程，充分发挥政府法律顾问、公职律师作用",
    "优化完善群众诉求办理回应管理制度，健全评价机制",
    "聚焦群众反映的热点、难点、堵点问题，深化部门协作，形成工作合力",
    "加强对政策发布及施行情况的舆情监测，提前做好应对预案",
    "进一步完善突发事件舆论引导机制，强化舆论阵地意识，正确引导社会舆论",
    "对标“四公开一建设”任务，补齐短板，探索打造特色亮点",
    "提档升级政务公开专区功能，群众办事更加方便快捷",
    "动态调整基层政务公开事项目录，并在区政府门户网站公开",
    "加快推进内容整合，建设本地“数字政府”专区",
    "建设分类分级、集中统一、共享共用、动态更新的政策文件库",
    "加大政府网站监测频次，严格落实政府信息“三审”制度",
    "严格落实管办责任，加强内容建设和保障，畅通互动服务渠道",
    "组织开展第三方评估，提升评估的公平性、专业性和规范性",
    "开展政务新媒体专项清理，杜绝政务新媒体账号瞒报漏报和监管体外运行",
    "建立健全公开与保密审查工作机制，严格按照公开前“三审”程序",
    "梳理形成本辖区、本单位工作台账，明确责任单位和时限要求",
    "定期清理已经过时、失效的内容，做好信息归档工作",
    "常态化开展调查研究，听取意见建议，帮助解决困难，总结提炼典型经验",
    "根据人员变动情况及时调整完善政务公开领导小组",
    "健全常态化跟班轮训制度，每年至少组织1次政务公开专题培训",
    "撰写高质量政务公开工作信息，积极主动在国、省级公开平台发布",
)
CONCRETE_UNITS = (
    "区发改局",
    "区经信局",
    "区自然资源局",
    "区商务局",
    "区农业农村局",
    "区乡村振兴局",
    "区财政局",
    "区税务局",
    "区行政审批局",
    "区教育局",
    "区应急管理局",
    "区科技局",
    "区人社局",
    "区退役军人局",
    "区农民工服务中心",
    "区卫健局",
    "通川生态环境局",
    "区民政局",
    "区医保局",
    "区住建局",
    "区交运局",
    "区国资中心",
    "区审计局",
    "区市场监管局",
    "区司法局",
    "区公共资源交易中心",
    "区口岸物流中心",
    "区金融办",
    "区政府信息公开管理中心",
    "区政府办公室",
    "区委网信办",
    "区信访局",
    "区档案馆",
    "区图书馆",
    "区公安分局",
    "区文体旅游局",
    "区统计局",
    "区综合行政执法局",
    "区保密局",
    "东城街道",
    "西城街道",
    "北山镇",
    "罗江镇",
    "蒲家镇",
)
COLLECTIVES = (
    "各乡镇街委",
    "区政府工作部门",
    "区级各部门（单位）",
    "区政府相关工作部门",
    "被审计区级部门（单位）",
    "牵头职能部门",
)
DEADLINE_FORMS = (
    # (text, weight); "{y}" is the plan's year, "{p}" the year before.
    ("及时公开", 22),
    ("长期坚持", 10),
    ("持续推进", 3),
    ("常态化", 2),
    ("适时办理", 2),
    ("适时开展", 1),
    ("12月31日", 7),
    ("8月31日", 3),
    ("6月30日", 2),
    ("{y}年6月底前", 1),
    ("6月底前", 2),
    ("年底前", 2),
    ("11月中旬", 1),
    ("{p}年6月", 1),
    ("每季度", 2),
    ("每月25日前", 2),
    ("每年3月31日前", 1),
    ("信息形成之日起20个工作日内", 2),
    ("收到申请之日起15个工作日内", 1),
    ("根据上级部署", 1),
    ("另行通知", 1),
)
"""Every deadline form of the domain notes, weighted roughly as in the seed."""
DEADLINE_KINDS = ("date", "standing", "as_needed", "recurring", "relative", "unknown")
"""The deadline kinds every data set contains (``tracker.domain.deadlines.DeadlineKind`` values)."""


@dataclass(frozen=True)
class PlanSpec:
    """One plan file of a data set."""

    year: int
    title: str
    items: int
    file_name: str


def plan_specs(size: int) -> list[PlanSpec]:
    """How a data set of ``size`` items is split into plans (the main plan first)."""
    if size <= 100:
        count = 1
    elif size <= 1_000:
        count = 3
    elif size <= 10_000:
        count = 4
    else:
        count = 7
    main = size if count == 1 else size // 2
    rest = size - main
    others = [rest // (count - 1) + (1 if i < rest % (count - 1) else 0) for i in range(count - 1)]
    specs = [PlanSpec(2025, MAIN_TITLE.format(year=2025), main, f"n{size}-1-2025-main.txt")]
    for i, ((year, title), items) in enumerate(zip(OTHER_PLANS, others, strict=False), start=2):
        specs.append(PlanSpec(year, title, items, f"n{size}-{i}-{year}-plan{i}.txt"))
    return specs


def _key_task_titles(rng: random.Random, category: int, count: int) -> list[str]:
    titles = list(KEY_TASKS[category])
    rng.shuffle(titles)
    titles = titles[:count]
    while len(titles) < count:
        title = rng.choice(KEY_TASK_TEMPLATES).format(topic=rng.choice(TOPICS))
        if title not in titles:
            titles.append(title)
    return titles


def _content(rng: random.Random, serial: int) -> str:
    clauses = rng.sample(CLAUSES, rng.choice((1, 2, 2, 3, 3, 4, 6)))
    text = "，".join(clauses) + "。"
    if rng.random() < 0.3:
        text += f"（第{serial}项）"
    return text


def _units(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:  # collectives only: 区政府工作部门，各乡镇街委。
        return "，".join(rng.sample(COLLECTIVES[:4], rng.choice((1, 2)))) + "。"
    names = rng.sample(CONCRETE_UNITS, rng.choice((1, 1, 2, 3, 4, 5, 8)))
    if roll < 0.22:  # explicit lead and cooperating units
        return f"{names[0]}牵头，{'、'.join(names[1:] or [rng.choice(COLLECTIVES[:2])])}配合。"
    cell = "、".join(names)
    if rng.random() < 0.5:
        cell += "等部门（单位）"
    extra = rng.random()
    if extra < 0.6:
        cell += "，各乡镇街委"
    elif extra < 0.7:
        cell += "，区政府信息公开管理中心，各乡镇街委"
    elif extra < 0.75:
        cell += "、被审计区级部门（单位）"
    return cell + ("。" if rng.random() < 0.8 else "")


def _deadline_cycle(rng: random.Random, count: int, year: int) -> list[str]:
    """``count`` deadlines: every form once (shuffled), then drawn by weight."""
    forms = [text for text, _ in DEADLINE_FORMS]
    weights = [weight for _, weight in DEADLINE_FORMS]
    first = forms[:]
    rng.shuffle(first)
    chosen = first[:count] + rng.choices(forms, weights, k=max(0, count - len(first)))
    return [text.format(y=year, p=year - 1) for text in chosen]


def _split_counts(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` positive, uneven counts (summing to ``total``)."""
    if total < parts:
        return [1] * total + [0] * (parts - total)
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    scale = (total - parts) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


def plan_text(spec: PlanSpec, seed: int = SEED) -> str:
    """The text of one plan file in the seed's format."""
    rng = random.Random(f"{seed}/{spec.year}/{spec.title}/{spec.items}")
    lines = [
        "附件",
        spec.title,
        "",
        "\t序号",
        "\t工作任务",
        "\t重点工作任务",
        "\t责任单位",
        "\t完成时限",
    ]
    key_tasks_per_category = 4
    counts = _split_counts(rng, spec.items, len(CATEGORIES) * key_tasks_per_category)
    deadlines = _deadline_cycle(rng, spec.items, spec.year)
    serial = 0
    for c, (no, category) in enumerate(CATEGORIES):
        titles = _key_task_titles(rng, c, key_tasks_per_category)
        for k, title in enumerate(titles):
            n = counts[c * key_tasks_per_category + k]
            for i in range(n):
                first_of_category = k == 0 and i == 0
                page_break = i == 0 and k > 0 and rng.random() < 0.3
                repeat = first_of_category or page_break
                cells = [
                    no if repeat else "",
                    category if repeat else "",
                    title if i == 0 else "",
                    _content(rng, serial + 1),
                    _units(rng),
                    deadlines[serial],
                ]
                serial += 1
                lines.append("")
                lines.extend("\t" + cell for cell in cells)
    lines.append(" ")  # the seed ends with a stray cell holding a space
    return "\n".join(lines) + "\n"


def write_plans(size: int, out: Path, seed: int = SEED) -> list[Path]:
    """Write the plan files of a data set of ``size`` items into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in plan_specs(size):
        path = out / spec.file_name
        text = plan_text(spec, seed)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_import_plan(out: Path, size: int = IMPORT_SIZE, seed: int = SEED) -> Path:
    """Write the single plan file of ``size`` items that the import benchmark reads."""
    out.mkdir(parents=True, exist_ok=True)
    spec = PlanSpec(2026, "2026年全区政务公开工作要点分工表", size, f"import-{size}.txt")
    path = out / spec.file_name
    text = plan_text(spec, seed)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


# --- Cached databases -----------------------------------------------------------------------


def cache_dir() -> Path:
    """Where generated files and built databases are kept (outside the repository).

    ``TRACKER_BENCH_CACHE`` overrides the default ``~/.cache/tracker-bench``.
    """
    base = os.environ.get("TRACKER_BENCH_CACHE") or Path.home() / ".cache" / "tracker-bench"
    return Path(base)


@lru_cache(maxsize=1)
def _source_fingerprint() -> str:
    """A hash of the tracker code that shapes a database (schema, import, derivation).

    Computed once per process, so a run keeps using the databases it started with even
    if the source changes while it runs.
    """
    import tracker

    src = Path(tracker.__file__).parent
    digest = hashlib.sha256(f"generator {GENERATOR_VERSION} seed {SEED}".encode())
    # Everything that shapes a stored database: the store package, the plan reader and the
    # domain rules (a schema migration or a new derived column rebuilds the cached files).
    for folder in ("store", "importers", "domain"):
        for path in sorted((src / folder).rglob("*.py")):
            digest.update(path.relative_to(src).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def build_db(size: int, log=None) -> Path:
    """The pristine database of a data set (built once, then reused from the cache).

    The database is built by importing the plan files with ``Store.import_plan``, as
    ``tracker import`` does. Benchmarks that write should work on a copy
    (:func:`working_copy`).
    """
    folder = cache_dir() / _source_fingerprint()
    target = folder / f"tracker-{size}.db"
    if target.exists():
        return target
    from tracker.importers.parser import read_plan_file
    from tracker.store import Store

    plans = write_plans(size, cache_dir() / "plans")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".tracker-{size}.", suffix=".db", dir=folder)
    os.close(fd)
    os.unlink(tmp_name)
    started = time.perf_counter()
    store = Store.open(tmp_name)
    try:
        # Bulk build: the benchmark's data, not a clerk's, so skip the per-commit fsync.
        store.db.execute("PRAGMA synchronous = OFF")
        for path in plans:
            store.import_plan(read_plan_file(path))
    finally:
        store.close()
    # Fold the WAL into the main file so a copy is one file.
    conn = sqlite3.connect(tmp_name)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(tmp_name + suffix).unlink(missing_ok=True)
    os.replace(tmp_name, target)
    if log:
        log(f"built {target} ({size:,} items) in {time.perf_counter() - started:.1f} s")
    return target


def working_copy(size: int, folder: Path, log=None) -> Path:
    """A fresh, writable copy of the data set's database in ``folder``."""
    source = build_db(size, log)
    target = folder / f"tracker-{size}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--out", type=Path, help="write the plan files here")
    parser.add_argument("--db", action="store_true", help="build the cached databases")
    args = parser.parse_args(argv)
    for size in args.sizes:
        if args.out:
            for path in write_plans(size, args.out):
                print(path)
        if args.db:
            print(build_db(size, log=lambda msg: print(msg, file=sys.stderr)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
