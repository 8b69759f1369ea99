"""``yangguang demo [--scale F] [--seed S] [--if-empty]``: load synthetic demo data.

Generates persons, certificates, households and life events for the five seed
jurisdictions at F × their real sizes (the default keeps ``make run`` quick; 1.0 is
about 300,000 persons) and creates the demo accounts. Running it again with the same
seed changes nothing. ``--if-empty`` loads nothing when the registry already has
persons, and only prints the demo accounts (``make run`` uses it on every start).
"""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.audit.services import Actor
from yangguang.core.cli import TranslatedCommand, progress_bar
from yangguang.demo import services
from yangguang.demo.generator import DEFAULT_SCALE, DEFAULT_SEED


def _scale(text: str) -> float:
    value = float(text)
    if not 0 < value <= 20:
        raise ValueError(text)
    return value


class Command(TranslatedCommand):
    help = gettext_lazy(
        "生成演示数据：五个规划地区（青海省、临夏州、五台县、碑林区、青州市）的持证残疾人、"
        "家庭及死亡、注销、冻结、过期等情形，并创建演示账号。同一随机种子重复运行不会改变数据。")

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=_scale, default=DEFAULT_SCALE, metavar="F",
                            help=_("占各地实际持证人数的比例（默认{default}，1.0约30万人）")
                            .format(default=DEFAULT_SCALE))
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                            help=_("随机种子（默认{default}）；种子相同，数据相同")
                            .format(default=DEFAULT_SEED))
        parser.add_argument("--if-empty", action="store_true",
                            help=_("库中已有残疾人时不生成数据，只显示演示账号"))
        parser.add_argument("--progress", action="store_true",
                            help=_("即使标准错误不是终端也显示进度条"))

    def handle(self, *args, **options):
        if options["if_empty"] and not services.registry_is_empty():
            self.stdout.write(_("库中已有残疾人数据，未生成演示数据。"))
            self._accounts(services.ensure_demo_accounts())
            return
        bar, advance = progress_bar(options["progress"])

        try:
            summary = services.load_demo(options["scale"], options["seed"], Actor.command_line(),
                                         progress=advance)
        except Exception as exc:
            bar.close()
            raise CommandError(_("生成演示数据失败：{error}").format(error=exc)) from exc
        bar.close()
        self._summary(summary)
        self._accounts(summary.accounts)

    def _summary(self, s: services.DemoSummary) -> None:
        out = self.stdout.write
        out(_("演示数据（比例{scale}，随机种子{seed}，数据截至{as_of}）：共{total}人").format(
            scale=s.scale, seed=s.seed, as_of=s.as_of.isoformat(), total=s.total))
        for key, count in s.plan.items():
            out("  " + _("{name}：{count}人").format(name=s.names.get(key, key), count=count))
        r = s.imported
        if r is not None:
            out(_("导入：新增{created}，更新{updated}，未变{unchanged}，拒绝{rejected}；"
                  "已在库中跳过{present}").format(
                created=r.created, updated=r.updated, unchanged=r.unchanged,
                rejected=r.rejected, present=s.already_present))
            for error in r.errors[:10]:
                out("  " + _("第{row}行 {column}：{message}（{code}）").format(
                    row=error.row, column=error.column, message=error.message,
                    code=error.code))
        out(_("死亡登记{deaths}，证件注销{cancelled}，证件冻结{frozen}，家庭经济状况{statuses}，"
              "到期置为过期{expired}").format(
            deaths=s.deaths.applied, cancelled=s.cancellations.applied,
            frozen=s.freezes.applied, statuses=s.household_statuses.applied,
            expired=s.expired))
        out(_("年度调查（2021–2025年）：新增{surveys}").format(surveys=s.surveys))
        out(_("残疾人证业务：新增{cases}件").format(cases=s.cases))
        out(_("服务：新增服务机构{providers}，来自年度调查的需求{survey_needs}，直接登记的需求{direct}，"
              "转介{referrals}，服务记录{services}").format(
            providers=s.loop.providers, survey_needs=s.loop.survey_needs,
            direct=s.loop.direct_needs, referrals=s.loop.referrals, services=s.loop.services))
        out(_("数据比对：演示部门名单{lists}份已比对").format(lists=s.comparison))
        out(_("补贴：新增申请{applications}件，筛查待办{screening_items}件，发放表{payrolls}份").format(
            applications=s.benefits.get("applications", 0),
            screening_items=s.benefits.get("screening_items", 0),
            payrolls=s.benefits.get("payrolls", 0)))
        out(_("规划指标：按规划期各年末计算，保存结果{results}条").format(results=s.indicators))
        if s.certificates:
            out(_("库中残疾人证：有效{valid}，过期{expired}，冻结{frozen}，注销{cancelled}").format(
                **{status: s.certificates.get(status, 0)
                   for status in ("valid", "expired", "frozen", "cancelled")}))
        if not s.changed:
            out(_("数据已是最新，没有改动。"))
        out(_("用时{seconds:.1f}秒").format(seconds=s.seconds))

    def _accounts(self, accounts: list[services.DemoAccount]) -> None:
        out = self.stdout.write
        out(_("演示账号（密码保存在 {path}）：").format(path=services.accounts_file()))
        username, password, role, region = _("用户名"), _("密码"), _("角色"), _("地区")
        out(f"  {username:<14}  {password:<18}  {role:<6}  {region}")
        for a in accounts:
            regions = "、".join(f"{name}（{code}）" for code, name in a.regions)
            out(f"  {a.username:<16}  {a.password:<20}  {a.role_name:<6}  {regions}")
