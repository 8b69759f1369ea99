"""Reading a baseline or target as the plan prints it: 「＞80」, 「≥97」, 「0.75万」,
「>0.9万」, 「100」, 「——」. The one place that turns the printed text into an
operator and a value; anything else (「与全县地区生产总值增长同步」, 「达到 90%以上」)
must be given its operator and value in the plan file, beside its text.
"""

from __future__ import annotations

import re
from decimal import Decimal

from yangguang.plans.models import Operator

#: The signs plans print, half- and full-width, and what they mean.
SIGNS = {
    "": Operator.EQUAL, "=": Operator.EQUAL, "＝": Operator.EQUAL,
    ">": Operator.GREATER, "＞": Operator.GREATER,
    "≥": Operator.AT_LEAST, ">=": Operator.AT_LEAST, "＞＝": Operator.AT_LEAST,
    "<": Operator.LESS, "＜": Operator.LESS,
    "≤": Operator.AT_MOST, "<=": Operator.AT_MOST, "＜＝": Operator.AT_MOST,
}
#: 「——」 and its look-alikes: the plan gives no value.
NO_VALUE = {"", "——", "—", "--", "-", "－－", "/"}

_PRINTED = re.compile(r"^(?P<sign>>=|<=|＞＝|＜＝|[>＞≥<＜≤=＝]?)\s*(?P<number>\d+(?:\.\d+)?)\s*"
                      r"(?P<wan>万)?\s*(?P<percent>[%％])?$")


class Unreadable(ValueError):
    """The text is not a printed number with an optional sign."""


def read(text: str) -> tuple[str, Decimal | None]:
    """The operator and value of a printed baseline or target.

    >>> read("＞80")
    ('>', Decimal('80'))
    >>> read("0.75万")
    ('=', Decimal('7500.00'))
    """
    stripped = text.strip()
    if stripped in NO_VALUE:
        return Operator.NONE.value, None
    match = _PRINTED.match(stripped)
    if match is None:
        raise Unreadable(text)
    value = Decimal(match["number"])
    if match["wan"]:
        value *= 10000
    return SIGNS[match["sign"]].value, value
