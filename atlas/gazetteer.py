"""The offline place index: admin units, towns, airports, landmarks, regions and boundaries.

`load_gazetteer(geodata_dir)` reads only the committed files under geodata/ (see its
README); every lookup method is pure. Candidates come back ranked: the province hint first,
then the four provinces of the plan, then the neighbours, then the rest of China; within a
tier by level (which depends on the suffix the text gives), how the name matched, and
prominence.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import shapely
from pypinyin import lazy_pinyin
from shapely.geometry import Point
from shapely.strtree import STRtree

from atlas._errors import GazetteerError
from atlas.models import PROVINCES
from atlas.settings import GEODATA_DIR

# Provinces and countries a line may reach when it leaves the region.
NEIGHBOURS = ("北京", "天津", "河北", "蒙古国", "俄罗斯", "朝鲜")
# Tiers of the ranking, best first.
TIER_HINT, TIER_REGION, TIER_NEIGHBOUR, TIER_ELSEWHERE = 0, 1, 2, 3
# Generic endings a place string may carry, longest first, and the levels each one asks for.
SUFFIX_LEVELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("特别行政区", ("province",)),
    ("自治区", ("province",)),
    ("自治州", ("prefecture",)),
    ("自治县", ("county",)),
    ("自治旗", ("county",)),
    ("街道", ("town",)),
    ("地区", ("prefecture",)),
    ("省", ("province",)),
    ("盟", ("prefecture",)),
    ("市", ("prefecture", "county", "province")),
    ("县", ("county",)),
    ("区", ("county",)),
    ("旗", ("county",)),
    ("镇", ("town",)),
    ("乡", ("town",)),
)
# Level order for a bare name: 通化 is the prefecture city, 吉林 in a place list is 吉林市.
BARE_LEVEL_ORDER = ("prefecture", "county", "town", "district", "province")
LEVEL_ZH = {"province": "省级", "prefecture": "地级", "county": "县级", "town": "镇/地点"}
BRACKETS = re.compile(r"[（(][^）)]*[）)]")
REQUIRED_FILES = ("admin_units.csv", "towns.csv", "airports.csv", "boundaries.gpkg")


@dataclass(frozen=True)
class Place:
    """One gazetteer entry: an admin unit, a town, an airport or a landmark."""

    name: str
    level: str  # province | prefecture | county | town | airport | landmark
    key: str  # adcode, GeoNames id, ICAO code or landmark name
    province: str  # short name (辽宁 ...), or a neighbouring country
    lon: float
    lat: float
    source: str  # e.g. "cpca adcode 210522", "GeoNames 2037511", "airportsdata ZYYK/YKH"
    prominence: float = 0.0  # population where known
    parent: str = ""  # adcode of the containing unit (county for towns)
    precision: int | None = None  # set by rows that carry their own (landmarks, curated places)
    matched: str = ""  # how the query matched: name, short form, alias, former name, pinyin
    tier: int = TIER_ELSEWHERE

    @property
    def label(self) -> str:
        """Human-readable: name (source, province)."""
        return f"{self.name} ({self.source}, {self.province})"


@dataclass(frozen=True)
class Region:
    """A named region from regions.csv and its member admin-unit paths."""

    name: str
    members: tuple[str, ...]
    provinces: tuple[str, ...]
    source: str


@dataclass
class Gazetteer:
    """The loaded index. Build with `load_gazetteer`; do not mutate after loading."""

    units: dict[str, Place]
    towns: list[Place]
    airports: list[Place]
    landmarks: list[Place]
    regions: dict[str, Region]
    polygons: dict[str, object]  # adcode -> shapely polygon (provinces of China, region units)
    province_codes: dict[str, str]  # short name -> adcode
    index: dict[str, list[tuple[Place, str]]] = field(default_factory=dict)
    pinyin_index: dict[str, list[Place]] = field(default_factory=dict)
    landmark_index: dict[str, list[Place]] = field(default_factory=dict)
    region_index: dict[str, Region] = field(default_factory=dict)
    _prov_tree: STRtree | None = None
    _prov_list: tuple[str, ...] = ()

    # ---- names -------------------------------------------------------------------------
    def lookup(self, text: str, hint: tuple[str, ...] = (), allow: str = "region") -> list[Place]:
        """Ranked candidates for a place string (best first), each tagged with how it matched.

        `hint`: province short names the text gives. `allow`: "region" keeps the four
        provinces (and hinted ones); "neighbours" adds 北京/天津/河北 and the bordering
        countries; "all" keeps the rest of China too (for reporting losers).
        """
        query = normalise(text)
        if not query:
            return []
        wanted = suffix_levels(query)
        found: dict[tuple[str, str], Place] = {}
        for place, how in self.index.get(query, ()):
            self._add(found, place, how)
        stem = strip_suffix(query)
        if stem != query and len(stem) >= 2:
            for place, how in self.index.get(stem, ()):
                if place.level in ("town",) and wanted and "town" not in wanted:
                    continue
                self._add(found, place, "short form" if how == "name" else how)
        if not any(p.province in PROVINCES for p in found.values()):
            for place in self.pinyin_index.get(to_pinyin(stem if wanted else query), ()):
                self._add(found, place, "pinyin")
        ranked = []
        for place in found.values():
            tier = self.tier_of(place.province, hint)
            ranked.append(replace(place, tier=tier))
        limit = {"region": TIER_REGION, "neighbours": TIER_NEIGHBOUR, "all": TIER_ELSEWHERE}[allow]
        ranked.sort(key=lambda p: rank_key(p, wanted))
        return [p for p in ranked if p.tier <= limit] if allow != "all" else ranked

    def rank_key(self, place: Place, text: str) -> tuple:
        """The sort key `lookup` used for `place` given the original text."""
        return rank_key(place, suffix_levels(normalise(text)))

    @staticmethod
    def _add(found: dict, place: Place, how: str) -> None:
        ident = (place.level, place.key)
        if ident not in found or _HOW_ORDER.get(how, 9) < _HOW_ORDER.get(found[ident].matched, 9):
            found[ident] = replace(place, matched=how)

    @staticmethod
    def tier_of(province: str, hint: tuple[str, ...] = ()) -> int:
        if province in hint:
            return TIER_HINT
        if province in PROVINCES:
            return TIER_REGION
        if province in NEIGHBOURS:
            return TIER_NEIGHBOUR
        return TIER_ELSEWHERE

    def province(self, text: str) -> Place | None:
        """The province a string names (吉林, 吉林省, 内蒙古自治区), or None."""
        query = normalise(text)
        for place, _how in self.index.get(query, ()):
            if place.level == "province":
                return place
        stem = strip_suffix(query)
        for place, _how in self.index.get(stem, ()):
            if place.level == "province" and place.name.startswith(stem):
                return place
        return None

    def landmark(self, text: str, hint: tuple[str, ...] = ()) -> list[Place]:
        """Landmarks named by `text`: exact name or alias first, else the longest landmark name
        (4+ characters) that the text contains. Hinted provinces first."""
        query = normalise(text)
        hits = list(self.landmark_index.get(query, ()))
        if not hits:
            best = 0
            for name, places in self.landmark_index.items():
                if len(name) >= 4 and name in query and len(name) >= best:
                    if len(name) > best:
                        hits, best = [], len(name)
                    hits.extend(places)
        hits = [p for p in hits if self.tier_of(p.province, hint) <= TIER_NEIGHBOUR or not p.province]
        hits.sort(key=lambda p: (self.tier_of(p.province, hint), p.precision or 9, p.name))
        return hits

    def region(self, text: str) -> Region | None:
        """The named region (三江平原, 蒙东地区 ...) that `text` names, or None."""
        query = normalise(text)
        return self.region_index.get(query) or self.region_index.get(strip_suffix(query))

    # ---- geometry ----------------------------------------------------------------------
    def polygon(self, adcode: str):
        """The boundary polygon of an admin unit, or None outside the covered provinces."""
        return self.polygons.get(adcode)

    def province_polygon(self, short: str):
        code = self.province_codes.get(short)
        return self.polygons.get(code) if code else None

    def unit_of(self, place: Place) -> Place | None:
        """The admin unit a place lies in or is (county for towns and airports)."""
        if place.level in ("province", "prefecture", "county"):
            return place
        if place.parent and place.parent in self.units:
            return self.units[place.parent]
        return None

    def airports_in(self, geom) -> list[Place]:
        """Airports inside a polygon, IATA-coded ones first, then by ICAO code."""
        prepared = shapely.prepared.prep(geom)
        hits = [a for a in self.airports if prepared.contains(Point(a.lon, a.lat))]
        hits.sort(key=lambda a: ("/" not in a.source, a.key))
        return hits

    def provinces_at(self, geom, min_km: float = 1.0) -> tuple[str, ...]:
        """Short names of the provinces a geometry touches, PROVINCES first, then by adcode.

        Lines count a province when more than `min_km` of them lies inside it; polygons
        when more than 1% of their area does.
        """
        if self._prov_tree is None:
            return ()
        hit = set()
        for i in self._prov_tree.query(geom, predicate="intersects"):
            short = self._prov_list[i]
            poly = self.province_polygon(short)
            if geom.geom_type in ("Point", "MultiPoint"):
                hit.add(short)
            elif geom.geom_type in ("LineString", "MultiLineString"):
                if shapely.length(shapely.intersection(geom, poly)) * 111.0 > min_km:
                    hit.add(short)
            elif shapely.area(shapely.intersection(geom, poly)) > 0.01 * shapely.area(geom):
                hit.add(short)
        return order_provinces(hit, self.province_codes)

    def province_at(self, lon: float, lat: float) -> str:
        found = self.provinces_at(Point(lon, lat))
        return found[0] if found else ""

    def prominence_radius_km(self, place: Place) -> float:
        """Radius (km) of a circle with the area of the place's polygon; 0 when unknown."""
        poly = self.polygon(place.key) if place.level in ("province", "prefecture", "county") else None
        if poly is None:
            return 0.0
        area_km2 = shapely.area(poly) * 111.32**2 * math.cos(math.radians(place.lat))
        return math.sqrt(area_km2 / math.pi)


_HOW_ORDER = {"name": 0, "alias": 1, "former name": 1, "short form": 2, "pinyin": 3}


def rank_key(place: Place, wanted: tuple[str, ...]) -> tuple:
    """Sort key: tier, level fit, match quality, prominence, then a stable id."""
    order = wanted or BARE_LEVEL_ORDER
    level = place.level if place.level != "airport" else "town"
    if not wanted and level == "county" and place.name.endswith("区") and place.matched == "short form":
        level = "district"  # a bare 前进 is the town before 佳木斯's 前进区
    level_rank = order.index(level) if level in order else len(order)
    return (place.tier, level_rank, _HOW_ORDER.get(place.matched, 9), -place.prominence, place.level, place.key)


def order_provinces(names, province_codes: dict[str, str]) -> tuple[str, ...]:
    """The four provinces in PROVINCES order, then the others by adcode, then countries."""
    first = [p for p in PROVINCES if p in names]
    rest = sorted((p for p in names if p not in PROVINCES), key=lambda p: (province_codes.get(p, "999999"), p))
    return tuple(first + rest)


def normalise(text: str) -> str:
    """Trim whitespace and bracketed qualifiers: '小沟岭（黑吉界）' -> '小沟岭'."""
    return BRACKETS.sub("", text).strip().replace(" ", "").replace("\u3000", "")


def strip_suffix(text: str) -> str:
    for suffix, _levels in SUFFIX_LEVELS:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def suffix_levels(text: str) -> tuple[str, ...]:
    """Levels a place string asks for through its ending: 通化县 -> county; 通化 -> ()."""
    for suffix, levels in SUFFIX_LEVELS:
        if text.endswith(suffix) and len(text) > len(suffix):
            return levels
    return ()


def to_pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text)).lower()


def _pinyin_key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    except FileNotFoundError as exc:
        msg = f"Gazetteer file missing: {path}"
        raise GazetteerError(msg) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        msg = f"Gazetteer file unreadable: {path}: {exc}"
        raise GazetteerError(msg) from exc
    if rows and any(col not in rows[0] for col in required):
        missing = [c for c in required if c not in rows[0]]
        msg = f"Gazetteer file {path} lacks columns {missing}"
        raise GazetteerError(msg)
    return rows


def _float(row: dict, key: str, path: Path) -> float:
    try:
        return float(row[key])
    except (TypeError, ValueError) as exc:
        msg = f"Gazetteer file {path}: bad {key} {row.get(key)!r} in row {row}"
        raise GazetteerError(msg) from exc


def load_gazetteer(geodata_dir: Path = GEODATA_DIR) -> Gazetteer:
    """Load the committed gazetteer files under `geodata_dir` into an index.

    Reads admin_units.csv, towns.csv, airports.csv, boundaries.gpkg, aliases.csv and
    places_curated.csv, plus landmarks.csv and regions.csv when present. Raises
    GazetteerError naming the file when one is missing or malformed.
    """
    import pyogrio  # imported here: only loading needs it

    geodata_dir = Path(geodata_dir)
    for name in REQUIRED_FILES:
        if not (geodata_dir / name).is_file():
            msg = f"Gazetteer file missing: {geodata_dir / name} (re-derive with geodata/scripts/derive_gazetteer.py)"
            raise GazetteerError(msg)

    units: dict[str, Place] = {}
    index: dict[str, list[tuple[Place, str]]] = {}

    def add(name: str, place: Place, how: str) -> None:
        if name:
            index.setdefault(name, []).append((place, how))

    path = geodata_dir / "admin_units.csv"
    for row in _read_csv(path, ("adcode", "name", "short_names", "level", "parent", "province", "lon", "lat")):
        src = row["coord_source"] or "cpca"
        place = Place(
            name=row["name"], level=row["level"], key=row["adcode"], province=row["province"],
            lon=_float(row, "lon", path), lat=_float(row, "lat", path),
            source=f"adcode {row['adcode']}, seat {src}", prominence=float(row.get("population") or 0),
            parent=row["parent"],
        )
        units[place.key] = place
        add(place.name, place, "name")
        for short in filter(None, row["short_names"].split(";")):
            add(short, place, "short form")
        for old in filter(None, (row.get("former_names") or "").split(";")):
            add(old, place, "former name")
    province_codes = {p.province: p.key for p in units.values() if p.level == "province"}

    towns: list[Place] = []
    pinyin_index: dict[str, list[Place]] = {}
    path = geodata_dir / "towns.csv"
    for row in _read_csv(path, ("geonameid", "names_zh", "name", "province", "county_adcode", "lon", "lat")):
        names = [n for n in row["names_zh"].split(";") if n]
        place = Place(
            name=names[0] if names else row["name"], level="town", key=row["geonameid"],
            province=row["province"], lon=_float(row, "lon", path), lat=_float(row, "lat", path),
            source=f"GeoNames {row['geonameid']}", prominence=float(row.get("population") or 0),
            parent=row["county_adcode"],
        )
        towns.append(place)
        for n in names:
            add(n, replace(place, name=n), "name")
            stem = strip_suffix(n)
            if stem != n and len(stem) >= 2 and suffix_levels(n) == ("town",):
                add(stem, replace(place, name=n), "short form")
        if row["country"] != "CN":
            add(row["name"], place, "name")  # foreign places by their GeoNames name, for aliases
        if not names and place.province in PROVINCES:
            pinyin_index.setdefault(_pinyin_key(row["name"]), []).append(replace(place, name=row["name"]))

    path = geodata_dir / "places_curated.csv"
    if path.is_file():
        for row in _read_csv(path, ("name_zh", "aliases", "province", "county_adcode", "lon", "lat", "precision", "source")):
            place = Place(
                name=row["name_zh"], level="town", key=f"curated:{row['name_zh']}", province=row["province"],
                lon=_float(row, "lon", path), lat=_float(row, "lat", path), source=f"curated ({row['source']})",
                parent=row["county_adcode"], precision=int(row["precision"]),
            )
            towns.append(place)
            add(place.name, place, "name")
            for alias in filter(None, row["aliases"].split(";")):
                add(alias, place, "alias")

    path = geodata_dir / "aliases.csv"
    if path.is_file():
        for row in _read_csv(path, ("alias", "target", "province", "kind", "reason")):
            targets = [p for p, _how in index.get(row["target"], ()) if p.province == row["province"]]
            if not targets:
                msg = f"Gazetteer file {path}: alias {row['alias']!r} targets {row['target']!r} ({row['province']}), which is not in the gazetteer"
                raise GazetteerError(msg)
            how = "former name" if row["kind"] == "former_name" else "alias"
            for target in dict.fromkeys(targets):
                add(row["alias"], target, how)

    airports: list[Place] = []
    path = geodata_dir / "airports.csv"
    for row in _read_csv(path, ("icao", "iata", "name", "city", "province", "county_adcode", "lon", "lat", "source")):
        code = f"{row['icao']}/{row['iata']}" if row["iata"] else row["icao"]
        # the city is part of the name a reader and the pinyin match see: "Taoxian Airport (Shenyang)"
        name = row["name"] if row["city"].lower() in row["name"].lower() else f"{row['name']} ({row['city']})"
        airports.append(Place(
            name=name, level="airport", key=row["icao"], province=row["province"],
            lon=_float(row, "lon", path), lat=_float(row, "lat", path), source=f"{row['source']} {code}",
            parent=row["county_adcode"], precision=1,
        ))

    landmarks: list[Place] = []
    landmark_index: dict[str, list[Place]] = {}
    path = geodata_dir / "landmarks.csv"
    if path.is_file():
        for row in _read_csv(path, ("name_zh", "aliases", "kind", "province", "lon", "lat", "precision", "source")):
            try:
                precision = int(row["precision"])
            except ValueError as exc:
                msg = f"Gazetteer file {path}: bad precision {row['precision']!r} for {row['name_zh']!r}"
                raise GazetteerError(msg) from exc
            place = Place(
                name=row["name_zh"], level="landmark", key=row["name_zh"], province=row["province"],
                lon=_float(row, "lon", path), lat=_float(row, "lat", path),
                source=f"landmarks.csv: {row['source']}", precision=precision,
            )
            landmarks.append(place)
            for name in [place.name, *row["aliases"].split(";")]:
                if name.strip():
                    landmark_index.setdefault(normalise(name), []).append(place)

    regions: dict[str, Region] = {}
    region_index: dict[str, Region] = {}
    path = geodata_dir / "regions.csv"
    if path.is_file():
        for row in _read_csv(path, ("region_zh", "aliases", "members", "province", "source")):
            region = Region(
                name=row["region_zh"], members=tuple(m for m in row["members"].split(";") if m),
                provinces=tuple(p for p in row["province"].split(";") if p), source=row["source"],
            )
            regions[region.name] = region
            for name in [region.name, *row["aliases"].split(";")]:
                if name.strip():
                    region_index[normalise(name)] = region

    polygons: dict[str, object] = {}
    path = geodata_dir / "boundaries.gpkg"
    try:
        for layer in ("province", "prefecture", "county"):
            _meta, _fids, geoms, fields = pyogrio.raw.read(path, layer=layer, columns=["adcode"])
            for code, geom in zip(fields[0], shapely.from_wkb(geoms), strict=True):
                polygons[str(code)] = geom
    except Exception as exc:  # pyogrio raises several DataSource errors
        msg = f"Gazetteer file unreadable: {path}: {exc}"
        raise GazetteerError(msg) from exc

    gaz = Gazetteer(
        units=units, towns=towns, airports=airports, landmarks=landmarks, regions=regions,
        polygons=polygons, province_codes=province_codes, index=index, pinyin_index=pinyin_index,
        landmark_index=landmark_index, region_index=region_index,
    )
    prov_list = tuple(sorted(s for s, c in province_codes.items() if c in polygons))
    gaz._prov_list = prov_list
    gaz._prov_tree = STRtree([polygons[province_codes[s]] for s in prov_list])
    for geom in polygons.values():
        shapely.prepare(geom)
    return gaz
