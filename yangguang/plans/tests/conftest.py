from __future__ import annotations

import pytest

from yangguang.plans import services
from yangguang.plans.models import Plan


@pytest.fixture
def plans(db) -> dict[str, Plan]:
    """The five plans, loaded from their files."""
    services.load_plans()
    return {plan.key: plan for plan in Plan.objects.all()}
