"""``yangguang check-id ID…``: check resident identity numbers, one JSON line each.

Exit status 0 when every number is valid, 1 otherwise. Needs no database.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.core.cli import TranslatedCommand
from yangguang.core.errors import ValidationFailed
from yangguang.registry.models import Sex
from yangguang.registry.validation import parse_id_number


def check(value: str) -> dict[str, Any]:
    """What ``check-id`` prints for one input."""
    try:
        number = parse_id_number(value)
    except ValidationFailed as e:
        problem = e.problems[0]
        return {"input": value, "valid": False, "code": problem.code, "message": problem.message}
    return {
        "input": value,
        "valid": True,
        "normalized": number.normalized,
        "birth_date": number.birth_date.isoformat(),
        "sex": str(Sex(number.sex).label),
        "sex_code": int(number.sex),
        "birthplace": {"code": number.birthplace_code, "name": number.birthplace_name},
        "upgraded_from_15": number.upgraded_from_15,
    }


class Command(TranslatedCommand):
    help = gettext_lazy("检查公民身份号码：每个号码输出一行 JSON；全部有效时退出码为 0，否则为 1。")
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="+", metavar="ID", help=_("公民身份号码（18位或15位）"))

    def handle(self, *args, ids: list[str], **options):
        all_valid = True
        for value in ids:
            result = check(value)
            all_valid &= result["valid"]
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        if not all_valid:
            raise SystemExit(1)
