"""Generate article files in the source format, each with its expected parse.

    python bench/corpus.py OUT_DIR --count 2000 --seed 7

Real Arabic text from the SaudiNewsNet sample (../shared/data) is dressed in
the source format with tags, related titles and read-also articles, and with
the variations the format allows: encodings, line endings, marker spellings,
date forms, HTML entities, stray control characters, extra white space,
nested folders. Next to every `x.txt` goes `x.expected.json`, worked out
from what the generator chose to write, never by running the parser.
Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from feedsvc.settings import LEXICON

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FEEDSVC_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data" / "saudinewsnet"
LEXICON = LEXICON

# --- canonical text: what the parser must give back --------------------------
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_IGNORABLE = re.compile("[\u064b-\u065f\u0670\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_FOLD = str.maketrans("أإآٱىةؤئ", "اااايهوي")
_ENDS_SENTENCE = re.compile(r"[.!?؟…:،,;؛][\"'”’»›)\]]*$")
_MARKER_WORDS = ("المصدر", "كلمات دلاليه", "تاريخ النشر", "اخبار ذات صله", "اقرا ايضا")


def canonical(text: str) -> str:
    return " ".join(_ILLEGAL.sub("", html.unescape(text)).split())


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return " ".join(_IGNORABLE.sub("", text).translate(_FOLD).lower().split())


def words_of(text: str) -> str:
    return " " + " ".join(re.sub(r"[\W_]+", " ", fold(text)).split()) + " "


def usable_line(text: str) -> bool:
    folded = fold(text)
    return sum(ch.isalpha() for ch in folded) >= 2 and not folded.startswith(_MARKER_WORDS)


# --- source material ----------------------------------------------------------
@dataclass(frozen=True)
class Story:
    title: str
    paragraphs: tuple[str, ...]
    paper: str
    day: datetime


PAPERS = {
    "alriyadh": "صحيفة الرياض", "aawsat": "الشرق الأوسط", "okaz": "صحيفة عكاظ", "sabq": "صحيفة سبق",
    "aljazirah": "صحيفة الجزيرة", "aleqtisadiya": "الاقتصادية", "alyaum": "صحيفة اليوم",
    "almadina": "صحيفة المدينة", "alwatan": "صحيفة الوطن", "alweeam": "صحيفة الوئام",
}


@cache
def stories() -> tuple[Story, ...]:
    found = []
    for archive in sorted(DATA.glob("*.zip")):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                for item in json.loads(z.read(name)):
                    title = canonical(item["title"])
                    paragraphs = tuple(p for p in (canonical(p) for p in item["content"].split("\n"))
                                       if len(p.split()) >= 4 and usable_line(p))[:12]
                    if title and usable_line(title) and paragraphs:
                        day = datetime.strptime(item["date_extracted"][:10], "%Y-%m-%d").replace(tzinfo=UTC)
                        found.append(Story(title, paragraphs, PAPERS.get(item["source"], item["source"]), day))
    seen: set[str] = set()
    unique = []
    for story in found:  # titles identify read-also articles: keep them distinct
        if fold(story.title) not in seen:
            seen.add(fold(story.title))
            unique.append(story)
    if not unique:
        raise SystemExit(f"no SaudiNewsNet articles in {DATA}: set FEEDSVC_SHARED to the shared/ folder")
    return tuple(unique)


@cache
def lexicon() -> tuple[str, ...]:
    lines = LEXICON.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if " " in line.strip() and not line.startswith("#"))


SINGLE_TAGS = (
    "السعودية", "مصر", "الأردن", "الكويت", "قطر", "البحرين", "عمان", "العراق", "سوريا", "لبنان", "اليمن",
    "ليبيا", "تونس", "الجزائر", "المغرب", "السودان", "إيران", "تركيا", "روسيا", "الصين", "فرنسا", "ألمانيا",
    "الرياض", "جدة", "الدمام", "القاهرة", "بغداد", "دمشق", "بيروت", "اقتصاد", "رياضة", "سياسة", "تعليم",
    "صحة", "ثقافة", "إرهاب", "نفط", "انتخابات", "تصعيد", "مفاوضات", "استثمار", "سياحة", "أمطار", "حوادث",
    "تقنية", "عقارات", "الحج", "رمضان", "الطقس", "المرور", "زلزال", "فيضانات", "مهرجان", "جوائز", "توظيف",
)
# Two-word tags no lexicon knows and no article contains: only the corpus
# statistics can keep them whole. Their words appear nowhere else in tags.
# A few topics that every news week keeps coming back to.
HOT_TAGS = ("المملكة العربية السعودية", "الأمم المتحدة", "مجلس التعاون الخليجي", "أسعار النفط", "الشرق الأوسط",
            "الملك سلمان", "عاصفة الحزم", "البرنامج النووي الإيراني")
CORPUS_PAIRS = ("ملف البطالة", "قضايا المرأة", "سباق التسلح", "نقص المياه", "أزمة المرور", "غلاء المعيشة")

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
MONTHS_GULF = (("يناير",), ("فبراير",), ("مارس",), ("أبريل", "إبريل"), ("مايو",), ("يونيو", "يونيه"),
               ("يوليو", "يوليه"), ("أغسطس",), ("سبتمبر",), ("أكتوبر",), ("نوفمبر",), ("ديسمبر",))
MONTHS_LEVANT = ("كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
                 "تشرين الأول", "تشرين الثاني", "كانون الأول")
WEEKDAYS_AR = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

MARKERS = {
    "related": ["أخبار ذات صلة", "أخبار ذات صلة:", "اخبار ذات صلة", "أخبـار ذات صلة", "\u200fأخبار ذات صلة"],
    "read_also": ["إقرأ أيضاً:", "اقرأ أيضا", "إقرأ أيضاً :", "اقرأ أيضًا", "اقـرأ أيضاً", "إقرأ أيضاً"],
    "source": ["المصدر: ", "المصدر : ", "المصدر:", "المصدر :  "],
    "tags": ["كلمات دلالية: ", "كلمات دلالية : ", "كلمات دلاليّة: ", "كلمات دلالية:"],
    "date": ["تاريخ النشر: ", "تاريخ النشر : ", "تاريخ النشر:"],
}


def ordinal(day: int) -> str:
    return {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(day, "th")


def date_text(rng: random.Random, when: datetime) -> tuple[str, datetime]:
    """A date line's text in one of the forms the format allows, and the
    UTC time it means."""
    d, m, y = when.day, when.month, when.year
    hm = f"{when.hour:02d}:{when.minute:02d}"
    midnight = when.replace(hour=0, minute=0)
    plus3 = timezone(timedelta(hours=3))
    local = when.replace(tzinfo=plus3)
    forms = [
        (f"{d}{ordinal(d)}, {MONTHS_EN[m - 1]} {y} GMT", midnight),
        (f"{d} {MONTHS_EN[m - 1]} {y}", midnight),
        (f"{MONTHS_EN[m - 1][:3]} {d}, {y}", midnight),
        (f"{d}{ordinal(d)}, {MONTHS_EN[m - 1]} {y} {hm} GMT", when),
        (f"{y}-{m:02d}-{d:02d}", midnight),
        (f"{y}-{m:02d}-{d:02d} {hm}", when),
        (f"{y}-{m:02d}-{d:02d}T{hm}:00+03:00", local.astimezone(UTC)),
        (f"{d} {MONTHS_EN[m - 1]} {y} {hm} +0300", local.astimezone(UTC)),
        (f"{d} {rng.choice(MONTHS_GULF[m - 1])} {y}", midnight),
        (f"{WEEKDAYS_AR[when.weekday()]} {d} {MONTHS_LEVANT[m - 1]} {y}", midnight),
        (f"{d} {rng.choice(MONTHS_GULF[m - 1])} {y}".translate(ARABIC_INDIC), midnight),
        (f"{d} {MONTHS_LEVANT[m - 1]} {y}".translate(PERSIAN), midnight),
        (f"{WEEKDAYS_EN[when.weekday()]}, {d} {MONTHS_EN[m - 1]} {y} {hm} UTC", when),
    ]
    return rng.choice(forms)


# --- one file -------------------------------------------------------------------
@dataclass
class Plan:
    """What one file will hold; `tags` are display names, in order."""

    id: str
    story: Story
    title: str
    published: datetime | None
    date_line: str | None
    related_titles: list[str]
    source: str | None
    tags: list[str]
    read_also: list[tuple[str, list[str]]]
    mtime: datetime
    explicit_tags: bool = False
    sections: list[str] = field(default_factory=list)


def headline(text: str) -> str:
    words = re.sub(r"[.!?؟…:،,;؛]+[\"'”’»›)\]]*$", "", text).split()[:25]
    return " ".join(words)


def sentence(text: str) -> str:
    return text if _ENDS_SENTENCE.search(text) else text + "."


def plan_corpus(count: int, seed: int, noisy: bool = True) -> list[Plan]:
    rng = random.Random(seed)
    pool = stories()
    order = list(range(len(pool)))
    rng.shuffle(order)
    chosen = [pool[order[i % len(pool)]] for i in range(count)]
    titles = [s.title if i < len(pool) else f"{s.title} {i}" for i, s in enumerate(chosen)]
    outsiders = [pool[order[-1 - i]] for i in range(min(200, max(0, len(pool) - count)))] or list(pool[:50])
    lex = lexicon()
    pair_users = [i for i in range(count) if i % 10 == 0]
    pairs_in_use = CORPUS_PAIRS[: min(len(CORPUS_PAIRS), len(pair_users) // 3)]
    plans = []
    for i, story in enumerate(chosen):
        when = story.day + timedelta(hours=rng.randrange(24), minutes=rng.randrange(60))
        mtime = datetime(2015, 8, 1, tzinfo=UTC) + timedelta(minutes=i)
        roll = rng.random()
        if roll < 0.04 and noisy:
            date_line, published = None, None
        elif roll < 0.06 and noisy:
            date_line, published = "غير معروف", None
        else:
            date_line, published = date_text(rng, when)
        related = [titles[rng.randrange(count)] if rng.random() < 0.6 else rng.choice(outsiders).title
                   for _ in range(rng.choice((0, 0, 1, 2, 3)))]
        read_also = []
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            other = chosen[j] if (j := rng.randrange(count)) != i and rng.random() < 0.5 else rng.choice(outsiders)
            title = headline(titles[j] if other is chosen[j] else other.title)
            if title and usable_line(title):
                read_also.append((title, [sentence(p) for p in other.paragraphs[: rng.randint(1, 4)]]))
        tags = pick_tags(rng, story, lex, pairs_in_use[(i // 10) % len(pairs_in_use)]
                         if pairs_in_use and i in pair_users else None)
        plan = Plan(
            id=(f"{story.paper.split()[-1]}/{i:06d}" if rng.random() < 0.3 else f"{i:06d}"),
            story=story, title=titles[i], published=published, date_line=date_line,
            related_titles=related, source=story.paper if rng.random() < 0.9 else None,
            tags=tags, read_also=read_also, mtime=mtime,
        )
        plan.sections = [s for s in ("related", "source", "tags", "read_also")
                         if (s == "related" and (related or rng.random() < 0.5))
                         or (s == "source" and plan.source)
                         or (s == "tags" and tags)
                         or (s == "read_also" and read_also)]
        if rng.random() < 0.5:
            rng.shuffle(plan.sections)
        plans.append(plan)
    settle_tag_lines(plans, lex)
    return plans


def pick_tags(rng: random.Random, story: Story, lex: tuple[str, ...], corpus_pair: str | None) -> list[str]:
    if rng.random() < 0.05:
        return []
    tags: list[str] = []
    for _ in range(rng.randint(2, 6)):
        kind = rng.random()
        if kind < 0.15:
            tags.append(rng.choice(HOT_TAGS))
        elif kind < 0.3:
            tags.append(rng.choice(lex))
        elif kind < 0.5 and (run := article_run(rng, story)):
            tags.append(run)
        else:
            tags.append(rng.choice(SINGLE_TAGS))
    if corpus_pair:
        tags.insert(rng.randrange(len(tags) + 1), corpus_pair)
    unique: dict[str, str] = {}
    for tag in tags:
        unique.setdefault(fold(tag), tag)
    return list(unique.values())


STOP_WORDS = frozenset(fold(w) for w in (
    "في", "من", "على", "إلى", "عن", "مع", "هذا", "هذه", "ذلك", "تلك", "التي", "الذي", "الذين", "بعد", "قبل",
    "منذ", "حتى", "أن", "إن", "كان", "كانت", "ما", "لا", "لم", "لن", "هي", "هو", "هم", "مدى", "بين", "عند",
    "كل", "بعض", "غير", "أو", "ثم", "قد", "كما", "حيث", "خلال", "أمام", "عبر", "نحو", "لدى", "أي", "أنه", "أنها",
))


def article_run(rng: random.Random, story: Story) -> str | None:
    """Two or three consecutive words of the article, as written, that look
    like a tag: a noun phrase ending in a word with the article ("وزارة
    الصحة", "الأمن الجماعي"), no stop words, no leading conjunction."""
    words = rng.choice(story.paragraphs).split()
    size = rng.choice((2, 3))
    if len(words) <= size:
        return None
    start = rng.randrange(len(words) - size)
    run = words[start:start + size]
    if not all(re.fullmatch(r"[\u0621-\u064a\u064b-\u065f]+", w) and fold(w).isalpha() for w in run):
        return None
    folded = [fold(w) for w in run]
    if any(w in STOP_WORDS or len(w) < 3 for w in folded) or folded[0].startswith("و") or \
            not folded[-1].startswith("ال"):
        return None
    return " ".join(run)


def settle_tag_lines(plans: list[Plan], lex: tuple[str, ...]) -> None:
    """Write a tag line with spaces only where the parser's rules can cut it
    just one way; elsewhere use separators. Learned pairs are recomputed
    after the switch, which can only remove pairs, so one pass settles it."""
    lex_keys = {fold(t) for t in lex}
    longest = max(len(k.split()) for k in lex_keys)
    for plan in plans:
        plan.explicit_tags = random.Random(plan.id).random() < 0.25
    learned = corpus_pairs(plans)

    def known(key: str, n: int, article: str) -> bool:
        return key in lex_keys or (n <= 4 and f" {key} " in article) or (n == 2 and key in learned)

    for plan in plans:
        if plan.explicit_tags or not plan.tags:
            continue
        article = words_of(" ".join((plan.title, *plan.story.paragraphs)))
        words = [w for t in plan.tags for w in t.split()]
        start = 0
        for tag in plan.tags:
            size = len(tag.split())
            # cut longest first at each tag's start: the tag must be found,
            # and no longer run starting there may be
            if size > 1 and not known(fold(tag), size, article):
                plan.explicit_tags = True
            for n in range(size + 1, min(longest, len(words) - start) + 1):
                if known(fold(" ".join(words[start:start + n])), n, article):
                    plan.explicit_tags = True
            start += size


def corpus_pairs(plans: list[Plan]) -> set[str]:
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for plan in plans:
        groups = [t.split() for t in plan.tags] if plan.explicit_tags else [[w for t in plan.tags for w in t.split()]]
        keys = [[fold(w) for w in g] for g in groups]
        words.update({w for g in keys for w in g})
        pairs.update({f"{a} {b}" for g in keys for a, b in pairwise(g)})
    return {p for p, c in pairs.items()
            if c >= 3 and all(c >= 0.6 * words[w] for w in p.split())}


# --- writing ----------------------------------------------------------------------
def escape(rng: random.Random, text: str, noisy: bool) -> str:
    """Text as a scraper may have left it; `canonical()` of it is the text."""
    text = text.replace("&", "&amp;")
    if not noisy:
        return text
    roll = rng.random()
    if roll < 0.1:
        text = text.replace('"', "&quot;")
    elif roll < 0.15:
        text = text.replace(" ", "&nbsp;", 1)
    elif roll < 0.18:
        text = text.replace("ا", "&#1575;", 1)
    elif roll < 0.22:
        text = text.replace(" ", "  \t", 1)
    elif roll < 0.24:
        text = text.replace(" ", " \x1a ", 1)
    elif roll < 0.26:
        text = "  " + text + " "
    return text


def render(plan: Plan, rng: random.Random, noisy: bool) -> str:
    lines = [escape(rng, plan.title, noisy)]
    if plan.date_line is not None:
        lines.append(rng.choice(MARKERS["date"]) + plan.date_line)
    lines += [escape(rng, p, noisy) for p in plan.story.paragraphs]
    for section in plan.sections:
        if section == "related":
            lines.append(rng.choice(MARKERS["related"]))
            lines += [escape(rng, t, noisy) for t in plan.related_titles]
        elif section == "source":
            lines.append(rng.choice(MARKERS["source"]) + escape(rng, plan.source or "", False))
        elif section == "tags":
            sep = rng.choice(("، ", "،", ", ", " | ", "#")) if plan.explicit_tags else " "
            lines.append(rng.choice(MARKERS["tags"]) + sep.join(plan.tags))
        else:
            repeat = rng.random() < 0.5
            for n, (title, body) in enumerate(plan.read_also):
                if n == 0 or repeat:
                    lines.append(rng.choice(MARKERS["read_also"]))
                lines.append(escape(rng, title, noisy))
                lines += [escape(rng, p, noisy) for p in body]
    if noisy:
        for _ in range(rng.randrange(3)):
            lines.insert(rng.randrange(1, len(lines) + 1), rng.choice(("", "   ", "\u200f")))
    return "\n".join(lines) + rng.choice(("\n", "", "\n\n"))


def expected(plan: Plan) -> dict[str, Any]:
    published = plan.published or plan.mtime
    return {
        "id": plan.id,
        "path": plan.id + ".txt",
        "title": plan.title,
        "published": published.isoformat(),
        "body": list(plan.story.paragraphs),
        "related_titles": plan.related_titles if "related" in plan.sections else [],
        "source": plan.source,
        "tags": plan.tags,
        "read_also": [{"title": t, "body": b} for t, b in plan.read_also],
    }


def encode(rng: random.Random, text: str, noisy: bool) -> bytes:
    if noisy:
        text = text.replace("\n", rng.choice(("\n", "\n", "\r\n", "\r")))
        roll = rng.random()
        try:
            if roll < 0.1:
                return b"\xef\xbb\xbf" + text.encode("utf-8")
            if roll < 0.2:
                return text.encode("utf-16")
            if roll < 0.35:
                return text.encode("cp1256")
        except UnicodeEncodeError:
            pass
    return text.encode("utf-8")


def generate(out: Path, count: int, seed: int = 7, *, noisy: bool = True, with_expected: bool = True) -> list[Path]:
    """Write `count` files (and their expected parse) under `out`."""
    rng = random.Random(seed)
    paths = []
    for plan in plan_corpus(count, seed, noisy):
        path = out / f"{plan.id}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode(rng, render(plan, rng, noisy), noisy))
        stamp = plan.mtime.timestamp()
        os.utime(path, (stamp, stamp))
        if with_expected:
            path.with_suffix(".expected.json").write_text(
                json.dumps(expected(plan), ensure_ascii=False, indent=1), encoding="utf-8")
        paths.append(path)
    return paths


def cached_corpus(count: int, seed: int = 3) -> Path:
    """A generated corpus kept under /tmp between benchmark runs (not committed)."""
    folder = Path(f"/tmp/feedsvc-bench-corpus-{count}-{seed}")
    if not (folder / ".complete").exists():
        generate(folder, count, seed, with_expected=False)
        (folder / ".complete").touch()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plain", action="store_true", help="UTF-8, LF, no noise")
    parser.add_argument("--no-expected", action="store_true")
    args = parser.parse_args()
    paths = generate(args.out, args.count, args.seed, noisy=not args.plain, with_expected=not args.no_expected)
    print(f"{len(paths)} files in {args.out}")


if __name__ == "__main__":
    main()
