"""Load plan documents and repair the artifacts of their PDF extraction.

Repairs, each recorded so that every character of the repaired text maps back to its offset in
the original file (Document.offsets):

- headings printed four times (``专栏专栏专栏专栏12121212``, ``辽宁辽宁辽宁辽宁省省省省``) keep one copy; the spans of
  those repeated runs are headings in the PDF, so they are kept as `heading_spans`;
- page numbers glued into sentences (``取得2积极进展``) are dropped: they are the longest run of
  stand-alone numbers that count up one page at a time through the document;
- Markdown emphasis markers and hard line breaks inside a sentence are dropped;
- character variants listed in geodata/text_variants.csv are replaced one for one.

Nothing lost is invented: percent signs dropped by the PDF extraction stay dropped.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from atlas._errors import SourceError
from atlas.models import Document
from atlas.settings import GEODATA_DIR

DOCUMENT_SUFFIXES = (".txt", ".md")
MIN_PAGE_RUN = 5  # fewer consecutive page numbers than this is not pagination
MAX_PAGE_GAP = 3  # a page number may be missing (merged with a heading number) for up to 2 pages
_CJK = r"\u3400-\u9fff"
_SENTENCE_END = "。！？：；」』）)"


@dataclass(frozen=True)
class SourceText:
    """A repaired document plus the spans (in repaired text) of the units printed four times:
    the headings of the PDF, one span per repeated unit."""

    document: Document
    heading_spans: tuple[tuple[int, int], ...]


def load_documents(sources_dir: Path) -> list[SourceText]:
    """Read every .txt/.md document of `sources_dir`, sorted by file name, and repair it."""
    sources_dir = Path(sources_dir)
    if not sources_dir.is_dir():
        raise SourceError(f"source folder not found: {sources_dir}")
    paths = sorted(p for p in sources_dir.iterdir() if p.suffix in DOCUMENT_SUFFIXES)
    if not paths:
        raise SourceError(f"no .txt or .md documents in {sources_dir}")
    variants = load_text_variants(GEODATA_DIR / "text_variants.csv")
    return [repair_document(p.stem, str(p), read_text(p), variants) for p in paths]


def read_text(path: Path) -> str:
    """The file's text as UTF-8 (a BOM is dropped); SourceError for binary or other encodings."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from None
    if b"\x00" in raw:
        raise SourceError(f"{path} is a binary file, not a plan text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{path} is not UTF-8 (byte {exc.start}); convert it, e.g. iconv -f GBK -t UTF-8"
        ) from None
    if not text.strip():
        raise SourceError(f"{path} is empty")
    return text


def load_text_variants(path: Path) -> dict[str, str]:
    """Single-character variants to normalise (variant -> standard), from a CSV with a reason."""
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for row in rows:
        variant, standard = row["variant"], row["standard"]
        if len(variant) != 1 or len(standard) != 1:
            raise SourceError(f"{path}: variant {variant!r} -> {standard!r} must be one character each")
        out[variant] = standard
    return out


def repair_document(doc_id: str, path: str, original: str, variants: dict[str, str] | None = None) -> SourceText:
    """Repair `original` and return the Document with its offset map and heading spans."""
    keep = [True] * len(original)
    heading_marks = [0] * len(original)  # id of the repeated unit a character belongs to
    _drop_markdown(original, keep)
    _drop_repeated_runs(original, keep, heading_marks)
    _drop_page_numbers(original, keep)
    _drop_soft_line_breaks(original, keep)
    variants = variants or {}
    offsets = tuple(i for i, k in enumerate(keep) if k)
    text = "".join(variants.get(original[i], original[i]) for i in offsets)
    spans = _heading_spans([heading_marks[i] for i in offsets])
    return SourceText(Document(doc_id, path, original, text, offsets), spans)


def _drop_markdown(s: str, keep: list[bool]) -> None:
    for m in re.finditer(r"\*\*|^#{1,6} ", s, flags=re.M):
        keep[m.start() : m.end()] = [False] * (m.end() - m.start())


# A unit (1-40 chars) printed four times in a row. Digit-only units are only headings where they
# follow 专栏/图 or precede a heading mark (、：), otherwise 10000 would lose its zeros.
_REPEAT = re.compile(r"(\d{1,3}?)\1\1\1(?!\d)|(.{1,40}?)\2\2\2", re.S)


def _drop_repeated_runs(s: str, keep: list[bool], heading_marks: list[int]) -> None:
    pos, unit_id = 0, 0
    while True:
        m = _REPEAT.search(s, pos)
        if not m:
            return
        unit = m.group(1) or m.group(2)
        start, end = m.start(), m.end()
        if unit.isdigit() and not _digit_run_is_heading(s, start, end):
            pos = start + 1
            continue
        if unit.strip() == "" or unit in ".-—=_·…":
            pos = end
            continue
        first_end = start + len(unit)
        keep[first_end:end] = [False] * (end - first_end)
        unit_id += 1
        heading_marks[start:first_end] = [unit_id] * len(unit)
        pos = end


def _digit_run_is_heading(s: str, start: int, end: int) -> bool:
    before, after = s[max(0, start - 2) : start], s[end : end + 1]
    return before in ("专栏", "栏栏") or before.endswith("图") or after in ("、", "：") or (
        # a page number of the table of contents after a repeated heading: 第一章第一章…1111
        start > 0 and heading_like(s[max(0, start - 8) : start]) and not s[end : end + 1].isdigit()
    )


def heading_like(s: str) -> bool:
    """True when `s` ends with CJK text (a heading), not a number or punctuation."""
    return bool(s) and bool(re.match(f"[{_CJK}]", s[-1]))


_NUMBER = re.compile(r"(?<![\d.（(])\d{1,3}(?![\d.、）)%])")


def toc_end(s: str) -> int:
    """Where the table of contents ends (the body's 第一章), or 0 when there is none."""
    toc_at = s.find("目录", 0, 2000)
    first = s.find("第一章", toc_at) if toc_at >= 0 else -1
    second = s.find("第一章", first + 3) if first >= 0 else -1
    return max(second, 0)


def _drop_page_numbers(s: str, keep: list[bool]) -> None:
    """Drop the longest chain of stand-alone numbers counting pages up (gaps of up to MAX_PAGE_GAP)
    in the body; the table of contents keeps its page references."""
    kept = [i for i, k in enumerate(keep) if k]
    body = toc_end("".join(s[i] for i in kept))
    body_start = kept[body] if body < len(kept) else 0
    runs = [
        (m.start(), m.end(), int(m.group()))
        for m in _NUMBER.finditer(s, body_start)
        if all(keep[m.start() : m.end()]) and _glued(s, m.start(), m.end())
    ]
    best: dict[int, tuple[int, int]] = {}  # page value -> (chain length, index in runs)
    back: list[int] = []
    for idx, (_, _, value) in enumerate(runs):
        prev = max((best[v] for v in range(value - MAX_PAGE_GAP, value) if v in best), default=None)
        length = prev[0] + 1 if prev else 1
        back.append(prev[1] if prev else -1)
        if value not in best or length >= best[value][0]:  # ties: the later, nearer occurrence
            best[value] = (length, idx)
    if not best:
        return
    length, idx = max(best.values())
    if length < MIN_PAGE_RUN:
        return
    while idx != -1:
        start, end, _ = runs[idx]
        keep[start:end] = [False] * (end - start)
        idx = back[idx]


def _glued(s: str, start: int, end: int) -> bool:
    """A number glued between text (no unit or year word after it) is a page-number candidate."""
    after = s[end : end + 1]
    if after in ("年", "月", "日", "万", "亿", "千", "百", "个", "家", "座", "项", "条", "公", "米", "吨", "兆", "套", "户", "人", "元", "倍", "号", "届", "批", "期", "大", "次", "周", "省", "类", "度", "%", "／", "/", "-", "—", ".", "．", "、"):
        return False
    return not after.isspace() and not s[max(0, start - 1) : start].isspace()


def _drop_soft_line_breaks(s: str, keep: list[bool]) -> None:
    """Drop line breaks (and blank lines) inside a sentence, where a PDF page broke it."""
    for m in re.finditer(r"\n[ \t]*(?:\n[ \t]*)*", s):
        before = s[: m.start()].rstrip("* ")
        after = s[m.end() : m.end() + 3]
        if not before or before[-1] in _SENTENCE_END or before[-1] == "\n":
            continue
        if re.match(r"(#|\d+\.|\*\*|[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+、)", after):
            continue
        if re.match(f"[{_CJK}，、“”]", before[-1]) and re.match(f"[{_CJK}“”（]", after[:1] or " "):
            keep[m.start() : m.end()] = [False] * (m.end() - m.start())


def _heading_spans(marks: list[int]) -> tuple[tuple[int, int], ...]:
    """Spans of the repeated units, one per unit (adjacent units are not merged here)."""
    spans, start = [], 0
    for i in range(1, len(marks) + 1):
        if i == len(marks) or marks[i] != marks[start]:
            if marks[start]:
                spans.append((start, i))
            start = i
    return tuple(spans)
