from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The indicator engine: de-identified snapshots, the catalogue, stored results.

    Above ``plans`` in the layers (docs/architecture.md): it reads the plans' rows
    and targets and stores one result per row and region."""

    name = "yangguang.analytics"
    label = "analytics"
    verbose_name = _("指标计算")
