"""Whatever a file holds, parsing ends in an article or a rejection, and no
accepted field holds a character XML 1.0 forbids."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.arabic import IGNORABLE, clean_display, strip_xml_illegal
from feedsvc.model import Article, Draft
from feedsvc.parse import Lexicon, SourceFile, finish, learn_pairs, read_draft
from feedsvc.parse.layout import split_lines

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SOURCE = SourceFile("x.txt", "x.txt", 0, 0)
LEXICON = Lexicon.of(["قطاع غزة", "الأمم المتحدة"])
NOW = datetime(2024, 1, 1, tzinfo=UTC)
MARKERS = ["تاريخ النشر: ", "أخبار ذات صلة", "المصدر: ", "كلمات دلالية: ", "إقرأ أيضاً:", "&quot;", "&#1;", "\t", "،"]


def fields(article: Article) -> list[str]:
    texts = [article.title, *article.body, *article.related_titles, article.source or ""]
    texts += [t.name for t in article.tags]
    texts += [r.title for r in article.read_also] + [p for r in article.read_also for p in r.body]
    return texts


def parse(data: bytes) -> None:
    draft = read_draft(data, SOURCE, 1 << 20)
    if isinstance(draft, Draft):
        article = finish(draft, LEXICON, learn_pairs([draft]), NOW)
        assert article.title
        for text in fields(article):
            assert not XML_ILLEGAL.search(text)
            assert text == text.strip()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    parse(data)


article_text = st.lists(
    st.one_of(st.text(max_size=80), st.sampled_from(MARKERS).flatmap(lambda m: st.text(max_size=30).map(m.__add__))),
    max_size=20,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(article_text, st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]))
def test_arbitrary_text(text: str, encoding: str) -> None:
    parse(text.encode(encoding, errors="surrogatepass"))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), st.sampled_from(["", " ", "\u064b", "\u200f ", "نص  نص", "&amp;"])),
                max_size=12).map("\n".join))
def test_lines_are_cleaned_one_by_one_or_all_at_once_alike(text: str) -> None:
    """split_lines skips per-line cleaning when the whole text shows it would
    change nothing; the result must be what cleaning each line gives."""
    normalized = strip_xml_illegal(text).replace("\r\n", "\n").replace("\r", "\n")
    normalized = normalized.replace("\u2028", "\n").replace("\u2029", "\n")
    expected = []
    for raw in normalized.split("\n"):
        parts = [clean_display(part, xml_clean=True) for part in raw.split("\t")]
        line = "\t".join(part for part in parts if part)
        if not re.fullmatch(f"[{IGNORABLE}\\s]*", line):  # a line of nothing visible is blank
            expected.append(line)
    assert split_lines(text) == expected
