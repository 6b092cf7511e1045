"""Lines to the parts of an article: title, date line, body and sections.

Markers are matched on the raw line by patterns that skip what folding
removes (tashkeel, tatweel, invisible controls) and accept every alef form;
a line that is not NFKC-normalised near its start is matched on its folded
form instead, mapped back to the original characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from itertools import product

from feedsvc.arabic import IGNORABLE, clean_display, fold_marker
from feedsvc.errors import SourceError
from feedsvc.model import ReadAlso

RELATED, SOURCE, TAGS, READ_ALSO, DATE = "related", "source", "tags", "read_also", "date"
_HEADINGS = {RELATED: "أخبار ذات صلة", READ_ALSO: "اقرأ أيضا"}
_INLINE = {SOURCE: "المصدر", TAGS: "كلمات دلالية", DATE: "تاريخ النشر"}

_LETTER_CLASSES = {"ا": "[اأإآٱ]", "ي": "[يى]", "ة": "[ةه]", "ه": "[ةه]"}
_IGN = f"[{IGNORABLE}]*"
_COLONS = ":：﹕"
_COLON = f"{_IGN}\\s*[{_COLONS}]\\s*{_IGN}"


def _word_pattern(name: str) -> str:
    out = [_IGN]
    for ch in fold_marker(name):
        out.append(r"\s+" if ch == " " else _LETTER_CLASSES.get(ch, re.escape(ch)))
        out.append(_IGN)
    return "".join(out)


_MARKER_RE = re.compile(
    "|".join(
        [f"(?P<{kind}>{_word_pattern(name)}(?:{_COLON}|\\s*)$)" for kind, name in _HEADINGS.items()]
        + [
            f"(?P<{kind}>{_word_pattern(name)})(?P<{kind}_sep>{_COLON}|\\s+|$)"
            for kind, name in _INLINE.items()
        ]
    )
)
_MARKER_STARTS = frozenset("اأإآٱكتم" + "".join(chr(c) for c in range(0x064B, 0x0660)) + "\u0670\u0640"
                           + "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                           + "\u2066\u2067\u2068\u2069\ufeff")
# The basic Arabic letters: not ignorable, and unchanged by NFKC. A line
# opening with three of them starts a marker only if they spell one of these
# (each marker's first three letters, in every spelling its pattern accepts).
_PLAIN_LETTERS = frozenset(map(chr, [*range(0x0621, 0x063B), *range(0x0641, 0x064B)]))
_PLAIN_STARTS = tuple(sorted({"".join(letters) for name in [*_HEADINGS.values(), *_INLINE.values()]
                              for letters in product(*(_LETTER_CLASSES.get(ch, ch).strip("[]")
                                                       for ch in fold_marker(name)[:3]))}))
_BLANK_RE = re.compile(f"[{IGNORABLE}\\s]*")
_SENTENCE_END_RE = re.compile(r"[.!?؟…:،,;؛][\"'”’»›)\]]*$")
MAX_HEADLINE_WORDS = 25
# A line starting with "المصدر" but no colon is the source only if this short.
_MAX_SOURCE_WORDS = 8


@dataclass(frozen=True, slots=True)
class Marker:
    kind: str
    rest: str  # the display text after an inline marker ("" for headings)


def marker(line: str) -> Marker | None:
    """The marker a cleaned line starts with, if any (source-format.md)."""
    if line[0] not in _MARKER_STARTS and line[0] < "\ufb50":
        return None  # most lines: no marker starts with this letter, nor does NFKC make one
    if _PLAIN_LETTERS.issuperset(line[:3]) and not line.startswith(_PLAIN_STARTS):
        return None
    m = _MARKER_RE.match(line)
    if m is not None:
        return _marker_of(m, line, None)
    head = line[:64]
    if unicodedata.is_normalized("NFKC", head):
        return None
    folded, index = _fold_with_index(head)
    index += range(len(head) + 1, len(line) + 1)
    m = _MARKER_RE.match(folded + line[64:])
    return _marker_of(m, line, index) if m is not None else None


def _marker_of(m: re.Match[str], line: str, index: list[int] | None) -> Marker | None:
    """The marker matched on `line`, or on its folded head: `index` maps
    positions in what was matched back to `line` (None: the same positions)."""
    kind = m.lastgroup or ""
    if kind.endswith("_sep"):
        kind = kind[:-4]
    if kind in _HEADINGS:
        return Marker(kind, "")
    sep = m.group(f"{kind}_sep")
    end = m.end(f"{kind}_sep")
    rest = line[end if index is None else index[end]:].strip()
    set_off = any(mark in sep for mark in _COLONS + "\t")  # plainly a marker, not the start of a sentence
    if not set_off and rest and not _bare_marker_plausible(kind, rest):
        return None
    return Marker(kind, rest)


def _bare_marker_plausible(kind: str, rest: str) -> bool:
    """Without a colon, "المصدر ..." may just be a sentence of the body."""
    if _SENTENCE_END_RE.search(rest):
        return False
    return kind != SOURCE or len(rest.split()) <= _MAX_SOURCE_WORDS


def _fold_with_index(text: str) -> tuple[str, list[int]]:
    """NFKC per character, keeping for each folded character the index of
    the original one it came from (plus the end)."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded)
        index.extend([i] * len(folded))
    index.append(len(text))
    return "".join(out), index


def looks_like_headline(line: str) -> bool:
    """A line that could open a new read-also article: short, and not ending
    a sentence (nor a clause, with ":" or "،", which a headline never does)."""
    return len(line.split()) <= MAX_HEADLINE_WORDS and not _SENTENCE_END_RE.search(line)


def split_lines(text: str) -> list[str]:
    """Cleaned non-blank lines; LF, CRLF, CR and Unicode line separators.

    A tab is kept (one, between cleaned parts), because it separates tags on
    a tag line; every other part of the layout reads it as a space.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    lines = []
    for line in text.split("\n"):
        if not _clean_already(line):
            line = _clean_keeping_tabs(line)
        if line and (line[0].isalnum() or not _BLANK_RE.fullmatch(line)):
            lines.append(line)
    return lines


def _clean_already(line: str) -> bool:
    """Whether cleaning would leave the line as it is (most lines): no
    character references, tabs or other non-printing characters, no space
    doubled or at either end."""
    return (line.isprintable() and "&" not in line and "  " not in line
            and line[:1] != " " and line[-1:] != " ")


def _clean_keeping_tabs(raw: str) -> str:
    if "\t" not in raw:
        return clean_display(raw)
    return "\t".join(part for part in (clean_display(p) for p in raw.split("\t")) if part)


def _untab(line: str) -> str:
    return line.replace("\t", " ") if "\t" in line else line


@dataclass
class Layout:
    title: str
    date_text: str | None = None
    body: list[str] = field(default_factory=list)
    related_titles: list[str] = field(default_factory=list)
    source: str | None = None
    tag_lines: list[str] = field(default_factory=list)
    read_also: list[ReadAlso] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def lay_out(lines: list[str], path: str) -> Layout:
    """Assign every line to its part of the article."""
    found_date: str | None = None
    for position, line in enumerate(lines):
        m = marker(line)
        if m is None:
            layout = Layout(title=_untab(line), date_text=found_date)
            _Sections(layout).feed(lines[position + 1:])
            return layout
        if m.kind != DATE or found_date is not None:
            raise SourceError(path, "no title (the first line is a section marker)")
        found_date = _untab(m.rest)
    raise SourceError(path, "no title")


class _Sections:
    """The state machine that reads the lines after the title."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.state = "body"
        self.read_also_title: str | None = None
        self.read_also_body: list[str] = []
        self.awaiting: str | None = None  # an inline marker whose value is on the next lines

    def feed(self, lines: list[str]) -> None:
        for line in lines:
            m = marker(line)
            if m is not None and m.kind == TAGS:
                self.open(m)
            elif m is None or (m.kind == DATE and (self.state != "body" or self.layout.date_text is not None)):
                self.text(line if self.awaiting == TAGS else _untab(line))
            else:
                self.open(Marker(m.kind, _untab(m.rest)))
        self.close_read_also()
        if not self.layout.body:
            self.layout.warnings.append("no body paragraphs")

    def open(self, m: Marker) -> None:
        self.close_read_also()
        self.awaiting = None
        if m.kind == DATE:
            self.layout.date_text = m.rest
        elif m.kind in (RELATED, READ_ALSO):
            self.state = m.kind
        elif m.kind == SOURCE:
            self.state = "after_inline"
            if not m.rest:
                self.awaiting = SOURCE
            elif self.layout.source is None:
                self.layout.source = m.rest
            else:
                self.layout.warnings.append(f"second source line ignored: {m.rest}")
        else:
            self.state = "after_inline"
            if m.rest:
                self.layout.tag_lines.append(m.rest)
            else:
                self.awaiting = TAGS

    def text(self, line: str) -> None:
        if self.state == "body":
            self.layout.body.append(line)
        elif self.state == RELATED:
            self.layout.related_titles.append(line)
        elif self.state == READ_ALSO:
            if self.read_also_title is not None and self.read_also_body and looks_like_headline(line):
                self.close_read_also()
            if self.read_also_title is None:
                self.read_also_title = line
            else:
                self.read_also_body.append(line)
        elif self.awaiting == TAGS:
            self.layout.tag_lines.append(line)  # one tag (or tag line) per line
        elif self.awaiting == SOURCE and self.layout.source is None:
            self.layout.source = line
            self.awaiting = None
        else:
            self.layout.warnings.append(f"line outside any section ignored: {line[:80]}")

    def close_read_also(self) -> None:
        if self.state == READ_ALSO and self.read_also_title is None:
            self.layout.warnings.append("read-also section without an article")
        if self.read_also_title is not None:
            self.layout.read_also.append(ReadAlso(self.read_also_title, tuple(self.read_also_body)))
        self.read_also_title = None
        self.read_also_body = []
