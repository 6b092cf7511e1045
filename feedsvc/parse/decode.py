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
# A file that is not valid UTF-8 is still UTF-8, with a few damaged bytes,
# when its valid non-ASCII characters outnumber its damaged bytes this many
# times. Windows-1256 Arabic read as UTF-8 is damaged at nearly every
# letter, so the two are far apart; a short article with one bad sequence
# is UTF-8 (at 20 times, it was read whole as Windows-1256).
_DAMAGED_UTF8_RATIO = 2
_DAMAGE_RE = re.compile("[\udc80-\udcff]+")  # the bytes "surrogateescape" could not decode, a run at a time
_DAMAGE_NAMED = 3  # byte offsets a warning names


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
        pass
    text = _damaged_utf8(data, len(_UTF8_BOM) if bom else 0, warnings)
    if text is not None:
        return text
    if bom:
        _binary(path)
    return data.decode("cp1256")  # maps every byte; junk is caught by the caller


def _damaged_utf8(data: bytes, offset: int, warnings: list[str]) -> str | None:
    """UTF-8 with its few undecodable bytes dropped, and a warning naming
    where they were (`offset`: bytes before `data` in the file); None when
    the bytes are not UTF-8 at large."""
    text = data.decode("utf-8", errors="surrogateescape")
    runs = list(_DAMAGE_RE.finditer(text))
    bad = sum(run.end() - run.start() for run in runs)
    good = len(text) - len(text.encode("ascii", "ignore")) - bad
    if good < _DAMAGED_UTF8_RATIO * bad:
        return None
    where = [offset + len(text[:run.start()].encode("utf-8", "surrogateescape")) for run in runs[:_DAMAGE_NAMED]]
    named = ", ".join(map(str, where)) + (f" and {len(runs) - len(where)} more" if len(runs) > len(where) else "")
    warnings.append(f"{len(runs)} undecodable UTF-8 sequence(s) dropped (at byte {named})")
    return _DAMAGE_RE.sub("", text)


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
