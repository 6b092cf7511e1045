"""A tag line to tags: explicit separators, or longest-match segmentation.

A line without separators ("فلاديمير بوتين تصعيد قطاع غزة") is cut, longest
run first, at runs of words that are (a) in the tag lexicon, (b) two to four
words found verbatim in the article's own title or body, or (c) a word pair
that the corpus keeps seeing together in tag lines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from feedsvc.arabic import collapse_spaces, fold_tag, tag_key
from feedsvc.errors import SettingsError
from feedsvc.model import Tag

SEPARATORS_RE = re.compile("[،,؛;|#\t]")
MAX_ARTICLE_RUN = 4
# A learned pair needs this many tag lines, and each of its words must occur
# inside the pair in at least this share of the tag lines it occurs in.
# Pointwise mutual information alone would also join two frequent separate
# tags that are often written side by side ("غزة إسرائيل"); requiring both
# conditional probabilities to be high does not.
PAIR_MIN_COUNT = 3
PAIR_MIN_SHARE = 0.6


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Multi-word tags known in advance, by key."""

    keys: frozenset[str]
    max_words: int

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError("lexicon", f"cannot read {path}: {exc}") from None
        return cls.of(line for line in text.splitlines() if not line.lstrip().startswith("#"))

    @classmethod
    def of(cls, names: Iterable[str]) -> Lexicon:
        keys = frozenset(k for k in (tag_key(n) for n in names) if " " in k)
        return cls(keys, max((k.count(" ") + 1 for k in keys), default=1))


class TagStats:
    """Counts of tag words and adjacent word pairs over a corpus's tag lines,
    each counted once per line. Lines can be added and removed, so that a
    scan that changes a few files updates the counts instead of recounting.

    Lines with explicit separators teach both ways: words of one tag are a
    pair, and a one-word tag is a word seen without a partner.
    """

    def __init__(self) -> None:
        self.words: Counter[str] = Counter()
        self.pairs: Counter[str] = Counter()

    def add(self, tag_lines: Iterable[str], sign: int = 1) -> None:
        for line in tag_lines:
            groups = SEPARATORS_RE.split(line) if SEPARATORS_RE.search(line) else [line]
            seen_words: set[str] = set()
            seen_pairs: set[str] = set()
            for group in groups:
                keys = [k for k in (tag_key(w) for w in group.split()) if k]
                seen_words.update(keys)
                seen_pairs.update(f"{a} {b}" for a, b in pairwise(keys))
            for word in seen_words:
                self.words[word] += sign
            for pair in seen_pairs:
                self.pairs[pair] += sign

    def remove(self, tag_lines: Iterable[str]) -> None:
        self.add(tag_lines, -1)

    def learned(self) -> frozenset[str]:
        """Word pairs (as "key key") that the corpus keeps together."""
        learned = set()
        for pair, count in self.pairs.items():
            if count < PAIR_MIN_COUNT:
                continue
            first, second = pair.split(" ")
            if count >= PAIR_MIN_SHARE * self.words[first] and count >= PAIR_MIN_SHARE * self.words[second]:
                learned.add(pair)
        return frozenset(learned)


def learn_pairs(tag_lines: Iterable[str]) -> frozenset[str]:
    stats = TagStats()
    stats.add(tag_lines)
    return stats.learned()


def article_words(title: str, body: Iterable[str]) -> str:
    """The title and body folded like tag keys, for `_in_article`; " | "
    between paragraphs, so that no run of words spans two of them."""
    return fold_tag(" | ".join((title, *body)))


def split_tags(tag_lines: Iterable[str], title: str, body: Iterable[str], lexicon: Lexicon,
               pairs: frozenset[str]) -> tuple[Tag, ...]:
    """Tags in order of appearance; a repeated key keeps its first spelling.

    The article (title and body) is folded only if a line has to be cut
    without separators: most tag lines have them, and folding a whole
    article costs more than cutting its tags."""
    tags: dict[str, Tag] = {}
    words_of_article: str | None = None
    for line in tag_lines:
        if SEPARATORS_RE.search(line):
            names = [collapse_spaces(part) for part in SEPARATORS_RE.split(line)]
        else:
            words = [w for w in line.split() if tag_key(w)]
            if len(words) > 1 and words_of_article is None:
                words_of_article = article_words(title, body)
            names = _segment(words, words_of_article or "", lexicon, pairs)
        for name in names:
            key = tag_key(name)
            if key and key not in tags:
                tags[key] = Tag(name, key)
    return tuple(tags.values())


def _in_article(key: str, words_of_article: str) -> bool:
    """Whether the words of `key` stand in the article as a run of whole
    words (punctuation may surround the run, not interrupt it)."""
    start = words_of_article.find(key)
    while start != -1:
        end = start + len(key)
        if (start == 0 or not _is_word_char(words_of_article[start - 1])) and (
                end == len(words_of_article) or not _is_word_char(words_of_article[end])):
            return True
        start = words_of_article.find(key, start + 1)
    return False


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _segment(words: list[str], words_of_article: str, lexicon: Lexicon,
             pairs: frozenset[str]) -> list[str]:
    keys = [tag_key(w) for w in words]
    longest = max(lexicon.max_words, MAX_ARTICLE_RUN)
    names = []
    i = 0
    while i < len(words):
        size = 1
        for n in range(min(longest, len(words) - i), 1, -1):
            key = " ".join(keys[i:i + n])
            if (key in lexicon.keys
                    or (n <= MAX_ARTICLE_RUN and _in_article(key, words_of_article))
                    or (n == 2 and key in pairs)):
                size = n
                break
        names.append(" ".join(words[i:i + size]))
        i += size
    return names
