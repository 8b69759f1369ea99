"""How the audit log reads to a person: Chinese labels for actions, object types, fields
and coded values; the names of persons, users and regions; one line saying what
changed (「联系电话：138****5678→139****4321」), phone numbers masked.

The audit log records the events of apps above it and imports none of them. An app
tells it about the object types it records through its ``AppConfig``:

- ``audit_objects()`` returns ``{object_type: ObjectKind}``: the label, the model whose
  fields' verbose names and choices label the event's data, labels of other coded
  values, the data keys to mask, and how to name objects from their ids in bulk;
- ``audit_persons()`` (the app that holds persons) returns a ``PersonDirectory``: names
  of persons by id, and the persons a name or an ID number (by its keyed hash) finds,
  for the log's person filter.

Names are looked up once per page or per block of an export, not once per event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.regions.models import Region


@dataclass(frozen=True)
class ObjectKind:
    """What an app tells the audit log about one object type it records."""

    label: Any
    #: Its fields' verbose names label data keys, their choices label values.
    model: type[Model] | None = None
    #: Labels of coded values by data key, beyond the model's choices.
    values: Mapping[str, Mapping[Any, Any]] = field(default_factory=dict)
    #: Labels of data keys that are no field of the model.
    keys: Mapping[str, Any] = field(default_factory=dict)
    #: Data keys whose values are shown masked (phone numbers).
    masked: frozenset[str] = frozenset()
    #: ``names(object_ids)``: each object's name (a person's, a username), in one query.
    names: Callable[[Collection[str]], dict[str, str]] | None = None


@dataclass(frozen=True)
class PersonDirectory:
    """How the audit log names persons and finds them."""

    #: ``names(person_ids)``: each person's name, in one query.
    names: Callable[[Collection[int]], dict[int, str]]
    #: ``id_key(text)``: the keyed hash and the masked form of ``text`` when it is a valid
    #: ID number, else None (the number itself goes no further).
    id_key: Callable[[str], tuple[str, str] | None]
    #: ``find(name=…, id_key=…)``: the ids of the persons with that name (exactly) or
    #: that keyed hash, as a query to filter events with.
    find: Callable[..., QuerySet[Any]]


#: Labels of the data keys the platform's events share (an app's own come first).
_KEYS = {
    "username": gettext_lazy("用户名"), "reason": gettext_lazy("原因"),
    "rows": gettext_lazy("行数"), "filters": gettext_lazy("筛选条件"),
    "criteria": gettext_lazy("条件"), "number": gettext_lazy("证号"),
    "changed": gettext_lazy("修改项"), "region": gettext_lazy("地区"),
    "name": gettext_lazy("姓名"), "file": gettext_lazy("文件"), "source": gettext_lazy("来源"),
    "status": gettext_lazy("状态"), "before": gettext_lazy("修改前"),
    "created": gettext_lazy("新增"), "updated": gettext_lazy("更新"),
    "unchanged": gettext_lazy("未变"), "rejected": gettext_lazy("拒绝"),
    "ip": gettext_lazy("IP地址"), "action": gettext_lazy("操作"),
    "date_from": gettext_lazy("开始日期"), "date_to": gettext_lazy("结束日期"),
    "person": gettext_lazy("人员"), "via": gettext_lazy("途径"),
    "ids": gettext_lazy("结果条数"), "query": gettext_lazy("查询条件"),
    "id_number_hash": gettext_lazy("公民身份号码（散列）"),
    "certificate_id_number_hash": gettext_lazy("残疾人证号的身份号码（散列）"),
    "certificate_suffix": gettext_lazy("残疾人证号末尾"),
}
#: Labels of coded values the platform's events share.
_VALUES: dict[str, dict[Any, Any]] = {
    "via": {"web": gettext_lazy("网页"), "api": gettext_lazy("接口")},
}
#: Data keys that are bookkeeping, not something a reader needs.
_HIDDEN = frozenset({"segment"})
ARROW = "→"


@cache
def object_kinds() -> dict[str, ObjectKind]:
    """Every installed app's object kinds (``AppConfig.audit_objects``)."""
    kinds: dict[str, ObjectKind] = {}
    for config in apps.get_app_configs():
        given = getattr(config, "audit_objects", None)
        if given is not None:
            kinds.update(given())
    return kinds


@cache
def person_directory() -> PersonDirectory | None:
    """The directory of persons (``AppConfig.audit_persons``), None when no app has one."""
    for config in apps.get_app_configs():
        given = getattr(config, "audit_persons", None)
        if given is not None:
            return given()
    return None


def mask_phone(value: Any) -> str:
    """``13812345678`` → ``138****5678``: enough to tell two numbers apart, no more."""
    text = "" if value is None else str(value)
    if len(text) < 8:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


@dataclass(frozen=True)
class EventView:
    """One event as the audit log shows it."""

    event: AuditEvent
    action: str
    object: str  # "人员 赵晓岚", "用户 clerk", "残疾人证 #12"
    person: str  # the person's name, if the event concerns one
    region: str  # "五台县（140922000000）"
    summary: str  # 「联系电话：138****5678→139****4321」


class _Reader:
    """Labels for one kind's data keys and values, each translated once per ``describe``
    (an export reads thousands of events; gettext and choices lookups add up)."""

    def __init__(self, kind: ObjectKind | None) -> None:
        self.kind = kind or ObjectKind(label="")
        self.words = {"empty": _("（空）"), True: _("是"), False: _("否")}
        self._keys: dict[str, str] = {}
        self._labels: dict[str, dict[Any, str] | None] = {}

    def _field(self, key: str) -> Any:
        model = self.kind.model
        if model is None:
            return None
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            return None
        # Only the model's own columns describe a data key: a reverse relation
        # (another app's related_name, e.g. Person.surveys) has no verbose_name
        # nor choices, and an event's key that happens to share its name is not it.
        return field if getattr(field, "concrete", False) else None

    def key(self, key: str) -> str:
        if key not in self._keys:
            model_field = self._field(key)
            if key in self.kind.keys:
                label = self.kind.keys[key]
            elif model_field is not None and getattr(model_field, "verbose_name", None):
                label = model_field.verbose_name
            else:
                label = _KEYS.get(key, key)
            self._keys[key] = str(label)
        return self._keys[key]

    def labels(self, key: str) -> dict[Any, str] | None:
        """The labels of ``key``'s coded values: the kind's, the shared ones, or the
        model field's choices."""
        if key not in self._labels:
            given = self.kind.values.get(key) or _VALUES.get(key)
            model_field = self._field(key)
            if given is None and model_field is not None and model_field.choices:
                given = dict(model_field.flatchoices)
            self._labels[key] = {k: str(v) for k, v in given.items()} if given else None
        return self._labels[key]

    def value(self, key: str, value: Any) -> str:
        if key in self.kind.masked:
            return mask_phone(value) if value not in ("", None) else self.words["empty"]
        if value is None or value == "":
            return self.words["empty"]
        if isinstance(value, bool):
            return self.words[value]
        if isinstance(value, list):
            return "、".join(self.value(key, item) for item in value)
        if isinstance(value, dict):
            return "，".join(f"{self.key(k)}：{self.value(k, v)}" for k, v in sorted(value.items())
                            if k not in _HIDDEN)
        labels = self.labels(key)
        if labels is not None and value in labels:
            return labels[value]
        if key.endswith("_hash") and isinstance(value, str):
            return value[:8] + "…"  # a keyed hash: enough to match two searches, not a number
        return str(value)

    def change(self, key: str, old: Any, new: Any) -> str:
        return f"{self.key(key)}：{self.value(key, old)}{ARROW}{self.value(key, new)}"

    def summary(self, data: Any) -> str:
        if not isinstance(data, dict):
            return str(data)
        parts = []
        # In key order: PostgreSQL's jsonb keeps its own order, SQLite the one written.
        for key, value in sorted(data.items()):
            if key in _HIDDEN:
                continue
            if key == "changes" and isinstance(value, dict):
                parts += [self.change(k, *pair) for k, pair in sorted(value.items())
                          if isinstance(pair, list) and len(pair) == 2]
            elif key == "ids" and isinstance(value, list):
                parts.append(f"{self.key(key)}：{len(value)}")
            elif key == "changed" and isinstance(value, list):
                parts.append(f"{self.key(key)}：" + "、".join(self.key(k) for k in value))
            elif key == "status" and isinstance(value, list) and len(value) == 2:
                parts.append(self.change(key, *value))
            else:
                parts.append(f"{self.key(key)}：{self.value(key, value)}")
        return "；".join(parts)


def describe(events: Iterable[AuditEvent]) -> list[EventView]:
    """The events as the log shows them, with every name looked up in bulk (a query per
    object type, one for persons, one for regions)."""
    events = list(events)
    kinds = object_kinds()
    directory = person_directory()
    person_names: dict[int, str] = {}
    person_ids = {e.person_id for e in events if e.person_id is not None}
    if directory is not None and person_ids:
        person_names = directory.names(person_ids)
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        kind = kinds.get(event.object_type)
        if event.object_id and kind is not None and kind.names is not None:
            wanted[event.object_type].add(event.object_id)
    object_names = {object_type: kinds[object_type].names(ids)  # type: ignore[misc]
                    for object_type, ids in wanted.items()}
    codes = {e.region_code for e in events if e.region_code}
    regions = dict(Region.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    readers = {object_type: _Reader(kind) for object_type, kind in kinds.items()}
    unknown = _Reader(None)
    kind_labels = {object_type: str(kind.label) for object_type, kind in kinds.items()}
    actions = {code: str(label) for code, label in AuditAction.choices}
    views = []
    for event in events:
        reader = readers.get(event.object_type, unknown)
        name = object_names.get(event.object_type, {}).get(event.object_id, "")
        label = kind_labels.get(event.object_type, event.object_type)
        views.append(EventView(
            event=event,
            action=actions.get(event.action, event.action),
            object=" ".join(part for part in (label, name) if part),
            person=person_names.get(event.person_id, "") if event.person_id is not None else "",
            region=(f"{regions[event.region_code]}（{event.region_code}）"
                    if event.region_code in regions else event.region_code),
            summary=reader.summary(event.data),
        ))
    return views
