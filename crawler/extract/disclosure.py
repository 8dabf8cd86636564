"""Government information disclosure pages (政府信息公开, xxgk): the metadata table as fields.

A disclosure page opens with a table of labelled cells — 索引号, 主题分类, 发文机关 (or 发布机构),
成文日期, 标题, 发文字号 (or 文号), 发布日期 — above the notice itself. `read_disclosure(lines)`
reads those labels from the page's text chunks (`<td>索 引 号：</td><td>…</td>`, `<li><span>索引号：
</span>…</li>` and `索引号：… 发文字号：…` in one cell all work: labels may be spaced out with
blanks or `&nbsp;`) and returns `{field: value}` for `FIELDS`, dates as ISO days. A page is a
disclosure page when at least `MIN_LABELS` different labels appear, one of them a label only
such tables have (索引号, 发文字号, 成文日期). `drop_table_lines(lines)` removes the table's own
lines from extracted text: the notice is the text, the table is fields. No settings.
"""

from __future__ import annotations

import re

__all__ = ["FIELDS", "MIN_LABELS", "read_disclosure", "drop_table_lines"]

# field -> labels (whitespace-free) that name it; the item carries each as `disclosure_<field>`
FIELDS: dict[str, tuple[str, ...]] = {
    "index": ("索引号", "索取号"),
    "topic": ("主题分类", "信息分类"),
    "issuer": ("发文机关", "发布机构", "发文单位", "发布单位"),
    "written": ("成文日期", "成文时间", "生成日期"),
    "doc_no": ("发文字号", "文号"),
    "published": ("发布日期", "发布时间", "公开日期", "公开时间"),
}
_OTHER_LABELS = ("标题", "名称", "主题词", "关键词", "有效性", "时效", "公开方式", "公开范围", "体裁分类",
                 "组配分类", "服务对象分类", "内容概述", "摘要")
_TABLE_ONLY = ("index", "doc_no", "written")
MIN_LABELS = 3
_DATE_FIELDS = ("written", "published")
_BLANKS = re.compile(r"[\s\u00a0\u3000]+")
_ALL_LABELS = sorted({label for labels in FIELDS.values() for label in labels} | set(_OTHER_LABELS),
                     key=len, reverse=True)
_LABEL_PATTERN = "|".join(r"\s*".join(map(re.escape, label)) for label in _ALL_LABELS)
# a label at the start of a chunk or after a blank, followed by a colon
_LABEL_AT = re.compile(r"(?:^|(?<=[\s\u00a0\u3000|｜]))[\s\u00a0\u3000]*(" + _LABEL_PATTERN + r")[\s\u00a0\u3000]*[：:]")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})")
_FIELD_OF = {label: name for name, labels in FIELDS.items() for label in labels}
MAX_VALUE_CHARS = 120
# one of the labels only disclosure tables have, spaced out or not: a cheap test first
_TABLE_HINT = re.compile(r"索[\s\u00a0\u3000]*[引取][\s\u00a0\u3000]*号|字[\s\u00a0\u3000]*号|成[\s\u00a0\u3000]*文[\s\u00a0\u3000]*[日时]")


def _value(raw: str) -> str:
    return _BLANKS.sub(" ", raw).strip(" ：:|｜")


def _iso_day(value: str) -> str | None:
    match = _DATE.search(value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _pairs(lines: list[str]) -> list[tuple[str, str]]:
    """(label, value) in page order; a label whose value is empty takes the next chunk."""
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for chunk in lines[:2000]:
        hits = list(_LABEL_AT.finditer(chunk))
        if not hits:
            if pending is not None and (value := _value(chunk)):
                pairs.append((pending, value))
                pending = None
            continue
        if pending is not None and hits[0].start() > 0 and (value := _value(chunk[:hits[0].start()])):
            pairs.append((pending, value))
        pending = None
        for hit, following in zip(hits, [*hits[1:], None]):
            label = _BLANKS.sub("", hit.group(1))
            value = _value(chunk[hit.end():following.start() if following else len(chunk)])
            if value:
                pairs.append((label, value))
            else:
                pending = label
    return pairs


def read_disclosure(lines: list[str]) -> dict[str, str]:
    """The disclosure fields of a page from its text chunks, or {} (see module docstring)."""
    if not any(_TABLE_HINT.search(chunk) for chunk in lines[:2000] if "号" in chunk or "成" in chunk):
        return {}
    fields: dict[str, str] = {}
    seen: set[str] = set()
    for label, value in _pairs(lines):
        name = _FIELD_OF.get(label)
        seen.add(label)
        if name is None or name in fields or len(value) > MAX_VALUE_CHARS:
            continue
        if name in _DATE_FIELDS:
            day = _iso_day(value)
            if day is None:
                continue
            value = day
        fields[name] = value
    if len(seen) < MIN_LABELS or not any(name in fields for name in _TABLE_ONLY):
        return {}
    return fields


def drop_table_lines(lines: list[str]) -> list[str]:
    """Extracted lines without the disclosure table's own lines (label rows and `| … |` rows
    holding a label)."""
    kept = []
    for line in lines:
        stripped = line.strip()
        hits = _LABEL_AT.findall(stripped.replace("|", " "))
        if hits and (stripped.startswith("|") or _LABEL_AT.match(stripped) and len(stripped) <= MAX_VALUE_CHARS):
            continue
        kept.append(line)
    return kept
