"""Whatever a file holds, parsing ends in an article or a rejection, and no
accepted field holds a character XML 1.0 forbids."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.arabic import IGNORABLE
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


def one_line(raw: str) -> str:
    """A line's display form, the plain way: each tab-separated part has its
    references decoded, XML-illegal characters removed and white space
    collapsed; empty parts go, one tab joins the rest."""
    parts = (" ".join(XML_ILLEGAL.sub("", html.unescape(part)).split()) for part in raw.split("\t"))
    return "\t".join(part for part in parts if part)


odd_pieces = st.sampled_from(["", " ", "  ", "\t", " \t ", "\xa0", "\u2003", "\x0b", "\x1c", "\x85", "\u064b",
                              "\u200f ", "&amp;", "&#10;", "&#9;", "&nbsp;", "&#x2028;", "&#1;", "&am\x01p;", "نص"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=20), odd_pieces), max_size=30).map("".join))
def test_whole_text_cleaning_matches_cleaning_each_line(text: str) -> None:
    """split_lines cleans a whole text at once; each line must come out as
    cleaning it on its own gives, and lines of nothing visible go."""
    normalized = XML_ILLEGAL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    normalized = normalized.replace("\u2028", "\n").replace("\u2029", "\n")
    expected = [line for line in map(one_line, normalized.split("\n"))
                if not re.fullmatch(f"[{IGNORABLE}\\s]*", line)]
    assert split_lines(text) == expected
