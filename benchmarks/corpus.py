"""Synthetic scale corpora: real article texts replicated with realistic edits.

A corpus of ``n`` articles is built from a pool of real texts (Reuters-21578
and BBC by default). About ``variant_share`` of the articles are near-duplicate
*variants* of another article in the corpus, made by the edits wire copy goes
through: abridgement, word substitutions, a new dateline, reordered sentences.
The rest are *base* stories. When ``n`` needs more bases than the pool holds,
pool texts are reused, each reuse rewritten (a quarter of its words replaced,
sentences shuffled) and labelled as a story of its own.

Dates are spread over ``ceil(n / articles_per_day)`` days, so the date window
sees a realistic day's news; a variant is dated 0-2 days after its base.
Everything is drawn from one ``random.Random(seed)``: the same seed and pool
give the same corpus.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections.abc import Sequence

from dedupe_news import Article

START_DATE = dt.date(2020, 1, 1)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_CITIES = ("LONDON", "NEW YORK", "WASHINGTON", "TOKYO", "PARIS", "BRUSSELS", "SYDNEY", "NAIROBI")
_AGENCIES = ("Reuters", "AP", "AFP", "Staff", "Bloomberg")
_MONTHS = (
    "Jan",
    "Feb",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
)
EDITS = ("abridge", "substitute", "dateline", "reorder")
ARTICLES_PER_DAY = 2000
"""The default density: 2,000 articles a day. Aggregators see 20,000-100,000."""


def paragraphs(text: str) -> list[str]:
    """Paragraphs, unwrapped: split at blank lines, else at indented lines, else at lines."""
    for separator in (r"\n\s*\n", r"\n(?=[ \t]{2,})", r"\n"):
        parts = [" ".join(p.split()) for p in re.split(separator, text) if p.strip()]
        if len(parts) > 1:
            return parts
    return [" ".join(text.split())]


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph) if s]


def abridge(text: str, rng: random.Random) -> str:
    """Drop trailing paragraphs (or sentences), keeping 40-90 % of the article."""
    parts = paragraphs(text)
    if len(parts) < 3:
        parts = [s for p in parts for s in sentences(p)]
    if len(parts) < 2:
        words = text.split()
        keep = max(1, int(len(words) * rng.uniform(0.4, 0.9)))
        return " ".join(words[:keep])
    keep = max(1, min(len(parts) - 1, round(len(parts) * rng.uniform(0.4, 0.9))))
    return "\n\n".join(parts[:keep])


def substitute(text: str, rng: random.Random, vocabulary: Sequence[str], rate: float) -> str:
    """Replace about ``rate`` of the words with words drawn from ``vocabulary``."""
    words = text.split(" ")
    count = max(1, round(len(words) * rate))
    for position in rng.sample(range(len(words)), min(count, len(words))):
        words[position] = rng.choice(vocabulary)
    return " ".join(words)


def dateline(text: str, rng: random.Random) -> str:
    """Put a new ``CITY, Month Day (Agency) -`` dateline in front."""
    city, agency = rng.choice(_CITIES), rng.choice(_AGENCIES)
    stamp = f"{city}, {rng.choice(_MONTHS)} {rng.randint(1, 28)} ({agency}) - "
    return stamp + text.lstrip()


def reorder(text: str, rng: random.Random) -> str:
    """Swap one pair of neighbouring sentences inside a paragraph, or two paragraphs."""
    parts = paragraphs(text)
    candidates = [k for k, p in enumerate(parts) if len(sentences(p)) >= 2]
    if candidates:
        k = rng.choice(candidates)
        found = sentences(parts[k])
        s = rng.randrange(len(found) - 1)
        found[s], found[s + 1] = found[s + 1], found[s]
        parts[k] = " ".join(found)
    elif len(parts) >= 2:
        s = rng.randrange(len(parts) - 1)
        parts[s], parts[s + 1] = parts[s + 1], parts[s]
    return "\n\n".join(parts)


def make_variant(
    text: str, rng: random.Random, vocabulary: Sequence[str]
) -> tuple[str, tuple[str, ...]]:
    """One to three edits of ``text``; returns the new text and the edits applied.

    The result always differs from ``text`` (a dateline is added if the drawn
    edits happened to change nothing).
    """
    edits = tuple(sorted(rng.sample(EDITS, rng.randint(1, 3)), key=EDITS.index))
    edited = text
    for edit in edits:
        if edit == "abridge":
            edited = abridge(edited, rng)
        elif edit == "substitute":
            edited = substitute(edited, rng, vocabulary, rate=rng.uniform(0.01, 0.05))
        elif edit == "dateline":
            edited = dateline(edited, rng)
        else:
            edited = reorder(edited, rng)
    if edited == text:
        edited, edits = dateline(text, rng), (*edits, "dateline")
    return edited, edits


def rewrite(text: str, rng: random.Random, vocabulary: Sequence[str]) -> str:
    """A reused pool text made into a different article: words replaced, paragraphs shuffled."""
    parts = paragraphs(substitute(text, rng, vocabulary, rate=0.25))
    rng.shuffle(parts)
    return "\n\n".join(parts)


def make_corpus(
    pool: Sequence[tuple[str | None, str]],
    n: int,
    seed: int,
    variant_share: float = 0.15,
    articles_per_day: int = ARTICLES_PER_DAY,
) -> list[Article]:
    """``n`` articles with gold ``story`` labels from ``pool`` of ``(title, text)``.

    ``story`` is the base article's id; each variant's ``source`` field names
    its edits (for example ``"variant:abridge+dateline"``).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not pool:
        raise ValueError("the pool of texts is empty")
    rng = random.Random(seed)
    vocabulary = sorted({w for _, text in pool[:500] for w in text.split() if w.isalpha()})
    if not vocabulary:
        vocabulary = ["news"]
    n_variants = min(n - 1, round(n * variant_share)) if n > 1 else 0
    n_bases = n - n_variants
    span = max(1, math.ceil(n / articles_per_day))
    order = list(range(len(pool)))
    rng.shuffle(order)
    articles: list[Article] = []
    for b in range(n_bases):
        reuse, slot = divmod(b, len(pool))
        title, text = pool[order[slot]]
        if reuse:
            text = rewrite(text, rng, vocabulary)
        date = START_DATE + dt.timedelta(days=rng.randrange(span))
        story = f"s{b:06d}"
        articles.append(Article(story, text, title=title, date=date, source="base", story=story))
    for v in range(n_variants):
        base = articles[rng.randrange(n_bases)]
        text, edits = make_variant(base.text, rng, vocabulary)
        date = base.date + dt.timedelta(days=rng.choice((0, 0, 0, 1, 2)))
        articles.append(
            Article(
                f"v{v:06d}",
                text,
                title=base.title,
                date=date,
                source="variant:" + "+".join(edits),
                story=base.story,
            )
        )
    rng.shuffle(articles)
    return articles


def load_pool(paths: Sequence) -> list[tuple[str | None, str]]:
    """``(title, text)`` of every non-empty article in ``paths`` (JSONL, CSV or text dirs)."""
    from dedupe_news import read_articles

    pool = []
    for path in paths:
        pool.extend((a.title, a.text) for a in read_articles(path) if a.text.strip())
    return pool


def copy_storm(
    pool: Sequence[tuple[str | None, str]], copies: int, background: int, seed: int
) -> list[Article]:
    """One wire story reprinted ``copies`` times on one day (each reprint with its own
    dateline, story ``"storm"``) among a ``background`` corpus of the same days."""
    rng = random.Random(seed)
    title, text = pool[rng.randrange(len(pool))]
    articles = make_corpus(pool, background, seed) if background else []
    for k in range(copies):
        articles.append(
            Article(
                f"storm{k:06d}",
                dateline(text, rng),
                title=title,
                date=START_DATE,
                source="copy",
                story="storm",
            )
        )
    rng.shuffle(articles)
    return articles
