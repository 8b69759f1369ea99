"""Reads of surveys, always through the user's scope (``accounts.selectors.scope_q``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from yangguang.accounts.permissions import Capability
from yangguang.registry.selectors import persons_visible_to
from yangguang.survey import rules
from yangguang.survey.models import AnnualSurvey


def not_surveyed_count(user: Any) -> int:
    """Persons within scope certified this year whose survey of this year is missing."""
    year = timezone.localdate().year
    return (persons_visible_to(user, Capability.VIEW_PERSON).filter(rules.certified_q(year))
            .exclude(surveys__year=year).count())


def surveys_of(user: Any, person_id: int) -> list[AnnualSurvey]:
    return list(AnnualSurvey.objects.filter(
        person__in=persons_visible_to(user).filter(pk=person_id).values("pk")).order_by("-year"))
