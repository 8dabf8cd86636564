"""Normalise extracted Chinese text; every step that fires adds a quality flag.

Steps, in order (each idempotent, each bounded: text never grows by more than the few
characters a decimal point or a join can add):
- control characters, NUL and lone surrogates are dropped (no flag);
- `pinyin-removed`: readings injected after characters (`醫(yī)改` -> `醫改`), only when the
  page shows the pattern at least `pinyin_min_hits` times; `(完)`, `(街道)`, `(2024)` never match;
- `t2s`: Traditional -> Simplified with the OpenCC C++ binding; the script of the original
  (`zh-Hant`/`zh-Hans`) is recorded and the profile chosen per page (hk2s for Cantonese/HK
  signals, tw2s for Taiwan signals, else `Extractor.opencc_default`); converters are cached;
- `body-doubled`: a body printed twice keeps one copy; a truncated lead repeating the start of
  the first paragraph is dropped;
- `lines-joined`: phrase-per-line text (WeChat) is re-joined into paragraphs;
- `decimal-fixed`: `94。5%` -> `94.5%`;
- `spun-repaired` / `spun-words` from the `[[spun]]` table of lexicon.toml;
- flags only: `lost-bytes` (`?F`, `??平`), `bopomofo`, `lost-numbers` (`疫苗.64万剂次`,
  `扩充到人`, `%的`).
Settings: `Extractor.opencc_default`, `Extractor.pinyin_min_hits`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import opencc

__all__ = ["Normalised", "normalise_text", "prepare_text", "finish_text", "strip_controls", "remove_pinyin", "to_simplified",
           "collapse_doubled", "join_phrase_lines", "fix_decimals", "detect_script"]

_LEXICON = Path(__file__).with_name("lexicon.toml")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufeff\u200b-\u200d\u2060]")
_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
PINYIN = re.compile(r"(?<=[^\s0-9(（])[(（]([a-z" + _TONES + r"]{1,6})[)）]")
_HAS_TONE = re.compile("[" + _TONES + "]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_HK_SIGNS = re.compile(r"[嘅咗喺冇睇啲嚟佢哋唔咁]")
_DECIMAL = re.compile(r"。(?<=\d。)(?=\d)")   # the 。 first: a literal the regex engine scans for
_SENTENCE_END = re.compile(r"[。！？!?…；;”」』\"）)：:]$")
# Lost bytes: `?` before a letter or two before a Han character, U+FFFD, or a lone ASCII
# letter between Han characters. Lost numbers: a decimal point after a Han character, a
# count word with its number gone (`达人。`), a percent sign without a number, `馆间，`.
# Each is one search led by a literal or a rare character (a pattern led by a Han class
# or an optional group is tried at every position of a Chinese text: 4x slower, measured).
_LOST_BYTES_MARKS = re.compile(r"\?[A-Za-z]|\?\?[\u4e00-\u9fff]|\ufffd")
_LATIN_IN_HAN = re.compile(r"[a-z](?=[\u4e00-\u9fff。，！？])")
_BOPOMOFO = re.compile(r"[\u3100-\u312f\u31a0-\u31bf]")
_LOST_NUMBERS = (
    re.compile(r"\.(?<=[\u4e00-\u9fff]\.)\d"),
    re.compile(r"(?:到|至|近|达|共|约|扩充到)(?:人|名|个|间|家|所)[。，,、；]"),
    re.compile(r"[%％](?<![\d.％%][%％])"),
    re.compile(r"(?:[馆站])间[，。,]"),
)
_KEY = re.compile(r"[\W_]+")  # same key as layout.heading_key


@dataclass
class Normalised:
    """Normalised text plus what the normaliser found."""

    text: str
    script: str = "zh-Hans"
    opencc_config: str | None = None
    quality: list[str] = field(default_factory=list)


@lru_cache(maxsize=8)
def converter(config: str) -> opencc.OpenCC:
    """A cached OpenCC converter for `config` (e.g. "t2s.json")."""
    return opencc.OpenCC(config)


@lru_cache(maxsize=1)
def _spun_table() -> tuple[tuple[re.Pattern[str], str | None], ...]:
    data = tomllib.loads(_LEXICON.read_text(encoding="utf-8"))
    return tuple((re.compile(entry["regex"]), entry.get("replace")) for entry in data.get("spun", []))


def strip_controls(text: str) -> str:
    """Drop NUL, C0 controls (except tab/newline/CR), zero-width marks and lone surrogates."""
    return _CONTROL.sub("", text)


def remove_pinyin(text: str, min_hits: int = 3) -> tuple[str, bool]:
    """Remove injected pinyin readings when they occur at least `min_hits` times with tones."""
    hits = PINYIN.findall(text)
    if len(hits) < min_hits or sum(bool(_HAS_TONE.search(h)) for h in hits) < min_hits:
        return text, False
    return PINYIN.sub("", text), True


def detect_script(text: str) -> tuple[str, str]:
    """("zh-Hant" or "zh-Hans", Simplified text by t2s). Hant when >= 3 characters and >= 2%
    of the Han characters change under t2s."""
    simplified = converter("t2s.json").convert(text)
    if simplified == text:
        changed = 0
    elif len(text) == len(simplified):
        changed = sum(1 for a, b in zip(text, simplified) if a != b)
    else:
        changed = abs(len(text) - len(simplified)) + 3
    han = len(_HAN.findall(text)) or 1
    return ("zh-Hant" if changed >= 3 and changed / han >= 0.02 else "zh-Hans"), simplified


def choose_profile(text: str, url: str, default: str, lang: str | None = None) -> str:
    """OpenCC profile for a Traditional page: hk2s/tw2s on regional signals, else `default`."""
    host = urlsplit(url).hostname or ""
    lang = (lang or "").lower()
    if host.endswith(".hk") or "hk" in lang or "mo" in lang.split("-")[-1:] or len(_HK_SIGNS.findall(text)) >= 5:
        return "hk2s.json"
    if host.endswith(".tw") or lang.endswith("tw"):
        return "tw2s.json"
    return default


def to_simplified(text: str, *, url: str, default: str, lang: str | None = None) -> tuple[str, str, str | None]:
    """(text, script of the original, profile used or None)."""
    script, simplified = detect_script(text)
    if script == "zh-Hans":
        return text, script, None
    profile = choose_profile(text, url, default, lang)
    if profile != "t2s.json":
        simplified = converter(profile).convert(text)
    return simplified, script, profile


def _key(paragraph: str) -> str:
    return _KEY.sub("", paragraph)


def collapse_doubled(paragraphs: list[str]) -> tuple[list[str], bool]:
    """Keep one copy of a body printed twice; drop a truncated lead repeating paragraph 1."""
    keys = [_key(p) for p in paragraphs]
    fired = False
    n = len(paragraphs)
    for start in range(n - 1):
        if len(keys[start]) < 10:
            continue
        repeat = next((j for j in range(start + 1, n) if keys[j] == keys[start]), None)
        if repeat is None:
            continue
        span = repeat - start
        second = keys[repeat:repeat + span]
        # one paragraph repeated right after itself is the page's own text (a quote, a slogan)
        # unless it is the whole body printed twice
        whole = span == 1 and start == 0 and n == 2
        if len(second) >= 1 and second == keys[start:start + len(second)] and (len(second) >= 2 or whole):
            paragraphs = paragraphs[:repeat] + paragraphs[repeat + len(second):]
            keys = keys[:repeat] + keys[repeat + len(second):]
            fired = True
            break
    if len(keys) >= 2 and len(keys[0]) >= 20 and keys[1].startswith(keys[0][: max(20, len(keys[0]) - 2)]) and keys[0] != keys[1]:
        paragraphs, fired = paragraphs[1:], True
    elif len(keys) >= 2 and len(keys[0]) >= 20 and _prefix_share(keys[0], keys[1]) >= 0.9 and len(keys[0]) < len(keys[1]):
        paragraphs, fired = paragraphs[1:], True
    return paragraphs, fired


def _prefix_share(lead: str, full: str) -> float:
    """Share of `lead`'s characters found, in order, at the start of `full` (quotes may differ)."""
    i = j = hits = 0
    while i < len(lead) and j < len(full) and j < len(lead) * 2:
        if lead[i] == full[j]:
            hits += 1
            i += 1
            j += 1
        else:
            j += 1
    return hits / len(lead) if lead else 0.0


def join_phrase_lines(lines: list[str], headings: frozenset[str] = frozenset()) -> tuple[list[str], bool]:
    """Re-join phrase-per-line text into paragraphs (break after sentence-final punctuation).

    A line whose key (`layout.heading_key`) is in `headings` — the page marks it as a heading
    (bold, `<h3>`, section title) or it is a list item — stays a paragraph of its own and does
    not count towards deciding whether the text is phrase-per-line."""
    stripped = [ln.strip() for ln in lines if ln.strip()]
    # lines kept apart anyway (headings, list items) say nothing about phrase-per-line text
    body = [ln for ln in stripped if not headings or _key(ln) not in headings]
    if len(stripped) < 8 or not body:
        return lines, False
    short = sum(len(ln) < 30 for ln in body) / len(body)
    open_end = sum(not _SENTENCE_END.search(ln) for ln in body) / len(body)
    if short < 0.6 or open_end < 0.5:
        return lines, False
    paragraphs: list[str] = []
    current = ""
    for line in stripped:
        if headings and _key(line) in headings:
            if current:
                paragraphs.append(current)
                current = ""
            paragraphs.append(line)
            continue
        current += line
        if _SENTENCE_END.search(line) or len(current) > 400:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs, paragraphs != stripped


def _lost_bytes(text: str) -> bool:
    """True when `text` shows bytes lost in decoding (see `_LOST_BYTES_MARKS`)."""
    if _LOST_BYTES_MARKS.search(text):
        return True
    return any(m.start() and "\u4e00" <= text[m.start() - 1] <= "\u9fff" for m in _LATIN_IN_HAN.finditer(text))


def fix_decimals(text: str) -> tuple[str, bool]:
    """`94。5%` -> `94.5%` (a full stop between two digits)."""
    fixed = _DECIMAL.sub(".", text)
    return fixed, fixed != text


def apply_spun(text: str) -> tuple[str, list[str]]:
    flags = []
    for regex, replacement in _spun_table():
        if replacement is not None:
            text, count = regex.subn(replacement, text)
            if count:
                flags.append("spun-repaired")
        elif regex.search(text):
            flags.append("spun-words")
    return text, flags


def prepare_text(text: str, *, url: str = "", opencc_default: str = "t2s.json",
                 lang: str | None = None, pinyin_min_hits: int = 3, convert: bool = True) -> Normalised:
    """First phase: controls, injected pinyin, Traditional -> Simplified (before boilerplate)."""
    quality: list[str] = []
    text = unicodedata.normalize("NFC", strip_controls(text))
    text, fired = remove_pinyin(text, pinyin_min_hits)
    if fired:
        quality.append("pinyin-removed")
    if convert:
        text, script, profile = to_simplified(text, url=url, default=opencc_default, lang=lang)
    else:
        script, profile = detect_script(text)[0], None
    if profile:
        quality.append("t2s")
    return Normalised(text, script, profile, quality)


def finish_text(lines: list[str], headings: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """Second phase on boilerplate-free lines: doubled body, phrase lines (keeping `headings`
    as their own paragraphs), decimals, flags."""
    quality: list[str] = []
    lines = [ln.strip() for ln in lines if ln.strip()]
    lines, fired = collapse_doubled(lines)
    if fired:
        quality.append("body-doubled")
    lines, fired = join_phrase_lines(lines, headings)
    if fired:
        quality.append("lines-joined")
    text = "\n".join(lines)
    text, fired = fix_decimals(text)
    if fired:
        quality.append("decimal-fixed")
    text, flags = apply_spun(text)
    quality.extend(flags)
    if _lost_bytes(text):
        quality.append("lost-bytes")
    if _BOPOMOFO.search(text):
        quality.append("bopomofo")
    if any(regex.search(text) for regex in _LOST_NUMBERS):
        quality.append("lost-numbers")
    return text, quality


def normalise_text(text: str, *, url: str = "", opencc_default: str = "t2s.json",
                   lang: str | None = None, pinyin_min_hits: int = 3) -> Normalised:
    """Both phases on text with one paragraph per line (no boilerplate step)."""
    first = prepare_text(text, url=url, opencc_default=opencc_default, lang=lang,
                         pinyin_min_hits=pinyin_min_hits)
    text, quality = finish_text(first.text.split("\n"))
    return Normalised(text, first.script, first.opencc_config,
                      list(dict.fromkeys(first.quality + quality)))
