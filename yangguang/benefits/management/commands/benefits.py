"""``yangguang benefits …``: decisions and screening from the command line.

    yangguang benefits check --person KEY --on YYYY-MM-DD [--json]
    yangguang benefits screen --programme P --region CODE --on YYYY-MM-DD [--json]

    yangguang benefits payroll --month YYYY-MM --region CODE --out FILE
    yangguang benefits payroll-approve --month YYYY-MM --region CODE
    yangguang benefits payroll-export --month YYYY-MM --region CODE --out FILE

``check`` prints every programme's decision for one person (KEY: the ID number or the
record id), with the amount and the reasons; the read is audited. ``screen`` lists,
set-based over the region, the persons eligible for programme P on the day, each with
the reasons. ``payroll`` makes (or makes again, while a draft) the month's payroll of
the region (``benefits.payroll``), prints its totals by region and writes the bank file
(FILE ending in .xlsx or .csv; the export is audited); ``payroll-approve`` approves the
draft (frozen from then on); ``payroll-export`` writes the file of an existing payroll.
Exit status 2 when the input is refused.
"""

from __future__ import annotations

import datetime as dt
import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.audit.services import Actor
from yangguang.benefits import policy, selectors, services
from yangguang.core.cli import TranslatedCommand, fail
from yangguang.registry.models import Region


class Command(TranslatedCommand):
    help = gettext_lazy("补贴：check（一人各项目的资格、金额和理由）、screen（按地区筛查符合条件的人员）、"
                        "payroll（月度发放表）。")

    def add_arguments(self, parser):
        tasks = parser.add_subparsers(dest="task", required=True, metavar="TASK")
        check = tasks.add_parser("check", help=_("一人在某日各补贴项目的资格、金额和理由"))
        check.add_argument("--person", required=True, metavar="KEY", help=_("公民身份号码或人员编号"))
        check.add_argument("--on", required=True, metavar="YYYY-MM-DD", help=_("日期"))
        check.add_argument("--json", action="store_true", help=_("输出JSON"))
        screen = tasks.add_parser("screen", help=_("按地区筛查某项目在某日符合条件的人员"))
        screen.add_argument("--programme", required=True, metavar="P", help=_("项目代码，如 care_allowance"))
        screen.add_argument("--region", required=True, metavar="CODE", help=_("户籍地区划代码"))
        screen.add_argument("--on", required=True, metavar="YYYY-MM-DD", help=_("日期"))
        screen.add_argument("--json", action="store_true", help=_("输出JSON"))
        for name, text in (("payroll", _("生成某月某地区的发放表（草稿；已审核的不能重新生成）并写出银行发放文件")),
                           ("payroll-approve", _("审核某月某地区的发放表草稿（审核后冻结）")),
                           ("payroll-export", _("写出某月某地区发放表的银行发放文件"))):
            sub = tasks.add_parser(name, help=text)
            sub.add_argument("--month", required=True, metavar="YYYY-MM", help=_("发放月份"))
            sub.add_argument("--region", required=True, metavar="CODE", help=_("区划代码"))
            if name != "payroll-approve":
                sub.add_argument("--out", required=True, metavar="FILE",
                                 help=_("银行发放文件（.xlsx 或 .csv）"))

    def handle(self, *args, task: str, **options):
        if task.startswith("payroll"):
            self._payroll(task, options)
            return
        try:
            on = dt.date.fromisoformat(options["on"])
        except ValueError:
            fail(self.stderr, _("日期格式应为 YYYY-MM-DD：{value}").format(value=options["on"]))
        getattr(self, "_" + task)(options, on)

    def _payroll(self, task: str, options) -> None:
        from yangguang.benefits import payroll
        from yangguang.benefits.models import Payroll
        from yangguang.core.errors import ValidationFailed

        try:
            month = payroll.parse_month(options["month"])
        except ValueError:
            fail(self.stderr, _("月份格式应为 YYYY-MM：{value}").format(value=options["month"]))
        code = options["region"]
        region = Region.objects.filter(pk=code.ljust(12, "0")[:12]).first()
        if region is None or not code.isdigit():
            fail(self.stderr, _("没有这个区划代码：{code}").format(code=code))
        out = options.get("out") or ""
        fmt = out.rsplit(".", 1)[-1].lower() if "." in out else ""
        if out and fmt not in payroll.FORMATS:
            fail(self.stderr, _("文件格式应为 xlsx 或 csv：{value}").format(value=out))
        actor = Actor.command_line()
        try:
            if task == "payroll":
                found = payroll.run_payroll(month, region, actor=actor, scope=None)
            else:
                found = Payroll.objects.filter(month=month, region=region).first()
                if found is None:
                    fail(self.stderr, _("{region}{month}还没有发放表").format(
                        region=region.name, month=options["month"]))
                if task == "payroll-approve":
                    found = payroll.approve_payroll(found, actor=actor, scope=None)
            if out:
                payroll.export_payroll(found, out, fmt, actor=actor, scope=None)
        except ValidationFailed as e:
            fail(self.stderr, e)
        self._totals(found, payroll.totals_of(found))

    def _totals(self, found, totals) -> None:
        from yangguang.benefits.models import PayrollState

        self.stdout.write(_("{region} {month} 发放表（{state}）").format(
            region=found.region.name, month=found.month.isoformat()[:7],
            state=PayrollState(found.state).label))
        line = _("{persons}人，发放{paid}元，应追回{recover}元，暂停{withheld}条")
        for row in totals["regions"]:
            self.stdout.write(f"- {row['name']}（{row['code']}）：{line.format(**row)}")
        self.stdout.write(_("合计：{totals}").format(totals=line.format(**totals["total"])))

    def _check(self, options, on: dt.date) -> None:
        from yangguang.benefits import rules

        person = selectors.person_by_key(options["person"])
        if person is None:
            fail(self.stderr, _("没有这个人员：{key}").format(key=options["person"]))
        decisions = rules.decide(person, on)
        services.record_check(person, on, actor=Actor.command_line(), channel="cli")
        if options["json"]:
            self.stdout.write(json.dumps({"person_id": person.pk, "on": on.isoformat(),
                                          "programmes": [d.as_json() for d in decisions]},
                                         ensure_ascii=False))
            return
        self.stdout.write(_("{name}（{id}）{on}").format(name=person.name, id=person.id_number_masked,
                                                      on=on.isoformat()))
        for d in decisions:
            verdict = _("符合") if d.eligible else _("不符合")
            amount = ""
            if d.eligible and d.amount is not None:
                amount = " " + rules.money_text(d.amount)
            elif d.placeholder:
                amount = " " + _("金额待定")
            self.stdout.write(f"- {d.name}：{verdict}{amount}")
            for reason in d.reasons:
                self.stdout.write(f"    {reason}")

    def _screen(self, options, on: dt.date) -> None:
        key = options["programme"]
        if key not in policy.policies().programmes:
            fail(self.stderr, _("没有这个补贴项目：{key}").format(key=key))
        code = options["region"]
        region = Region.objects.filter(pk=code.ljust(12, "0")[:12]).first()
        if region is None:
            fail(self.stderr, _("没有这个区划代码：{code}").format(code=code))
        result = {**selectors.screening_report(None, key, region.short_code, on),
                  "region": region.code}
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        for title, items in ((_("符合条件但未享受（主动发现）"), result["eligible_not_receiving"]),
                             (_("享受中但已不符合条件（动态监管）"), result["receiving_not_eligible"])):
            self.stdout.write(_("{region} {on} {title}：{count}人").format(
                region=region.name, on=on.isoformat(), title=title, count=len(items)))
            for item in items:
                self.stdout.write(f"- {item['person_id']}：{'；'.join(item['reasons'])}")
