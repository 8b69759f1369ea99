"""``yangguang certificate …``: electronic certificates.

    yangguang certificate ecert CERTIFICATE_NUMBER --out FILE.pdf [--size a4|card]
    yangguang certificate rotate-key

``ecert`` writes the e-certificate of a valid certificate and prints its verification
path (``/verify/<token>``) on the last line; the issue is audited. The number is given
in full and looked up by the keyed hash of its ID part. ``rotate-key`` replaces the
signing key in var/secrets.json; the old key's public key keeps verifying the
e-certificates it signed (restart the server and workers to use the new key).
Exit status 2 when the input is refused.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.audit.services import Actor
from yangguang.certificates import ecert, pdf
from yangguang.core import secrets
from yangguang.core.cli import TranslatedCommand, fail
from yangguang.core.errors import ValidationFailed


class Command(TranslatedCommand):
    help = gettext_lazy("电子证照：ecert（生成PDF，最后一行输出核验地址）、rotate-key（更换签名密钥）。")

    def add_arguments(self, parser):
        tasks = parser.add_subparsers(dest="task", required=True, metavar="TASK")
        make = tasks.add_parser("ecert", help=_("生成有效残疾人证的电子证照PDF"))
        make.add_argument("number", metavar="CERTIFICATE_NUMBER", help=_("完整的残疾人证号"))
        make.add_argument("--out", required=True, metavar="FILE.pdf", help=_("写入的PDF文件"))
        make.add_argument("--size", choices=sorted(pdf.SIZES), default="a4",
                          help=_("纸张：a4（默认）或 card（卡片尺寸）"))
        tasks.add_parser("rotate-key", help=_("更换电子证照签名密钥（旧公钥仍可核验）"))

    def handle(self, *args, task: str, **options):
        try:
            getattr(self, "_" + task.replace("-", "_"))(options)
        except ValidationFailed as e:
            fail(self.stderr, e)

    def _ecert(self, options) -> None:
        certificate = ecert.certificate_by_number(options["number"])
        if certificate is None:
            fail(self.stderr, _("没有这个残疾人证号"))
        made = ecert.issue_ecert(certificate, actor=Actor.command_line(),
                                 today=timezone.localdate(), form=options["size"])
        path = reverse("verify", args=[made.token])
        Path(options["out"]).write_bytes(pdf.render_pdf(made, settings.PUBLIC_URL + path,
                                                        options["size"]))
        self.stdout.write(_("已写入 {file}（{number}）").format(
            file=options["out"], number=certificate.number_masked))
        self.stdout.write(path)

    def _rotate_key(self, options) -> None:
        try:
            public = secrets.rotate_ecert_key(str(settings.VAR_DIR))
        except RuntimeError:
            fail(self.stderr, _("签名密钥由环境变量 YANGGUANG_ECERT_SIGNING_KEY 提供，请在密钥管理处更换"))
        self.stdout.write(_("已更换签名密钥；新公钥：{key}。请重启服务和后台任务进程。").format(key=public))
