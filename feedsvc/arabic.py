"""Arabic text folding and cleaning.

Contains no business logic. Display text is only cleaned (entities decoded,
XML-forbidden characters removed, white space trimmed and collapsed); the
folded forms exist for matching and are never shown.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Tashkeel, superscript alef, tatweel, zero-width and bidi controls, BOM.
IGNORABLE = (
    "\u064b-\u065f\u0670\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
)
_IGNORABLE_RE = re.compile(f"[{IGNORABLE}]+")
_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا"})
_TAG_LETTERS = str.maketrans({"ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})

# XML 1.0 forbids C0 controls other than tab, LF and CR, lone surrogates,
# U+FFFE and U+FFFF.
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def collapse_spaces(text: str) -> str:
    """Trim and collapse every run of white space (no-break space included)."""
    return " ".join(text.split())


def strip_xml_illegal(text: str) -> str:
    return _XML_ILLEGAL_RE.sub("", text)


def clean_display(text: str) -> str:
    """The display form of a line: entities decoded, XML-illegal characters
    removed, white space trimmed and collapsed. Nothing else changes."""
    if "&" in text:
        text = html.unescape(text)
    return collapse_spaces(strip_xml_illegal(text))


def fold_marker(text: str) -> str:
    """The form in which markers are matched (source-format.md)."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return collapse_spaces(_IGNORABLE_RE.sub("", text).translate(_ALEF))


def tag_key(text: str) -> str:
    """The identity of a tag: marker folding, four letter unifications and
    lower case, so that spelling variants of one tag share one feed."""
    return fold_marker(text).translate(_TAG_LETTERS).casefold()
