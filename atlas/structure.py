"""Split a repaired document into blocks, each with its section path.

A block is a run of text under one heading path: chapter (第N章), section (第N节), box (专栏N) and
sub-heading inside a box (the units the PDF printed four times, e.g. ``快速铁路及区际干线``), or, in
running text, the topic word that opens a paragraph (``铁路。``, ``铁路方面。``). Markdown documents
use their ``#`` headings and numbered items (``20. …``) instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from atlas.sources import SourceText, toc_end

_NUM = "一二三四五六七八九十百零"
CHAPTER_RE = re.compile(f"第[{_NUM}]+章")
SECTION_RE = re.compile(f"第[{_NUM}]+节")
BOX_RE = re.compile(r"专栏(\d{1,2})：")
FIGURE_RE = re.compile(r"图(\d{1,2})(?=[\u4e00-\u9fff])")
# A short sentence that opens a running-text paragraph and names its topic: 铁路。 公路。 港口。
TOPIC_RE = re.compile(r"(?:(?<=。)|^)([\u4e00-\u9fff]{2,6})。")


@dataclass(frozen=True)
class Block:
    """Text under one heading path. `start`/`end` index the repaired document text."""

    doc_id: str
    chapter: str  # "第七章 改善基础设施条件" or ""
    section: str  # "第一节 建设综合交通运输体系" or ""
    box: str  # "专栏12 铁路重点项目" or ""
    subheading: str  # "快速铁路及区际干线" or a running-text topic such as "铁路"
    start: int
    end: int
    box_number: int = 0

    @property
    def path(self) -> str:
        """The section path, e.g. 第七章/第一节/专栏12/快速铁路及区际干线."""
        parts = [p.split(" ")[0] if p.startswith("第") else p for p in (self.chapter, self.section)]
        box = self.box.split(" ")[0] if self.box else ""
        return "/".join(p for p in (*parts, box, self.subheading) if p)


def split_blocks(source: SourceText, box_ends: dict[int, str] | None = None) -> list[Block]:
    """Blocks of a document in text order. `box_ends` maps a box number to the sentence that
    starts the running text after it, where no heading marks the box's end."""
    doc = source.document
    if doc.path.endswith(".md"):
        return _markdown_blocks(source)
    return _plan_blocks(source, box_ends or {})


# --- plan documents (PDF text) ---------------------------------------------------------------


def _plan_blocks(source: SourceText, box_ends: dict[int, str]) -> list[Block]:
    doc = source.document
    text = doc.text
    titles = _toc_titles(text)
    body_start = toc_end(text)
    headings = _heading_groups(text, source.heading_spans)

    # Structural marks in the body, in order: (position, kind, payload, end of mark)
    marks: list[tuple[int, str, str, int]] = []
    for regex, kind in ((CHAPTER_RE, "chapter"), (SECTION_RE, "section")):
        for m in regex.finditer(text, body_start):
            candidates = titles.get(m.group(), []) if kind == "chapter" else titles.get("节", [])
            title = _title_after(text, m.end(), candidates, kind)
            if title is None:
                continue
            marks.append((m.start(), kind, f"{m.group()} {title}", m.end() + len(title)))
    for start, end, units in headings:
        if start < body_start:
            continue
        group = "".join(units)
        box = BOX_RE.match(text, start)
        if box:
            title, subs = _box_title(units)
            pos = start + len(f"专栏{box.group(1)}：{title}")
            marks.append((start, "box", f"专栏{box.group(1)} {title}", pos))
            for sub in subs:
                marks.append((pos, "sub", sub.rstrip("：:"), pos + len(sub)))
                pos += len(sub)
        elif FIGURE_RE.match(text, start):
            marks.append((start, "figure", "", end))
        else:
            marks.append((start, "sub", group.rstrip("：:"), end))
    marks.sort()

    blocks: list[Block] = []
    chapter = section = box = sub = ""
    box_number = 0
    cursor = body_start
    for pos, kind, payload, mark_end in marks + [(len(text), "end", "", len(text))]:
        blocks.extend(_running_or_box(doc.doc_id, text, cursor, pos, chapter, section, box, sub, box_number, box_ends))
        if kind == "chapter":
            chapter, section, box, sub, box_number = payload, "", "", "", 0
        elif kind == "section":
            section, box, sub, box_number = payload, "", "", 0
        elif kind == "box":
            box, sub = payload, ""
            box_number = int(payload.split(" ")[0][2:])
        elif kind == "sub":
            sub = payload if box else ""
        elif kind == "figure":
            box, sub, box_number = "", "", 0
        cursor = mark_end
    return [b for b in blocks if text[b.start : b.end].strip()]


def _running_or_box(doc_id, text, start, end, chapter, section, box, sub, box_number, box_ends) -> list[Block]:
    """The text between two marks: inside a box up to where the box ends, then running text
    split at paragraph topics."""
    blocks = []
    if box:
        box_end = _box_end(text, start, end, box_ends.get(box_number))
        blocks.append(Block(doc_id, chapter, section, box, sub, start, box_end, box_number))
        start = box_end
    if start >= end:
        return blocks
    topic, seg_start = "", start
    for m in TOPIC_RE.finditer(text, start, end):
        if m.start() <= start and m.start() != start:
            continue
        if m.start() > seg_start:
            blocks.append(Block(doc_id, chapter, section, "", topic, seg_start, m.start()))
        topic, seg_start = m.group(1), m.end()
    blocks.append(Block(doc_id, chapter, section, "", topic, seg_start, end))
    return blocks


def _box_end(text: str, start: int, end: int, curated: str | None) -> int:
    """Where a box's content ends: a curated sentence, or a short topic sentence (公路。)."""
    if curated:
        i = text.find(curated, start, end)
        if i >= 0:
            return i
    for m in TOPIC_RE.finditer(text, start, end):
        if m.start() > start:
            return m.start()
    return end


def _toc_titles(text: str) -> dict[str, list[str]]:
    """Chapter and section titles from the table of contents (第一章开创全面振兴新局面1…):
    {"第一章": ["开创全面振兴新局面"], "节": [every section title]}."""
    toc_at, end = text.find("目录", 0, 2000), toc_end(text)
    if toc_at < 0 or not end:
        return {}
    titles: dict[str, list[str]] = {"节": []}
    for m in re.finditer(f"(第[{_NUM}]+([章节]))([^\\d第]{{1,30}}?)\\d+", text[toc_at:end]):
        if m.group(2) == "章":
            titles[m.group(1)] = [m.group(3)]
        else:
            titles["节"].append(m.group(3))
    return titles


def _title_after(text: str, pos: int, candidates: list[str], kind: str) -> str | None:
    """The heading title that follows 第N章/第N节 at `pos`: the longest TOC title that starts
    there, else the rest of a short line; None when the mark is only a mention in a sentence."""
    for title in sorted(candidates, key=len, reverse=True):
        if text.startswith(title, pos):
            return title
    line_end = text.find("\n", pos)
    if 0 < line_end - pos <= 30:
        return text[pos:line_end].strip()
    return None


def _heading_groups(text: str, spans: tuple[tuple[int, int], ...]) -> list[tuple[int, int, list[str]]]:
    """Adjacent repeated units joined into heading groups (start, end, units), split after a
    unit that ends with a colon: 辽宁|省|： is one group, …干线|：北京 ends at the colon."""
    groups: list[tuple[int, int, list[str]]] = []
    for start, end in spans:
        joined = "".join(groups[-1][2]) if groups else ""
        closed = joined.endswith(("：", ":")) and not re.fullmatch(r"专栏\d+[：:]", joined)
        if groups and groups[-1][1] == start and not closed:
            g_start, _, units = groups[-1]
            groups[-1] = (g_start, end, units + [text[start:end]])
        else:
            groups.append((start, end, [text[start:end]]))
    return groups


def _box_title(units: list[str]) -> tuple[str, list[str]]:
    """Split the units of a 专栏 heading group into its title and the sub-heading that follows
    it directly. The title is the unit that starts with the colon plus the units joined to it
    through punctuation (quotes); the first boundary between two Chinese words ends it."""
    i = 0
    while i < len(units) and not units[i].startswith(("：", ":")):
        i += 1
    if i == len(units):
        return "".join(units), []
    title = [units[i]]
    j = i + 1
    while j < len(units) and (_is_punct(title[-1][-1]) or _is_punct(units[j][0])):
        title.append(units[j])
        j += 1
    rest = "".join(units[j:])
    return "".join(title).lstrip("：:"), [rest] if rest else []


def _is_punct(ch: str) -> bool:
    return not ("\u3400" <= ch <= "\u9fff") and not ch.isalnum()


# --- markdown documents ----------------------------------------------------------------------

_MD_ITEM = re.compile(r"^(\d{1,3})\.\s", re.M)
_CN_SUBSECTION = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")


def _markdown_blocks(source: SourceText) -> list[Block]:
    doc = source.document
    text = doc.text
    # headings: "## 一、…" parts, "#### （一）…" subsections; bold-only lines are also headings
    marks: list[tuple[int, int, str, str]] = []
    for m in re.finditer(r"^[ \t]*(?:#{1,6}[ \t]*)?(.+?)[ \t]*$", text, re.M):
        line = m.group(1).strip()
        raw_line = doc.original[doc.offsets[m.start()] : doc.offsets[max(m.start(), m.end() - 1)] + 1] if m.end() > m.start() else ""
        if not line:
            continue
        if re.match(r"^[一二三四五六七八九十]+、", line):
            marks.append((m.start(), m.end(), "part", line))
        elif _CN_SUBSECTION.match(line) and len(line) <= 40:
            marks.append((m.start(), m.end(), "subsection", line))
        elif _MD_ITEM.match(line):
            marks.append((m.start(), m.start() + len(_MD_ITEM.match(line).group(0)), "item", f"第{_MD_ITEM.match(line).group(1)}条"))
        elif raw_line.lstrip().startswith("#") and len(line) <= 60:
            marks.append((m.start(), m.end(), "title", line))
        else:
            lead = re.match(r"([\u4e00-\u9fff]{2,14}。)", line)
            if lead and len(lead.group(1)) <= 15:
                marks.append((m.start(), m.start() + len(lead.group(1)), "lead", lead.group(1).rstrip("。")))
    blocks: list[Block] = []
    part = subsection = item = lead = ""
    cursor = 0
    for start, end, kind, payload in marks + [(len(text), len(text), "end", "")]:
        if start > cursor and text[cursor:start].strip():
            blocks.append(Block(doc.doc_id, part, subsection, "", "/".join(x for x in (item, lead) if x), cursor, start))
        if kind == "part":
            part, subsection, item, lead = payload, "", "", ""
        elif kind == "subsection":
            subsection, item, lead = payload, "", ""
        elif kind == "item":
            item, lead = payload, ""
        elif kind == "lead":
            lead = payload
        elif kind == "title":
            part = subsection = item = lead = ""
        cursor = max(cursor, end)
    return blocks
