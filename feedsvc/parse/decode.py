"""Bytes to text: BOMs, UTF-8, UTF-16, Windows-1256, and binary rejection."""

from __future__ import annotations

import re
from typing import NoReturn

from feedsvc.errors import SourceError

_UTF8_BOM = b"\xef\xbb\xbf"
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
# The same control characters as bytes: in UTF-8 and Windows-1256 each is a
# byte of its own, so they can be counted before decoding, cheaply.
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + b"\x0b" + bytes(range(0x0E, 0x20))
# A file whose text is more than this share control characters or
# replacement characters is binary, whatever decoded it.
_MAX_JUNK_SHARE = 0.05
# A UTF-8 file with a few damaged bytes is still UTF-8 when its valid
# non-ASCII characters outnumber the damaged ones this many times.
_DAMAGED_UTF8_RATIO = 20


def decode(data: bytes, path: str, max_size: int) -> tuple[str, list[str]]:
    """Decode a source file; returns the text and any warnings.

    Raises SourceError for empty, oversized and binary files.
    """
    if len(data) > max_size:
        raise SourceError(path, too_large(len(data), max_size))
    if not data:
        raise SourceError(path, "empty file")
    warnings: list[str] = []
    utf16_bom = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if data.startswith(_UTF8_BOM) or not (utf16_bom or b"\x00" in data):
        return _eight_bit(data, path, warnings), warnings
    if utf16_bom:
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise SourceError(path, "binary file (invalid UTF-16 after a UTF-16 byte order mark)") from None
    else:
        text = _bomless_utf16(data, path)
        warnings.append("UTF-16 without a byte order mark")
    if len(_CONTROL_RE.findall(text)) > _MAX_JUNK_SHARE * len(text):
        _binary(path, "mostly control or undecodable characters")
    return text, warnings


def too_large(size: int, limit: int) -> str:
    return f"file too large ({size} bytes; the limit is {limit})"


def _eight_bit(data: bytes, path: str, warnings: list[str]) -> str:
    """UTF-8 (with a BOM or without), or Windows-1256 without a BOM. Control
    characters are one byte each in both, so they are counted before decoding."""
    bom = data.startswith(_UTF8_BOM)
    if bom:
        data = data[len(_UTF8_BOM):]
    if len(data) - len(data.translate(None, _CONTROL_BYTES)) > _MAX_JUNK_SHARE * len(data):
        _binary(path, "mostly control or undecodable characters")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if bom:
            return _damaged_utf8(data, path, warnings) or _binary(path)
        return _utf8_or_cp1256(data, path, warnings)


def _utf8_or_cp1256(data: bytes, path: str, warnings: list[str]) -> str:
    text = _damaged_utf8(data, path, warnings)
    if text is not None:
        return text
    return data.decode("cp1256")  # maps every byte; junk is caught by the caller


def _damaged_utf8(data: bytes, path: str, warnings: list[str]) -> str | None:
    """UTF-8 with a few undecodable bytes replaced, or None if it is not UTF-8."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad
    if good < _DAMAGED_UTF8_RATIO * bad:
        return None
    warnings.append(f"{bad} undecodable UTF-8 sequence(s) removed")
    return text.replace("\ufffd", "")


def _bomless_utf16(data: bytes, path: str) -> str:
    """Text with NUL bytes is binary unless it is UTF-16 that lost its BOM:
    then every NUL sits on the same side of a byte pair."""
    if len(data) % 2 == 0:
        even_nuls = data[0::2].count(0)
        odd_nuls = data[1::2].count(0)
        if even_nuls == 0 or odd_nuls == 0:
            encoding = "utf-16-le" if even_nuls == 0 else "utf-16-be"
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                pass
            else:
                if "\x00" not in text:
                    return text
    return _binary(path, "NUL bytes")


def _binary(path: str, why: str = "undecodable bytes") -> NoReturn:
    raise SourceError(path, f"binary file ({why})")
