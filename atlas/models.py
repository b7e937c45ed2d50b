"""Plain records that flow between the stages: sources -> extract -> geocode -> layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Short province names used in every `provinces` field, in this order.
PROVINCES = ("辽宁", "吉林", "黑龙江", "内蒙古")


@dataclass(frozen=True)
class Document:
    """A plan document: its id, path, the repaired text and a map back to the original."""

    doc_id: str  # file stem, e.g. "ne_revitalization_plan_12th_fyp"
    path: str
    original: str  # the file's text as read
    text: str  # repaired text (artifacts removed)
    offsets: tuple[int, ...]  # offsets[i] = index in `original` of text[i]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Span in the original file of the repaired text[start:end]."""
        if start >= end:
            return (self.offsets[start] if start < len(self.offsets) else len(self.original),) * 2
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass(frozen=True)
class Evidence:
    """One verbatim passage of a document that speaks of a project."""

    doc_id: str
    section: str  # path: 第七章/第一节/专栏12/快速铁路及区际干线
    text: str  # the verbatim sentence or item
    span: tuple[int, int]  # offsets in the original file
    status: str = ""  # status word the passage gives (建成, 通车, 开工, 前期工作 ...)


@dataclass(frozen=True)
class Project:
    """One spatial project named by the documents, before geocoding.

    `places` are the place strings in document order: waypoints of a line, members of a
    zone, or the site of a point. `site` is the full facility name to try in the landmark
    table first (e.g. "蒲石河抽水蓄能电站"); empty for lines and zones.
    """

    id: str  # stable id, e.g. "RW-012"
    name_zh: str
    theme: str  # one of schema.THEMES
    subtype: str
    geom_kind: str  # "point" | "line" | "zone"
    places: tuple[str, ...]
    site: str = ""
    province_hint: tuple[str, ...] = ()  # short names from a heading or a (黑吉界) qualifier
    qualifiers: tuple[str, ...] = ()  # bracketed text kept from the item, e.g. "黑吉界", "辉山街道"
    status_2010: str = ""
    evidence: tuple[Evidence, ...] = ()  # first is the primary source

    @property
    def source(self) -> Evidence:
        return self.evidence[0]


@dataclass
class Located:
    """A project with its geometry, or without one and the reason why."""

    project: Project
    geometry: Any | None  # shapely geometry in EPSG:4326, None when unresolved
    precision: int | None  # AidData/IATI code 1..8, None when unresolved
    match: str  # what the geometry was matched to, sources and losing candidates
    provinces: tuple[str, ...] = ()
    schematic: bool = False  # straight segments between named stops
    unresolved: list[str] = field(default_factory=list)  # "place: reason" per failed place
