"""Extract spatial projects from structured plan text.

Pure functions: (documents, place lexicon, rules, curation) -> list[Project]. The rules
(geodata/extraction_rules.toml) say which boxes and running-text nouns hold projects; the lexicon
says which words are places; the curation (geodata/curation.toml) makes the corrections rules
cannot, each with its reason.
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from atlas._errors import ExtractError
from atlas.models import Evidence, Project
from atlas.schema import THEMES
from atlas.settings import GEODATA_DIR
from atlas.sources import SourceText
from atlas.structure import Block, split_blocks

LINE_SEPARATORS = "—－-–~～至到"
_LINE_SPLIT = re.compile(r"[—－\-–~～]|(?<=[\u4e00-\u9fff）])至(?=[\u4e00-\u9fff])")
_BRACKET = re.compile(r"（([^（）]{1,20})）")
_QUANTITY = re.compile(r"^(?:[两二三四五六七八九十百千]+个|等|地区)+")
# Tails that are not part of a waypoint's place name: 段铁路电化, 铁路扩能改造, 等 …
_LINE_TAIL = re.compile(
    r"(?:段)?(?:铁路|高速公路|高速|客运专线|城际|快速铁路|干线铁路|连接线)?(?:扩能改造|扩能|电化|改造|建设|工程|项目)*(?:等)?$"
)
PROVINCE_PREFIXES = {
    "辽宁省": "辽宁", "辽宁": "辽宁", "吉林省": "吉林", "吉林": "吉林", "黑龙江省": "黑龙江",
    "黑龙江": "黑龙江", "内蒙古自治区": "内蒙古", "内蒙古": "内蒙古",
}
# Sub-headings that name a province or 蒙东 (a region of 内蒙古, a place in its own right in items).
HEADING_PROVINCES = {**PROVINCE_PREFIXES, "蒙东地区": "内蒙古"}
BORDER_HINTS = {"黑": "黑龙江", "吉": "吉林", "辽": "辽宁", "蒙": "内蒙古", "冀": "河北"}


# --- lexicon ---------------------------------------------------------------------------------

# Level of a lexicon name; higher is more specific, used to pick the site of a point.
LEVELS = {"region": 0, "province": 1, "prefecture": 2, "county": 3, "town": 4, "landmark": 5}


@dataclass(frozen=True)
class PlaceLexicon:
    """Names that are places (admin units in full and short form, towns, landmarks, regions)."""

    levels: dict[str, int]  # name -> LEVELS value
    abbreviations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_len: int = 12
    weak: frozenset[str] = frozenset()  # short town names: a place only as a whole item or waypoint

    def find_all(self, text: str) -> list[tuple[int, int, str]]:
        """Leftmost-longest non-overlapping place names in `text` as (start, end, name)."""
        out, i = [], 0
        while i < len(text):
            for n in range(min(self.max_len, len(text) - i), 1, -1):
                if text[i : i + n] in self.levels and text[i : i + n] not in self.weak:
                    out.append((i, i + n, text[i : i + n]))
                    i += n
                    break
            else:
                i += 1
        return out

    def prefix(self, text: str) -> str | None:
        """The longest place name `text` starts with."""
        for n in range(min(self.max_len, len(text)), 1, -1):
            if text[:n] in self.levels:
                return text[:n]
        return None

    def level(self, name: str) -> int:
        return self.levels.get(name, -1)


def load_abbreviations(path: Path) -> dict[str, tuple[str, ...]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["abbreviation"]: tuple(r["places"].split(";")) for r in csv.DictReader(fh)}


# --- rules and curation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    boxes: dict[int, dict]
    nouns: list[dict]  # longest noun first
    lead_verbs: dict[str, str]  # longest first
    subtype_verbs: tuple[str, ...]
    status_phrases: dict[str, dict[str, str]] = field(default_factory=dict)  # part -> phrase -> status
    plan2011_lead_status: dict[str, str] = field(default_factory=dict)

    def box_rule(self, box: str) -> dict | None:
        """The rule whose title word occurs in a box heading ("专栏12 铁路重点项目"); the most
        specific (longest) title word wins."""
        title = box.partition(" ")[2]
        hits = [(len(r["title"]), -n, n) for n, r in self.boxes.items() if r.get("title") and r["title"] in title]
        if not hits:
            return None
        number = max(hits)[2]
        return {**self.boxes[number], "number": number}


def load_rules(path: Path = GEODATA_DIR / "extraction_rules.toml") -> Rules:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ExtractError(f"cannot read extraction rules {path}: {exc}") from None
    boxes = {int(k): v for k, v in data.get("boxes", {}).items()}
    for number, box in boxes.items():
        if box.get("theme") not in THEMES:
            raise ExtractError(f"{path}: box {number} has unknown theme {box.get('theme')!r}")
    nouns = sorted(data.get("nouns", []), key=lambda n: -len(n["noun"]))
    verbs = dict(sorted(data.get("lead_verbs", {}).items(), key=lambda kv: -len(kv[0])))
    phrases = {part: dict(sorted(table.items(), key=lambda kv: -len(kv[0])))
               for part, table in data.get("status_phrases", {}).items()}
    return Rules(boxes, nouns, verbs, tuple(data.get("subtype_verbs", {}).get("verbs", ())), phrases,
                 data.get("plan2011_lead_status", {}))


@dataclass(frozen=True)
class Curation:
    box_ends: dict[int, str]
    tables: dict[int, list[dict]]
    table_docs: dict[int, str]
    drop: list[dict]
    add: list[dict]
    fix: list[dict]
    replace: list[dict] = field(default_factory=list)


def load_curation(path: Path = GEODATA_DIR / "curation.toml") -> Curation:
    if not Path(path).exists():
        return Curation({}, {}, {}, [], [], [])
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ExtractError(f"cannot read curation {path}: {exc}") from None
    for key in ("drop", "add", "fix", "replace"):
        for entry in data.get(key, []):
            if not entry.get("reason"):
                raise ExtractError(f"{path}: a [[{key}]] entry has no reason: {entry}")
    return Curation(
        {int(k): v for k, v in data.get("box_ends", {}).items()},
        {int(k): v for k, v in data.get("tables", {}).items()},
        {int(k): v for k, v in data.get("table_docs", {}).items()},
        data.get("drop", []),
        data.get("add", []),
        data.get("fix", []),
        data.get("replace", []),
    )


# --- mentions --------------------------------------------------------------------------------


@dataclass
class Mention:
    """One project as one passage names it (before merging mentions into projects)."""

    name_zh: str
    theme: str
    subtype: str
    geom_kind: str
    places: tuple[str, ...]
    evidence: Evidence
    site: str = ""
    province_hint: tuple[str, ...] = ()
    qualifiers: tuple[str, ...] = ()
    status: str = ""
    from_box: bool = False


def extract_projects(sources: list[SourceText], lexicon: PlaceLexicon, rules: Rules, curation: Curation) -> list[Project]:
    """Every project of the documents, mentions of one project merged, ids assigned."""
    mentions: list[Mention] = []
    for source in sources:
        doc = source.document
        blocks = split_blocks(source, curation.box_ends)
        for block in blocks:
            box_rule = rules.box_rule(block.box) if block.box else None
            if block.box and box_rule is None:
                continue
            if box_rule:
                mentions.extend(_box_mentions(doc.text, doc, block, box_rule, lexicon, rules, curation))
            else:
                mentions.extend(_running_mentions(doc.text, doc, block, lexicon, rules))
    mentions = _apply_curation(mentions, sources, curation, lexicon, rules)
    return _merge_into_projects(mentions)


# --- boxes -----------------------------------------------------------------------------------


def _box_mentions(text, doc, block: Block, rule: dict, lexicon, rules: Rules, curation: Curation) -> list[Mention]:
    content_start = block.start + (1 if text[block.start : block.start + 1] in "：:" else 0)
    sub_rule = rule.get("subheadings", {}).get(block.subheading, {})
    theme = sub_rule.get("theme", rule["theme"])
    geom = sub_rule.get("geom", rule["geom"])
    subtype = rule.get("subtype") or _subtype_of(block.subheading, rules, rule.get("noun", ""))
    hint = _province_of_heading(block.subheading)
    mode = rule.get("mode", "list")
    ctx = _Context(doc, block, theme, geom, subtype, rule.get("noun", ""), hint, from_box=True,
                   rule_number=rule.get("number", 0))
    if mode == "subheading":
        return [_subheading_mention(text, content_start, block, ctx, lexicon)]
    if mode == "named":
        return _named_mentions(text, content_start, block, ctx, rule, lexicon)
    if mode == "table":
        return _table_mentions(text, content_start, block, ctx, curation, lexicon)
    return _list_mentions(text, content_start, block.end, ctx, lexicon, rules)


@dataclass
class _Context:
    doc: object
    block: Block
    theme: str
    geom: str
    subtype: str
    noun: str
    hint: tuple[str, ...]
    from_box: bool = False
    rule_number: int = 0

    def evidence(self, start: int, end: int, status: str = "") -> Evidence:
        span = self.doc.original_span(start, end)
        return Evidence(self.doc.doc_id, self.block.path, self.doc.text[start:end], span, status)


def _subtype_of(subheading: str, rules: Rules, noun: str) -> str:
    """新建机场 -> 新建; 扩建（迁建）机场 -> 扩建; other sub-headings are the subtype."""
    for verb in rules.subtype_verbs:
        if subheading.startswith(verb):
            return verb
    return subheading


def _province_of_heading(heading: str) -> tuple[str, ...]:
    for prefix, short in HEADING_PROVINCES.items():
        if heading == prefix or heading.rstrip("：") == prefix:
            return (short,)
    return ()


def _list_mentions(text, start, end, ctx: _Context, lexicon, rules: Rules) -> list[Mention]:
    out = []
    for c_start, c_end in _spans(text, start, end, "。；"):
        subtype = ctx.subtype
        clause = text[c_start:c_end]
        verb = next((v for v in rules.subtype_verbs if clause.startswith(v)), None)
        if verb and ctx.from_box and ctx.subtype in rules.subtype_verbs:
            subtype = verb  # 扩建（迁建）机场：扩建长春…；迁建锦州机场 -> 扩建 / 迁建
        for i_start, i_end in _spans(text, c_start, c_end, "，"):
            elements = _spans(text, i_start, i_end, "、")
            out.extend(_enumeration(text, elements, replace(ctx, subtype=subtype), lexicon, rules, i_start, i_end))
    return out


def _enumeration(text, elements, ctx: _Context, lexicon, rules, i_start, i_end) -> list[Mention]:
    """Elements of one 、-enumeration. Elements that are bare places share the suffix of the
    last element: 沈阳、大连、齐齐哈尔数控机床产业基地 -> three bases."""
    raws = [_strip_lead(text[a:b], rules)[0] for a, b in elements]
    status = _strip_lead(text[elements[0][0] : elements[0][1]], rules)[1] if elements else ""
    suffix = ""
    last = raws[-1] if raws else ""
    if "等" in last:
        core, _, suffix = last.partition("等")
        raws[-1] = core
        suffix = _QUANTITY.sub("", suffix)
    # The last element that starts with a place carries the suffix its predecessors share when
    # they are bare places: 沈阳、大连、齐齐哈尔数控机床产业基地; 沈阳、…、鞍山冶金矿山、重型机械、…基地.
    idx = max((k for k, r in enumerate(raws) if lexicon.prefix(_strip_province(r)[0])), default=None)
    if idx is not None and idx > 0 and all(_is_bare_place(r, lexicon) for r in raws[:idx]):
        core = _strip_province(raws[idx])[0]
        place = lexicon.prefix(core)
        tail = "、".join([core[len(place) :], *raws[idx + 1 :]])
        if len(tail) >= 2 and not _is_line(raws[idx], lexicon):  # 长白|山 is a name, not a suffix
            raws = raws[:idx] + [raws[idx][: len(raws[idx]) - len(core) + len(place)]]
            elements = elements[:idx] + [(elements[idx][0], i_end)]
            suffix = _QUANTITY.sub("", tail) + suffix
    out = []
    shared_hint = ()
    for (a, b), raw in zip(elements, raws):
        if not raw:
            continue
        core, hint = _strip_province(raw)
        shared_hint = hint or shared_hint
        name = raw
        if suffix and not _is_line(core, lexicon) and suffix not in core:
            name = core + suffix
        elif ctx.noun and _is_bare_place(core, lexicon):
            name = core + ctx.noun
        mention = _mention_from(name, core, ctx, lexicon, a, b, hint or shared_hint or ctx.hint, status)
        if mention:
            out.append(mention)
    return out


def _mention_from(name, core, ctx: _Context, lexicon, start, end, hint, status) -> Mention | None:
    """A mention from one item; None when the item names no place."""
    name = name.strip("“”\"'：: ")
    core = core.strip("“”\"'：: ")
    qualifiers = tuple(m.group(1) for m in _BRACKET.finditer(core))
    hint = tuple(hint) + _border_hint(qualifiers)
    geom = ctx.geom
    if core in lexicon.abbreviations:
        places = lexicon.abbreviations[core]
        geom = "line" if ctx.geom == "line" else ctx.geom
    elif _is_line(core, lexicon) and ctx.geom in ("line", "point"):
        places = _waypoints(core, lexicon)
        geom = "line"
    else:
        places = _point_places(core, lexicon, ctx.geom)
    if not places and ctx.from_box and ctx.noun:
        places = (core,)  # 新建机场：…建三江…: every item of the list is one, known place or not
        name = name if name.endswith(ctx.noun) else core + ctx.noun
    if not places and not (ctx.from_box and geom == "point" and ctx.theme not in ("industry", "airport")):
        return None  # names no place: not a spatial project (a facility in a box is: its site)
    site = name if geom == "point" and ctx.theme not in ("airport",) else ""
    return Mention(
        name_zh=name, theme=ctx.theme, subtype=ctx.subtype, geom_kind=geom, places=tuple(places),
        evidence=ctx.evidence(start, end, status), site=site, province_hint=_dedupe(hint),
        qualifiers=qualifiers, status=status, from_box=ctx.from_box,
    )


def _subheading_mention(text, start, block: Block, ctx: _Context, lexicon) -> Mention:
    """One project per sub-heading: the brand or city; places are the cities the text names
    after a dash (…之城—齐齐哈尔和白城), else the sub-heading itself."""
    body = text[start : block.end]
    named = []
    for m in re.finditer(r"—([^，。；]+)", body):
        for part in re.split(r"[、和，]", m.group(1)):
            place = lexicon.prefix(part.strip())
            if place:
                named.append(place)
    places = tuple(_dedupe(named)) or (block.subheading,)
    return Mention(block.subheading, ctx.theme, ctx.subtype, ctx.geom, places,
                   ctx.evidence(start, block.end), province_hint=ctx.hint, from_box=True)


def _named_mentions(text, start, block: Block, ctx: _Context, rule: dict, lexicon) -> list[Mention]:
    """专栏8: "NAME：description。" items; （N）X headings inside set the subtype."""
    out = []
    subtype = re.sub(r"^\d+、", "", block.subheading)
    body_end = block.end
    pattern = re.compile(r"（\d）([\u4e00-\u9fff]{1,10}?区)|([^。：；（）]{2,60})：")
    for m in pattern.finditer(text, start, body_end):
        if m.group(1):
            subtype = m.group(1)
            continue
        name = m.group(2).strip()
        places = (name,)
        if "、" in name:  # 4、禁止开发区域: a list of categories of protected areas, no place
            name, places = re.sub(r"^\d+、", "", block.subheading), ()
        sentence_end = text.find("。", m.end(), body_end)
        sentence_end = body_end if sentence_end < 0 else sentence_end + 1
        theme = rule.get("theme_by_subtype", {}).get(subtype, ctx.theme)
        out.append(Mention(name, theme, subtype, ctx.geom, places, ctx.evidence(m.start(2), sentence_end),
                           province_hint=ctx.hint, from_box=True))
    return out


def _table_mentions(text, start, block: Block, ctx: _Context, curation: Curation, lexicon) -> list[Mention]:
    """专栏9: table rows whose cells ran together; row names and places come from curation."""
    rows = curation.tables.get(ctx.rule_number, [])
    if not rows or not ctx.doc.doc_id.startswith(curation.table_docs.get(ctx.rule_number, "\0")):
        return []  # a table whose cells ran together cannot be split without its curated rows
    out, pos = [], start
    starts = []
    for row in rows:
        i = text.find(row["name"], pos, block.end)
        if i < 0:
            raise ExtractError(f"curation.toml: table row {row['name']!r} of 专栏{ctx.block.box_number} is not in the text")
        starts.append(i)
        pos = i + len(row["name"])
    for k, (row, i) in enumerate(zip(rows, starts)):
        end = starts[k + 1] if k + 1 < len(starts) else block.end
        places = tuple(row.get("places") or _point_places(row["name"], lexicon, "point"))
        out.append(Mention(row["name"], ctx.theme, ctx.subtype, ctx.geom, places, ctx.evidence(i, end),
                           site=row["name"], from_box=True))
    return out


# --- running text ----------------------------------------------------------------------------


def _running_mentions(text, doc, block: Block, lexicon, rules: Rules) -> list[Mention]:
    """Projects named in running text: enumerations that end in a project noun (港, 机场, 铁路,
    客运专线, 大桥, 核电站, 经济区 …) and name a place."""
    out = []
    for c_start, c_end in _spans(text, block.start, block.end, "。；，：\n"):
        clause = text[c_start:c_end]
        hits = _noun_hits(clause, rules)
        for noun_rule, n_start, n_end in hits:
            b = c_start + n_end
            # the enumeration ending at this noun: 、-separated elements back to the previous noun
            left = c_start + max((end for _, _, end in hits if end <= n_start), default=0)
            elements = _spans(text, left, b, "、和及")
            ctx = _Context(doc, block, noun_rule["theme"], noun_rule["geom"], noun_rule["subtype"],
                           noun_rule["noun"], ())
            found = _noun_enumeration(text, elements, ctx, lexicon, rules, noun_rule["noun"],
                                      noun_rule.get("name_noun", noun_rule["noun"]))
            for mention in found:
                lead = mention.status
                if block.chapter.startswith("二、"):
                    lead = next((st for verb, st in rules.plan2011_lead_status.items()
                                 if rules.lead_verbs.get(verb) == lead and text[left:b].lstrip().startswith(verb)), lead)
                mention.status = _status_after(text, b, c_end, block, rules) or lead
            out.extend(found)
    return out


def _status_after(text: str, start: int, clause_end: int, block: Block, rules: Rules) -> str:
    """The status phrase that follows an enumeration in its clause (…等项目开工建设)."""
    part = "report" if block.chapter.startswith("一、") else "plan2011" if block.chapter.startswith("二、") else ""
    window = text[start:clause_end]
    hits = [(window.find(p), st) for p, st in rules.status_phrases.get(part, {}).items() if p in window]
    return min(hits)[1] if hits else ""


def _noun_hits(clause: str, rules: Rules):
    """(rule, start, end) of project nouns in a clause, left to right, longest noun first."""
    hits, taken = [], [False] * len(clause)
    for rule in rules.nouns:
        if rule["noun"] not in clause:
            continue
        for m in re.finditer(re.escape(rule["noun"]), clause):
            if any(taken[m.start() : m.end()]) or clause[m.end() : m.end() + 1] in rule.get("not_followed_by", "") != "":
                continue
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
            hits.append((rule, m.start(), m.end()))
    return sorted(hits, key=lambda h: h[1])


def _noun_enumeration(text, elements, ctx: _Context, lexicon, rules, noun, name_noun) -> list[Mention]:
    """The items of an enumeration that ends in `noun`; each is named place + `name_noun`."""
    if not elements:
        return []
    status = ""
    raws = []
    for a, b in elements:
        raw, verb_status = _strip_lead(text[a:b], rules)
        status = status or verb_status
        raws.append((a, b, raw))
    last_a, last_b, last = raws[-1]
    core = last[: -len(noun)] if last.endswith(noun) else last
    shared = "等" in core
    core = core.split("等")[0]
    out = []
    items = [(a, b, r, False) for a, b, r in raws[:-1]] + [(last_a, last_b, core, True)]
    for a, b, raw, is_last in items:
        raw = raw.strip("“”\"' ")
        start_place = 0 if _is_line(raw, lexicon) else _first_place_offset(raw, lexicon)
        if start_place is None:
            if not is_last:
                continue
            if not shared:
                continue
        raw = raw[start_place:] if start_place else raw
        if not is_last and noun in raw:
            continue  # an earlier element with its own noun is found on its own
        if _is_line(raw, lexicon) and not (is_last and not shared):
            name = raw  # 赤（峰）大（板）白（音华）至锦州、…等铁路: a listed line is named by its stops
        elif is_last or shared or _is_bare_place(raw, lexicon) or raw in lexicon.abbreviations:
            name = raw + name_noun
        else:
            name = raw
        raw_core, hint = _strip_province(raw)
        mention = _mention_from(name, raw_core, ctx, lexicon, a, b, hint, status)
        if mention:
            out.append(mention)
    return out


def _first_place_offset(raw: str, lexicon) -> int | None:
    for abbr in lexicon.abbreviations:
        i = raw.find(abbr)
        if i >= 0 and (i == 0 or raw[i - 1] not in "省市县"):
            hits = lexicon.find_all(raw)
            if not hits or hits[0][0] >= i:
                return i
    hits = lexicon.find_all(raw)
    return hits[0][0] if hits else None


# --- element parsing -------------------------------------------------------------------------


def _strip_lead(raw: str, rules: Rules) -> tuple[str, str]:
    """Drop lead verbs (建成, 加快建设 …) and quotes; return the rest and the status they imply."""
    s = raw.strip().strip("：: ").replace("“", "").replace("”", "")
    status = ""
    changed = True
    while changed:
        changed = False
        for verb, verb_status in rules.lead_verbs.items():
            if s.startswith(verb) and len(s) > len(verb) + 1:
                s = s[len(verb) :]
                status = status or verb_status
                changed = True
                break
    return s, status


def _strip_province(raw: str) -> tuple[str, tuple[str, ...]]:
    """辽宁省阜新 -> (阜新, (辽宁,)); 辽宁（海城）菱镁… keeps the bracket; a bare province stays."""
    for prefix, short in sorted(PROVINCE_PREFIXES.items(), key=lambda kv: -len(kv[0])):
        rest = raw[len(prefix) :]
        if raw.startswith(prefix) and len(rest) >= 2 and rest[0] not in LINE_SEPARATORS and not rest.startswith(("两个", "中部", "东部", "西部", "化学", "省")):
            return rest, (short,)
    return raw, ()


def _border_hint(qualifiers) -> tuple[str, ...]:
    """（黑吉界） -> 黑龙江, 吉林: the place lies on that provincial border."""
    out = []
    for q in qualifiers:
        if q.endswith("界") and 2 <= len(q) <= 4:
            out.extend(BORDER_HINTS[c] for c in q[:-1] if c in BORDER_HINTS)
    return tuple(out)


def _complete_brackets(s: str, lexicon) -> str:
    """赤（峰）大（板）白（音华） -> 赤峰大板白音华 where each completion is a known place."""
    def repl(m):
        whole = m.group(1) + m.group(2)
        return whole if whole in lexicon.levels else m.group(0)
    return re.sub(r"([\u4e00-\u9fff])（([\u4e00-\u9fff]{1,3})）", repl, s)


def _is_line(raw: str, lexicon) -> bool:
    core = _BRACKET.sub("", raw)
    parts = [p for p in _LINE_SPLIT.split(_complete_brackets(raw, lexicon)) if p]
    return len(parts) >= 2 and bool(re.search(f"[{re.escape(LINE_SEPARATORS)}]", core))


def _waypoints(raw: str, lexicon) -> list[str]:
    """Ordered waypoints of a line item: 哈尔滨-牡丹江—绥芬河 -> [哈尔滨, 牡丹江, 绥芬河]."""
    s = _complete_brackets(raw, lexicon)
    # a trailing bracket describes the whole line: (阿尔山—乔巴山铁路中国段)
    s = re.sub(r"（[^（）]*[—－\-–][^（）]*）$", "", s)
    out = []
    for part in _LINE_SPLIT.split(s):
        part = part.strip()
        if not part:
            continue
        qual = _BRACKET.search(part)
        bare = _BRACKET.sub("", part)
        # 赤大白: several places run together before 至
        hits = lexicon.find_all(bare)
        if qual and qual.group(1) in lexicon.levels:
            out.append(qual.group(1))  # 沈阳（辉山街道） -> the more precise place
            continue
        if hits and hits[0][0] == 0:
            covered = hits[0][2]
            out.append(covered)
            rest = bare[len(covered) :]
            while True:  # 赤峰大板白音华 -> three places
                nxt = lexicon.prefix(rest)
                if not nxt or lexicon.level(nxt) < 0:
                    break
                out.append(nxt)
                rest = rest[len(nxt) :]
            continue
        tail = _LINE_TAIL.search(bare)
        name = bare[: tail.start()] if tail else bare
        if name:
            out.append(name)
    return out


def _point_places(raw: str, lexicon, geom: str) -> list[str]:
    """The place of a point (or the members of a zone) named in an item."""
    bracket = _BRACKET.search(raw)
    if bracket and bracket.group(1) in lexicon.levels:
        return [bracket.group(1)]  # 辽宁（海城）菱镁… -> 海城
    hits = lexicon.find_all(_BRACKET.sub("", raw))
    if not hits:
        return []
    if geom == "zone":
        return [hits[0][2]]
    first = hits[0][2]
    for _, _, name in hits[1:]:
        if lexicon.level(first) <= LEVELS["prefecture"] and lexicon.level(name) >= LEVELS["county"]:
            return [name]
    return [first]



def _is_bare_place(raw: str, lexicon) -> bool:
    core, _ = _strip_province(raw)
    return core in lexicon.levels or raw in lexicon.levels


def _spans(text: str, start: int, end: int, separators: str) -> list[tuple[int, int]]:
    """Split text[start:end] at separators outside brackets and quotes; trimmed spans."""
    out, depth, seg = [], 0, start
    for i in range(start, end):
        ch = text[i]
        if ch in "（(“":
            depth += 1
        elif ch in "）)”" and depth:
            depth -= 1
        elif depth == 0 and ch in separators:
            out.append((seg, i))
            seg = i + 1
    out.append((seg, end))
    trimmed = []
    for a, b in out:
        while a < b and text[a] in " \n\t：:":
            a += 1
        while b > a and text[b - 1] in " \n\t":
            b -= 1
        if b > a:
            trimmed.append((a, b))
    return trimmed


def _dedupe(items) -> tuple:
    return tuple(dict.fromkeys(items))


# --- curation --------------------------------------------------------------------------------


def _apply_curation(mentions: list[Mention], sources, curation: Curation, lexicon, rules) -> list[Mention]:
    """Drop, fix and add mentions as geodata/curation.toml says; fail when an entry no longer
    matches the text (so a changed document cannot be silently mis-curated)."""
    docs = {s.document.doc_id: s for s in sources}
    added = list(curation.add)
    for entry in curation.replace:
        # a prose sub-heading whose items rules cannot split: its mentions are the curated ones
        doc_ids = [d for d in docs if d.startswith(entry["doc"])]
        if not doc_ids:
            continue
        mentions = [m for m in mentions if not (m.evidence.doc_id in doc_ids and m.evidence.section.endswith(entry["section"]))]
        added.extend({**item, "doc": entry["doc"], "reason": entry["reason"], "section": entry["section"]}
                     for item in entry["items"])
    def in_build(entry: dict) -> bool:
        return any(d.startswith(entry["doc"]) for d in docs)

    for entry in curation.drop + curation.fix + added:
        if not entry.get("doc"):
            raise ExtractError(f"curation.toml: entry {entry.get('name') or entry.get('name_zh')!r} names no doc")
    for entry in filter(in_build, curation.drop):
        before = len(mentions)
        mentions = [m for m in mentions if not _matches(m, entry)]
        if len(mentions) == before:
            raise ExtractError(f"curation.toml: drop entry {entry.get('name')!r} matches no extracted item")
    for entry in filter(in_build, curation.fix):
        hits = [m for m in mentions if _matches(m, entry)]
        if not hits:
            raise ExtractError(f"curation.toml: fix entry {entry.get('name')!r} matches no extracted item")
        for m in hits:
            for key in ("name_zh", "theme", "subtype", "geom_kind", "site", "status"):
                if key in entry:
                    setattr(m, key, entry[key])
            if "places" in entry:
                m.places = tuple(entry["places"])
            if "province_hint" in entry:
                m.province_hint = tuple(entry["province_hint"])
    for entry in filter(in_build, added):
        source = next(s for d, s in docs.items() if d.startswith(entry["doc"]))
        doc = source.document
        blocks = [b for b in split_blocks(source, curation.box_ends) if b.path.endswith(entry.get("section", ""))]
        i, block = -1, None
        for candidate in blocks:
            i = doc.text.find(entry["anchor"], candidate.start, candidate.end)
            if i >= 0:
                block = candidate
                break
        if i < 0:
            where = f"section {entry['section']!r} of " if entry.get("section") else ""
            raise ExtractError(f"curation.toml: anchor {entry['anchor']!r} is not in {where}{doc.doc_id}")
        path = block.path if block else ""
        span = doc.original_span(i, i + len(entry["anchor"]))
        ev = Evidence(doc.doc_id, path, entry["anchor"], span, entry.get("status", ""))
        mentions.append(Mention(entry["name_zh"], entry["theme"], entry["subtype"], entry["geom_kind"],
                                tuple(entry["places"]), ev, site=entry.get("site", ""),
                                province_hint=tuple(entry.get("province_hint", ())),
                                status=entry.get("status", ""), from_box=bool(block and block.box)))
    return mentions


def _matches(m: Mention, entry: dict) -> bool:
    if m.name_zh != entry.get("name"):
        return False
    if "doc" in entry and not m.evidence.doc_id.startswith(entry["doc"]):
        return False
    return "section" not in entry or m.evidence.section.startswith(entry["section"])


# --- merging mentions into projects ----------------------------------------------------------

_NAME_NOISE = re.compile(r"(?:一期|二期|和|扩建|重建|改造|工程|项目|站|建设)")


def project_key(m: Mention) -> tuple:
    """What makes two mentions the same project."""
    if m.geom_kind == "line":
        return ("line", m.theme, frozenset(m.places))
    if m.theme in ("airport", "resource_city"):
        return ("place", m.theme, m.places[0] if m.places else m.name_zh)
    return ("name", m.theme, _NAME_NOISE.sub("", m.name_zh))


def _same_project(a: Mention, b: Mention) -> bool:
    """Two items of boxes are two projects unless they are named alike; a mention elsewhere is
    the same project as a box item with the same key, or a line through the same ends."""
    if a.from_box and b.from_box and a.evidence.doc_id == b.evidence.doc_id:
        return a.name_zh == b.name_zh and a.theme == b.theme
    ka, kb = project_key(a), project_key(b)
    if ka == kb:
        return True
    if ka[0] == kb[0] == "line" and a.theme == b.theme:
        small, big = sorted((ka[2], kb[2]), key=len)
        return len(small) >= 2 and small <= big and _same_ends(a, b)
    return False


def _same_ends(a: Mention, b: Mention) -> bool:
    """A line and a longer line through the same two end places (赤峰—锦州 in 赤大白至锦州)."""
    ends = lambda m: {m.places[0], m.places[-1]}  # noqa: E731
    return bool(ends(a) & ends(b)) and len(ends(a) | ends(b)) <= 3


PROGRESS_DOC_PREFIX = "ne_revitalization_2010"


def _merge_into_projects(mentions: list[Mention]) -> list[Project]:
    """Group mentions of the same project; the box mention leads, the plan before the report.
    Ids are theme prefix + running number in order of first appearance (deterministic)."""
    groups: list[list[Mention]] = []
    ordered = sorted(mentions, key=lambda m: (m.evidence.doc_id.startswith(PROGRESS_DOC_PREFIX), not m.from_box, m.evidence.doc_id, m.evidence.span))
    # Indexes of the groups a mention can join (see _same_project), so merging stays linear:
    # the first group in creation order that _same_project confirms wins, as a full scan would.
    by_key: dict[tuple, list[int]] = {}
    by_box_name: dict[tuple, list[int]] = {}
    by_line_end: dict[tuple, list[int]] = {}
    for m in ordered:
        candidates = set(by_key.get(project_key(m), ()))
        candidates.update(by_box_name.get((m.evidence.doc_id, m.name_zh, m.theme), ()))
        if m.geom_kind == "line" and m.places:
            for end in {m.places[0], m.places[-1]}:
                candidates.update(by_line_end.get((m.theme, end), ()))
        index = next((i for i in sorted(candidates) if _same_project(groups[i][0], m)), None)
        if index is not None:
            groups[index].append(m)
            continue
        index = len(groups)
        groups.append([m])
        by_key.setdefault(project_key(m), []).append(index)
        if m.from_box:
            by_box_name.setdefault((m.evidence.doc_id, m.name_zh, m.theme), []).append(index)
        if m.geom_kind == "line" and m.places:
            for end in {m.places[0], m.places[-1]}:
                by_line_end.setdefault((m.theme, end), []).append(index)
    # order projects by the position of their lead mention
    groups.sort(key=lambda g: (g[0].evidence.doc_id.startswith(PROGRESS_DOC_PREFIX), g[0].evidence.doc_id, g[0].evidence.span))
    counters: dict[str, int] = {}
    projects = []
    for group in groups:
        lead = group[0]
        richest = max(group, key=lambda m: (m.geom_kind == "line" and len(m.places), m.from_box))
        counters[lead.theme] = counters.get(lead.theme, 0) + 1
        status = next((m.status for m in group if m.evidence.doc_id.startswith(PROGRESS_DOC_PREFIX) and m.status), "")
        evidence = _dedupe([lead.evidence] + [m.evidence for m in group[1:]])
        projects.append(Project(
            id=f"{THEMES[lead.theme][0]}-{counters[lead.theme]:03d}",
            name_zh=richest.name_zh if richest.geom_kind == "line" else lead.name_zh,
            theme=lead.theme, subtype=lead.subtype, geom_kind=lead.geom_kind,
            places=richest.places if lead.geom_kind == "line" else lead.places,
            site=lead.site, province_hint=_dedupe(h for m in group for h in m.province_hint),
            qualifiers=_dedupe(q for m in group for q in m.qualifiers),
            status_2010=status, evidence=tuple(evidence),
        ))
    return projects


def parse_item_text(text: str, lexicon: PlaceLexicon) -> tuple[tuple[str, ...], str]:
    """The places and geometry kind the extractor reads in one item of text, for `atlas geocode`:
    '哈尔滨-牡丹江—绥芬河' -> ((哈尔滨, 牡丹江, 绥芬河), 'line'); '营口机场' -> ((营口,), 'point')."""
    core, _ = _strip_province(text.strip())
    if core in lexicon.abbreviations:
        return lexicon.abbreviations[core], "line"
    if _is_line(core, lexicon):
        return tuple(_waypoints(core, lexicon)), "line"
    places = _point_places(core, lexicon, "point")
    return (tuple(places) if places else (core,)), "point"
