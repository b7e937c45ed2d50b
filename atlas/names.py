"""English names for Chinese project names: conventional exonyms, generic terms, else pinyin.

`name_en` reads a name left to right. At each position it takes the longest entry of
geodata/exonyms.csv that matches (a place's conventional English form, or a generic term such
as 机场 -> Airport); characters that match nothing are romanized with pypinyin, one word per
run. One-character terms (市, 县, 省 ...) count only at the end of a segment, so they never split a
place name. Dashes and 至 between stops become an en dash. Pure and deterministic.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from atlas._errors import AtlasError
from atlas.settings import GEODATA_DIR

EXONYMS_CSV = GEODATA_DIR / "exonyms.csv"
# Place names that split a long name into words (建昌 in 葫芦岛市建昌食品产业集聚区); optional.
ADMIN_UNITS_CSV = GEODATA_DIR / "admin_units.csv"
_ADMIN_SUFFIXES = "市县旗盟省"  # one-character suffixes that end a place inside a name

# Separators between the stops of a line name ("哈尔滨-牡丹江—绥芬河", "赤峰至锦州").
_STOP_SEPARATORS = "—–－-~～至"
_BRACKETS = {"（": "(", "）": ")", "【": "(", "】": ")", "《": "", "》": "", "“": '"', "”": '"'}
_PUNCT = {"、": ", ", "，": ", ", "；": "; ", "：": ": ", "。": "", "·": " "}
_HAN = re.compile(r"[\u3400-\u9fff]")
_CONNECTIVES = {"和": "and", "及": "and", "与": "and"}  # between two words of a name


class NamesError(AtlasError, ValueError):
    """geodata/exonyms.csv is missing or malformed."""


def load_exonyms(path: Path = EXONYMS_CSV) -> dict[str, str]:
    """Map zh -> en from the exonym CSV (columns zh,en,kind,source); '#' rows are comments."""
    return dict(_load_table(path)[0])


@lru_cache(maxsize=4)
def _load_table(path: Path) -> tuple[dict[str, str], frozenset[str]]:
    """(zh -> en, the zh entries of kind 'term')."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        msg = f"cannot read exonym table {path}: {exc.strerror or exc}"
        raise NamesError(msg) from exc
    table: dict[str, str] = {}
    terms: set[str] = set()
    for lineno, row in enumerate(rows, start=2):
        zh = (row.get("zh") or "").strip()
        if not zh or zh.startswith("#"):
            continue
        en = (row.get("en") or "").strip()
        if not en or not (row.get("source") or "").strip():
            msg = f"{path}:{lineno}: row {zh!r} needs an 'en' and a 'source'"
            raise NamesError(msg)
        table[zh] = en
        if (row.get("kind") or "").strip() == "term":
            terms.add(zh)
    return table, frozenset(terms)


@lru_cache(maxsize=2)
def load_place_words(path: Path = ADMIN_UNITS_CSV) -> frozenset[str]:
    """Short names of prefectures and counties (not districts) used only to split words.

    A missing or unreadable file gives an empty set: names are then split by the exonym table only.
    """
    words: set[str] = set()
    try:
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row.get("name", "").endswith("区"):
                    continue
                for short in (row.get("short_names") or "").split(";"):
                    if len(short) >= 2 and _HAN.match(short):
                        words.add(short)
    except (OSError, csv.Error):
        return frozenset()
    return frozenset(words)


def pinyin_word(text: str) -> str:
    """One capitalized pinyin word for a run of Han characters (哈大 -> Hada, 西安 -> Xi'an)."""
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    word = ""
    for i, syl in enumerate(syllables):
        if i and syl[:1] in "aoe":
            word += "'"
        word += syl
    return word[:1].upper() + word[1:]


@lru_cache(maxsize=100_000)
def pinyin_key(text: str) -> str:
    """Lower-case toneless pinyin without spaces, for search ("吉林省" -> "jilinsheng")."""
    return "".join(lazy_pinyin(text, style=Style.NORMAL, errors="default")).lower().replace(" ", "")


def _translate_segment(
    segment: str, table: dict[str, str], terms: frozenset[str], longest: int, places: frozenset[str]
) -> list[str]:
    """Words of one segment (no stop separators inside)."""
    words: list[str] = []
    run = ""  # pending characters to romanize
    after_name = False  # the last word was a place (table or gazetteer) or an unknown run
    i = 0
    n = len(segment)

    def flush() -> None:
        nonlocal run
        if run:
            words.extend(_romanize_run(run))
            run = ""

    while i < n:
        hit, place = "", ""
        for size in range(min(longest, n - i), 1, -1):
            cand = segment[i : i + size]
            if cand in table:
                hit = cand
                break
            if cand in places:
                place = cand
                break
        char = segment[i]
        if not hit and not place and char in table and (i + 1 == n or after_name or len(run) >= 2):
            hit = char  # one-character term (市, 段 ...): at the end or right after a place
        if hit and _HAN.match(hit):
            flush()
            words.append(table[hit])
            after_name = hit not in terms
            i += len(hit)
            continue
        if place:
            flush()
            words.append(pinyin_word(place))
            after_name = True
            i += len(place)
            continue
        if char in _CONNECTIVES and 0 < i < n - 1 and (run or words):
            flush()
            words.append(_CONNECTIVES[char])
            after_name = False
            i += 1
            continue
        run += char
        after_name = False
        i += 1
    flush()
    return [w for w in words if w]


def _romanize_run(run: str) -> list[str]:
    """Romanize Han runs as pinyin words; keep Latin letters, digits and brackets as they are."""
    out: list[str] = []
    for piece in re.split(r"([\u3400-\u9fff]+)", run):
        if not piece:
            continue
        if _HAN.match(piece):
            out.append(pinyin_word(piece))
        else:
            text = "".join(_BRACKETS.get(c, _PUNCT.get(c, c)) for c in piece).strip()
            if text:
                out.append(text)
    return out


def _join(words: list[str]) -> str:
    text = " ".join(words)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    text = re.sub(r"\s+([,;:])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def name_en(name_zh: str, exonyms_csv: Path = EXONYMS_CSV) -> str:
    """English form of a Chinese name: exonyms and generic terms from the table, else pinyin.

    Examples: 哈尔滨机场 -> "Harbin Airport"; 哈尔滨-牡丹江—绥芬河铁路 ->
    "Harbin–Mudanjiang–Suifenhe Railway"; 蒲石河抽水蓄能电站 -> "Pushihe Pumped-Storage Power Station".
    """
    text = unicodedata.normalize("NFKC", name_zh or "").strip()
    if not text:
        return ""
    table, terms = _load_table(exonyms_csv)
    if text in table:
        return table[text]
    longest = max(map(len, table), default=1)
    segments = re.split(f"[{re.escape(_STOP_SEPARATORS)}]", text)
    # NFKC turns full-width brackets into ASCII; keep them attached to the words.
    places = load_place_words()
    parts = [_join(_translate_segment(seg.strip(), table, terms, longest, places)) for seg in segments]
    parts = [p for p in parts if p]
    if len(parts) > 1:
        # Generic words of the last stop belong to the whole line: "A–B Railway".
        return "–".join(parts)
    return parts[0] if parts else ""
