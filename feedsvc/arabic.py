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
_IGNORABLE_RE = re.compile(f"[{IGNORABLE}]+")
# Letter unifications, applied with str.replace: on whole article bodies it
# is several times faster than str.translate with a mapping.
_ALEF = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"))
_TAG_LETTERS = (("ى", "ي"), ("ة", "ه"), ("ؤ", "و"), ("ئ", "ي"))

# XML 1.0 forbids C0 controls other than tab, LF and CR, lone surrogates,
# U+FFFE and U+FFFF.
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def collapse_spaces(text: str) -> str:
    """Trim and collapse every run of white space (no-break space included)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # most lines: only single ASCII spaces, and testing is cheap
    return " ".join(text.split())


def strip_xml_illegal(text: str) -> str:
    return _XML_ILLEGAL_RE.sub("", text) if _XML_ILLEGAL_RE.search(text) else text


def clean_display(text: str, *, xml_clean: bool = False) -> str:
    """The display form of a line: entities decoded, XML-illegal characters
    removed, white space trimmed and collapsed. Nothing else changes.

    `xml_clean`: the caller already removed XML-illegal characters (from a
    whole file at once, which is cheaper than line by line).
    """
    if "&" in text:
        text = strip_xml_illegal(html.unescape(text))
    elif not xml_clean:
        text = strip_xml_illegal(text)
    return collapse_spaces(text)


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
        if _IGNORABLE_RE.search(text):
            text = _IGNORABLE_RE.sub("", text)
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
