"""``yangguang matching …``: data comparison with department lists.

    yangguang matching new-key --out K
    yangguang matching hash-list FILE --key-file K --out OUT
    yangguang matching run --kind KIND FILE [--key-file K] [--department D] [--date D]
                           [--engine duckdb|spark] [--json] [--out RESULT.csv]

``new-key`` writes a fresh exchange key (to be handed to the department out of band,
docs/matching.md). ``hash-list`` replaces a file's 公民身份号码 column by 身份号码摘要
(HMAC-SHA256 under the key over the normalised 18-digit number); a department runs it
before sending. ``run`` keeps the file as a list of KIND (the same file again is the
same list), matches it with the whole registry and prints
``{"rows", "matched_exact", "matched_probable", "review", "unmatched"}``; ``--out``
writes one line per input row: row, person_id, match_type, weight. ``--engine`` runs
the probabilistic pass on DuckDB (the default: the setting YANGGUANG_MATCHING_ENGINE)
or Spark. Exit status 2 when the file or key is refused, or the engine cannot run here
(Spark without PySpark or Java): nothing written.
"""

from __future__ import annotations

import csv
import json
import sys

from django.conf import settings
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.audit.services import Actor
from yangguang.core.cli import TranslatedCommand, fail
from yangguang.core.errors import ValidationFailed
from yangguang.imports.reading import UnreadableFile
from yangguang.matching import exchange, kinds, linking, services
from yangguang.regions.selectors import UnknownRegion, resolve_region


class Command(TranslatedCommand):
    help = gettext_lazy("数据比对：new-key（生成交换密钥）、hash-list（把名单的身份号码换成摘要）、"
                        "run（导入名单并与登记比对）。")

    def add_arguments(self, parser):
        tasks = parser.add_subparsers(dest="task", required=True, metavar="TASK")
        key = tasks.add_parser("new-key", help=_("生成交换密钥文件（与部门线下交换）"))
        key.add_argument("--out", required=True, metavar="K", help=_("写入的密钥文件"))
        hashing = tasks.add_parser("hash-list", help=_("把名单的公民身份号码换成身份号码摘要"))
        hashing.add_argument("file", metavar="FILE", help=_("部门名单（XLSX 或 CSV）"))
        hashing.add_argument("--key-file", required=True, metavar="K", help=_("交换密钥文件"))
        hashing.add_argument("--out", required=True, metavar="OUT", help=_("写入的文件（.csv 或 .xlsx）"))
        run = tasks.add_parser("run", help=_("导入部门名单并与登记比对"))
        run.add_argument("--kind", required=True, choices=[k.name for k in kinds.KINDS],
                         help=_("名单类型"))
        run.add_argument("file", metavar="FILE", help=_("部门名单（XLSX、XLS 或 CSV）"))
        run.add_argument("--key-file", metavar="K", help=_("名单为身份号码摘要时的交换密钥文件"))
        run.add_argument("--department", default="", help=_("提供部门（默认为该类名单的通常来源）"))
        run.add_argument("--region", default="", metavar="CODE",
                         help=_("名单覆盖的地区（6位或12位区划代码），只与该地区的人员比对；默认全部人员"))
        run.add_argument("--date", default="", metavar="YYYY-MM-DD", help=_("名单日期（默认今天）"))
        run.add_argument("--engine", choices=linking.ENGINES, default=None,
                         help=_("概率比对的引擎（默认 {engine}；spark 需要 PySpark 和 Java 17）").format(
                             engine=settings.YANGGUANG_MATCHING_ENGINE))
        run.add_argument("--json", action="store_true", help=_("只输出一个 JSON 对象"))
        run.add_argument("--out", metavar="RESULT.csv", help=_("把每一行的比对结果写入该 CSV 文件"))

    def handle(self, *args, task: str, **options):
        try:
            getattr(self, "_" + task.replace("-", "_"))(options)
        except (exchange.ExchangeError, UnreadableFile, linking.EngineUnavailable) as e:
            self.stderr.write(str(e))
            sys.exit(2)
        except ValidationFailed as e:
            fail(self.stderr, e)

    def _new_key(self, options) -> None:
        key = exchange.new_key()
        with open(options["out"], "x", encoding="ascii") as f:
            f.write(key + "\n")
        self.stdout.write(_("已写入交换密钥 {file}：请经线下渠道交给部门，勿随名单发送").format(
            file=options["out"]))
        self._fingerprint(exchange.parse_key(key))

    def _fingerprint(self, key: bytes) -> None:
        self.stdout.write(_("密钥指纹：{fingerprint}（双方可核对，不泄露密钥）").format(
            fingerprint=exchange.fingerprint(key)))

    def _hash_list(self, options) -> None:
        key = exchange.read_key(options["key_file"])
        rows, hashed = exchange.hash_list(options["file"], key, options["out"])
        self.stdout.write(_("共{rows}行，{hashed}行的身份号码已换成摘要，已写入 {file}").format(
            rows=rows, hashed=hashed, file=options["out"]))
        self._fingerprint(key)

    def _run(self, options) -> None:
        key = exchange.read_key(options["key_file"]) if options["key_file"] else None
        engine = options["engine"] or settings.YANGGUANG_MATCHING_ENGINE
        linking.check_engine(engine)  # before the list is kept
        list_date = None
        if options["date"]:
            list_date = parse_date(options["date"])
            if list_date is None:
                raise exchange.ExchangeError(_("名单日期“{value}”格式不正确：应为YYYY-MM-DD").format(
                    value=options["date"]))
        region = None
        if options["region"]:
            try:
                region = resolve_region(options["region"])
            except UnknownRegion as e:
                raise exchange.ExchangeError(str(e)) from None
        actor = Actor.command_line()
        result, stored = services.import_list(kinds.get(options["kind"]), options["file"],
                                              actor=actor, department=options["department"],
                                              list_date=list_date)
        if stored is None:
            for error in result.errors[:20]:
                self.stderr.write(_("第{row}行 {column}：{message}（{code}）").format(
                    row=error.row, column=error.column, message=error.message, code=error.code))
            self.stderr.write(_("名单有{count}行被拒绝，没有导入，也没有比对").format(count=result.rejected))
            sys.exit(2)
        run = services.run_match(stored, actor=actor, key=key, region=region, engine=engine)
        if options["out"]:
            with open(options["out"], "w", encoding="utf-8", newline="") as f:
                out = csv.writer(f)
                out.writerow(["row", "person_id", "match_type", "weight"])
                for row, person, match_type, weight in run.candidates.order_by(
                        "list_row__row").values_list("list_row__row", "person_id", "match_type", "weight"):
                    out.writerow([row, person or "", match_type,
                                  "" if weight is None else f"{weight:.2f}"])
        if options["json"]:
            self.stdout.write(json.dumps(run.summary()))
            return
        self.stdout.write(_("共{rows}行：精确匹配{matched_exact}，概率匹配{matched_probable}，"
                            "待复核{review}，未匹配{unmatched}。").format(**run.summary()))
