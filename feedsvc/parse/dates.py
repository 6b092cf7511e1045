"""Publication date text to an aware UTC datetime.

Reads English and Arabic (Gulf, Egyptian, Levantine and Maghrebi) month
names, ordinals, ISO 8601, Arabic-Indic and Persian digits, times, and the
zones GMT, UTC, Z and numeric offsets; a weekday in front is ignored. A date
without a zone is GMT.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from feedsvc.arabic import ARABIC_DIGITS, fold_marker

_MONTHS: dict[str, int] = {}


def _months(month: int, *names: str) -> None:
    for name in names:
        _MONTHS[fold_marker(name).lower()] = month


_months(1, "january", "jan", "يناير", "كانون الثاني", "جانفي", "ينير")
_months(2, "february", "feb", "فبراير", "شباط", "فيفري", "فبراير")
_months(3, "march", "mar", "مارس", "آذار")
_months(4, "april", "apr", "أبريل", "إبريل", "ابريل", "نيسان", "أفريل")
_months(5, "may", "مايو", "أيار", "ماي")
_months(6, "june", "jun", "يونيو", "يونيه", "حزيران", "جوان")
_months(7, "july", "jul", "يوليو", "يوليه", "تموز", "جويلية", "يوليوز")
_months(8, "august", "aug", "أغسطس", "آب", "أوت", "غشت")
_months(9, "september", "sep", "sept", "سبتمبر", "أيلول", "شتنبر")
_months(10, "october", "oct", "أكتوبر", "تشرين الأول", "اكتوبر")
_months(11, "november", "nov", "نوفمبر", "تشرين الثاني", "نونبر")
_months(12, "december", "dec", "ديسمبر", "كانون الأول", "دجنبر")

_WEEKDAYS = [
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
    "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد",
]

# Longest names first, so that "كانون الثاني" wins over a bare "كانون".
_NAMES = sorted(set(_MONTHS) | {fold_marker(w).lower() for w in _WEEKDAYS} | {"يوم"}, key=len, reverse=True)
_WORD_RE = re.compile(
    r"(?<![\w])(" + "|".join(re.escape(n) for n in _NAMES) + r")(?![\w])", re.IGNORECASE
)
_ISO_RE = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
)
_NUMERIC_RE = re.compile(r"(?P<a>\d{1,4})[/.-](?P<b>\d{1,2})[/.-](?P<c>\d{1,4})")
_TIME_RE = re.compile(
    r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.|ص|م)?(?![\w])",
    re.IGNORECASE,
)
_ZONE_RE = re.compile(
    r"(?:(?<![^\W\d_])(?P<name>gmt|utc|z|غرينتش|جرينتش)\s*)?"
    r"(?:(?P<sign>[-+\u2212])\s*(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?)?\s*$",
    re.IGNORECASE,
)
_ORDINAL_RE = re.compile(r"(\d)(st|nd|rd|th)\b", re.IGNORECASE)


# The commonest forms, read directly (the full reading costs several times more):
# ISO 8601 with ASCII digits, and "13 October 2023" with an optional time and offset.
_PLAIN_ISO_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2})?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?")
_DAY_MONTH_YEAR_RE = re.compile(
    r"([0-9]{1,2}) ([^\W\d_]+) ([0-9]{4})(?: ([0-9]{1,2}):([0-9]{2})(?: ([+-])([0-9]{2}):?([0-9]{2}))?)?")


def parse_date(text: str) -> datetime | None:
    """The date in `text` as aware UTC, or None if it cannot be read."""
    if _PLAIN_ISO_RE.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    plain = _DAY_MONTH_YEAR_RE.fullmatch(text)
    if plain is not None and plain[2].lower() in _MONTHS:
        day, name, year, hour, minute, sign, oh, om = plain.groups()
        if int(hour or 0) <= 23 and int(minute or 0) <= 59 and int(oh or 0) <= 14 and int(om or 0) <= 59:
            offset = timedelta(hours=int(oh or 0), minutes=int(om or 0)) * (-1 if sign == "-" else 1)
            return _build(int(year), _MONTHS[name.lower()], int(day), int(hour or 0), int(minute or 0), 0, offset)
    return _parse_any(text)


def _parse_any(text: str) -> datetime | None:
    text = fold_marker(text.translate(ARABIC_DIGITS)).replace("،", " ").replace(",", " ")
    text = _ORDINAL_RE.sub(r"\1", text)
    text, offset = _take_zone(text)
    if offset is None:
        return None
    iso = _ISO_RE.search(text)
    if iso:
        fields = {k: int(v) if v else 0 for k, v in iso.groupdict().items()}
        return _build(fields["y"], fields["m"], fields["d"], fields["H"], fields["M"], fields["S"], offset)
    hour, minute, second, text = _take_time(text)
    if hour is None:
        return None
    months = [_MONTHS[m.group(1).lower()] for m in _WORD_RE.finditer(text) if m.group(1).lower() in _MONTHS]
    numbers = [int(n) for n in re.findall(r"\d+", text)]  # (no month or weekday name holds a digit)
    if months:
        if len(set(months)) != 1:
            return None
        years = [n for n in numbers if n >= 100]
        days = [n for n in numbers if n < 100]
        if len(years) != 1 or len(days) != 1:
            return None
        return _build(years[0], months[0], days[0], hour, minute, second, offset)
    numeric = _NUMERIC_RE.search(text)
    if numeric:
        a, b, c = (int(numeric.group(g)) for g in "abc")
        # 2023/10/13 is year first; otherwise day first, as Arabic writes it.
        year, month, day = (a, b, c) if a >= 100 else (c, b, a)
        return _build(year, month, day, hour, minute, second, offset)
    return None


def _take_zone(text: str) -> tuple[str, timedelta | None]:
    """Strip a trailing zone; returns the rest and the UTC offset (zero when
    none is given), or None as the offset when the zone is malformed."""
    match = _ZONE_RE.search(text)
    if match is None or not match.group(0).strip():
        return text, timedelta(0)
    rest = text[: match.start()]
    sign = match.group("sign")
    if sign and match.group("name") is None and not re.search(r"\d:\d{2}(?::\d{2})?\s*$", rest):
        return text, timedelta(0)  # a bare offset counts only after a time: "2023-10-13" has none
    if not sign:
        return rest, timedelta(0)
    hours, minutes = int(match.group("oh")), int(match.group("om") or 0)
    if hours > 14 or minutes > 59:
        return text, None
    offset = timedelta(hours=hours, minutes=minutes)
    return rest, -offset if sign in "-\u2212" else offset


def _take_time(text: str) -> tuple[int | None, int, int, str]:
    match = _TIME_RE.search(text)
    if match is None:
        return 0, 0, 0, text
    hour, minute = int(match.group("H")), int(match.group("M"))
    ampm = (match.group("ampm") or "").lower().replace(".", "")
    if ampm in ("pm", "م") and hour < 12:
        hour += 12
    elif ampm in ("am", "ص") and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None, 0, 0, text
    rest = text[: match.start()] + " " + text[match.end():]
    return hour, minute, int(match.group("S") or 0), rest


def _build(year: int, month: int, day: int, hour: int, minute: int, second: int,
           offset: timedelta) -> datetime | None:
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        return None
    return local.astimezone(UTC)
