"""Load the region tree into the database (used by the data migration and the CLI).

Loading is an upsert keyed by code: new rows are inserted, rows whose data changed
are updated, identical rows are left alone, and rows the input does not mention
(villages added later, say) are kept. Running it twice is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db import models, transaction

from yangguang.regions import catalog
from yangguang.regions.catalog import FORMER_NAME_SEPARATOR, Entry

DEFAULT_BATCH_SIZE = 2000
# Every column but the key, as model field names.
UPDATE_FIELDS = (
    "name", "level", "parent", "path", "valid_from", "valid_until",
    "urban_rural_class", "former_names",
)
# The same as attribute names (the foreign key by its raw id), in _values() order.
_ATTRIBUTES = tuple(f"{f}_id" if f == "parent" else f for f in UPDATE_FIELDS)


@dataclass(frozen=True)
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: LoadResult) -> LoadResult:
        return LoadResult(self.created + other.created, self.updated + other.updated,
                          self.unchanged + other.unchanged)


def region_model(apps_or_model: Any = None) -> type[models.Model]:
    """The Region model: the current one, from a migration's app registry, or as given."""
    if apps_or_model is None:
        from yangguang.regions.models import Region

        return Region
    if hasattr(apps_or_model, "get_model"):
        return apps_or_model.get_model("regions", "Region")
    return apps_or_model


def _values(entry: Entry) -> tuple[Any, ...]:
    return (
        entry.name, entry.level, entry.parent, entry.path, entry.valid_from, entry.valid_until,
        entry.urban_rural_class, FORMER_NAME_SEPARATOR.join(entry.former_names),
    )


def _batches(entries: Iterable[Entry], size: int) -> Iterator[list[Entry]]:
    iterator = iter(entries)
    while batch := list(islice(iterator, size)):
        yield batch


def load_regions(
    apps_or_model: Any = None,
    using: str = "default",
    batch_size: int = DEFAULT_BATCH_SIZE,
    entries: Iterable[Entry] | None = None,
) -> LoadResult:
    """Upsert ``entries`` (default: the whole shipped catalog) into the Region table.

    Entries must come parents first (the catalog's order), so that every parent is
    in the table or in the same transaction before its children.
    """
    model = region_model(apps_or_model)
    manager = model._default_manager.db_manager(using)
    result = LoadResult()
    with transaction.atomic(using=using):
        empty = not manager.exists()
        for batch in _batches(catalog.rows() if entries is None else entries, batch_size):
            result += _load_batch(model, manager, batch, empty, batch_size)
    return result


def _load_batch(model: type[models.Model], manager: models.Manager, batch: list[Entry],
                empty: bool, batch_size: int) -> LoadResult:
    existing: dict[str, tuple[Any, ...]] = {}
    if not empty:
        rows = manager.filter(code__in=[e.code for e in batch]).values_list("code", *_ATTRIBUTES)
        existing = {row[0]: row[1:] for row in rows}
    new = [e for e in batch if e.code not in existing]
    changed = [e for e in batch if e.code in existing and existing[e.code] != _values(e)]

    def instance(entry: Entry) -> models.Model:
        return model(code=entry.code, **dict(zip(_ATTRIBUTES, _values(entry), strict=True)))

    if new:
        manager.bulk_create([instance(e) for e in new], batch_size=batch_size)
    if changed:
        manager.bulk_create(
            [instance(e) for e in changed], batch_size=batch_size,
            update_conflicts=True, unique_fields=["code"], update_fields=list(UPDATE_FIELDS),
        )
    return LoadResult(len(new), len(changed), len(batch) - len(new) - len(changed))


def unload_regions(apps_or_model: Any = None, using: str = "default") -> int:
    """Delete every region (the reverse of the data migration). Returns the count."""
    manager = region_model(apps_or_model)._default_manager.db_manager(using)
    with transaction.atomic(using=using):
        # Children protect their parents; cut the links so one delete takes all.
        manager.update(parent=None)
        deleted, _ = manager.all().delete()
    return deleted
