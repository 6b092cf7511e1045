"""Arabic text folding and cleaning.

Contains no business logic. Display text is only cleaned (entities decoded,
XML-forbidden characters removed, white space trimmed and collapsed); the
folded forms exist for matching and are never shown.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

# Tashkeel, superscript alef, tatweel, zero-width and bidi controls, BOM.
IGNORABLE = (
    "\u064b-\u065f\u0670\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
)
# One character, not a run: a pattern with "+" scans text three times slower.
_IGNORABLE_RE = re.compile(f"[{IGNORABLE}]")
_IGNORABLE_CHARS = tuple(sorted(set(re.sub(
    "(.)-(.)", lambda m: "".join(map(chr, range(ord(m[1]), ord(m[2]) + 1))), IGNORABLE))))
# Letter unifications, applied with str.replace: on whole article bodies it
# is several times faster than str.translate with a mapping.
_ALEF = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"))
_TAG_LETTERS = (("ى", "ي"), ("ة", "ه"), ("ؤ", "و"), ("ئ", "ي"))

# XML 1.0 forbids C0 controls other than tab, LF and CR, lone surrogates,
# U+FFFE and U+FFFF.
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Invisible format characters (Unicode category Cf) common in Arabic text:
# soft hyphen, Arabic letter mark, zero-width and bidi controls, BOM.
_FORMAT_CHARS = ("\xad", "\u061c", *map(chr, range(0x200B, 0x2010)), *map(chr, range(0x202A, 0x202F)),
                 *map(chr, range(0x2060, 0x2065)), *map(chr, range(0x2066, 0x206A)), "\ufeff")

ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def collapse_spaces(text: str) -> str:
    """Trim and collapse every run of white space (no-break space included)."""
    if not _plain(text):
        return " ".join(text.split())
    while "  " in text:  # most lines: nothing to do, and testing is cheap
        text = text.replace("  ", " ")
    return text.strip(" ") if text[:1] == " " or text[-1:] == " " else text


def strip_xml_illegal(text: str) -> str:
    return _XML_ILLEGAL_RE.sub("", text) if not _plain(text) and _XML_ILLEGAL_RE.search(text) else text


def clean_display(text: str) -> str:
    """The display form of a line: entities decoded, XML-illegal characters
    removed, white space trimmed and collapsed. Nothing else changes."""
    text = strip_xml_illegal(text)
    if "&" in text:
        text = strip_xml_illegal(html.unescape(text))
    return collapse_spaces(text)


def _plain(text: str) -> bool:
    """Whether the only white space is the ASCII space and nothing is XML-illegal.

    True when the text is printable once the invisible format characters
    are taken out, which costs a fraction of a regular expression scan or of
    a split: lines of Arabic text often hold a right-to-left mark or two."""
    if text.isprintable():
        return True
    for char in _FORMAT_CHARS:
        if char in text:
            text = text.replace(char, "")
    return text.isprintable()


def remove_ignorable(text: str) -> str:
    """Without tashkeel, tatweel and invisible controls. Each one found is
    removed with str.replace: a regular expression substitution over a
    whole article costs several times more."""
    if _IGNORABLE_RE.search(text) is None:
        return text
    for char in _IGNORABLE_CHARS:
        if char in text:
            text = text.replace(char, "")
    return text


def _unify(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for old, new in pairs:
        if old in text:
            text = text.replace(old, new)
    return text


def fold_marker(text: str) -> str:
    """The form in which markers are matched (source-format.md)."""
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        text = remove_ignorable(text)
        text = _unify(text, _ALEF)
    return collapse_spaces(text)


def fold_tag(text: str) -> str:
    """Marker folding, four letter unifications and lower case: the form in
    which tags are compared, with each other and with article text."""
    return _unify(fold_marker(text), _TAG_LETTERS).lower()


@functools.lru_cache(maxsize=1 << 16)
def tag_key(text: str) -> str:
    """The identity of a tag, so that spelling variants share one feed.

    Cached: a corpus uses the same few thousand tag words again and again.
    """
    return fold_tag(text)


_TITLE_TRIM = " .!?؟…:،,;؛\"'”’»›«"


@functools.lru_cache(maxsize=1 << 16)  # read-also and related titles recur across a corpus
def title_key(title: str) -> str:
    """What makes two titles the same article's: folded like tags, and
    without the punctuation a headline may or may not end with."""
    return fold_tag(title).strip(_TITLE_TRIM)
