"""Pieces every router uses: the documented error responses and the region filter."""

from __future__ import annotations

from yangguang.api.errors import LABELS
from yangguang.api.schemas import Error
from yangguang.regions import catalog
from yangguang.regions.models import Region
from yangguang.registry.validation import fail

READ_ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}
WRITE_ERRORS = {400: Error, **READ_ERRORS}


def region_filter(value: str, field: str) -> Region:
    """The region a query filter names (any level; 6 or 12 digits), or a 422 ``region_unknown``."""
    code = catalog.normalize_code(value) if len(value.strip()) in (6, 12) else None
    region = Region.objects.filter(code=code).first() if code else None
    if region is None:
        raise fail("region_unknown", field, label=LABELS[field], value=value)
    return region
