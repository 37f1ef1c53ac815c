"""The fast :func:`strip_boilerplate` against the slow reference it replaced.

The reference below is the line-by-line version (NFKC on every line, the phrase
regex on every short line). The fast one skips NFKC on ASCII lines and runs the
phrase regex only when one of the phrases' literals is somewhere in the text; both
must give the same text, hence the same tokens. :func:`article_tokens` (the
tokens without the joined text in between) must give the same tokens.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news import read_articles
from dedupe_news.normalize import (
    article_tokens,
    is_boilerplate_line,
    normalize_text,
    strip_boilerplate,
    tokenize,
)
from tests.conftest import shared_file

_REFERENCE_CAPTION_CREDIT = re.compile(
    r"(\((ap|afp|reuters|getty)[^)]*\)|\b(photo|image|picture|credit|photograph)s?\s*(by)?"
    r"\s*:\s*[^.]{1,60}\.?)\s*$"
)
_REFERENCE_TOKEN = re.compile(r"[^\W_]+")


def reference_strip_boilerplate(text: str) -> str:
    """``strip_boilerplate`` as it was before the fast path (commit 522febf)."""
    kept: list[str] = []
    seen: set[str] = set()
    mostly_lower = None
    for raw in text.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        line = normalize_text(raw)
        if is_boilerplate_line(line):
            continue
        if kept and _shouted(raw):
            if mostly_lower is None:
                mostly_lower = sum(map(str.islower, text)) > sum(map(str.isupper, text))
            if mostly_lower:
                continue
        key = line
        if "(" in line or ":" in line:
            key = _REFERENCE_CAPTION_CREDIT.sub("", line)
        key = " ".join(_REFERENCE_TOKEN.findall(key))
        if not key or key in seen:
            continue
        seen.add(key)
        kept.append(line)
    if not kept:
        return normalize_text(text).strip()
    return "\n".join(kept)


def _shouted(raw: str) -> bool:
    if raw.upper() != raw:
        return False
    return 4 <= len(raw.split()) <= 25 and sum(ch.isalpha() for ch in raw) >= 15


# One example of every alternative of the boilerplate phrase pattern, in various cases.
PHRASES = [
    "All Rights Reserved", "Copyright 2022 Reuters", "© 2021 AP", "(©) BBC", "(c) 2020 Foo",
    "This material may not be published, broadcast", "Leave a Comment", "Categorized as News",
    "categorised as world", "Click here to read", "click on the button below",
    "Please enable JavaScript", "JavaScript is disabled", "javascript required",
    "Sign up for our daily briefing", "Sign in", "Log in to comment", "Already have an account?",
    "Already a subscriber?", "Subscribe now", "subscribe today", "Subscribe to The Times",
    "Our Newsletter", "Follow us", "Follow reuters on Twitter", "Follow bbc.news on X",
    "On Twitter: @foo", "on Facebook | bar", "on instagram:", "Share this article",
    "Share on WhatsApp", "You must enter the characters", "A friend wanted you to see this",
    "Verification email sent", "verification message", "Notification settings",
    "Terms of Service", "terms of use", "Privacy Policy", "Thank you for registering",
    "Report an error", "Submit a tip", "Join the conversation", "Read More", "For more news",
    "for more from the BBC", "for more on this story", "You are the owner of this article.",
    "Welcome back!", "Why are we asking this?", "We use cookies: accept", "Cookie policy",
    "{* #socialRegistrationForm *}", "Please check your email", "please check your spam",
    "Skip to main content", "skip to content", "Watch the video",
]  # fmt: skip
WIDGETS = ["Advertisement", "Share", "Tweet", "Loading...", "Related stories:", "-----", "•••"]
CAPTIONS = [
    "Soldiers walk past a tank. Photo: Reuters.", "A man waves. (AP Photo/John Smith)",
    "Crowds gather (Getty Images)", "Image by: AFP.", "Soldiers walk past a tank.",
]  # fmt: skip
PROMOS = ["BUCHA MASSACRE PROMPTS WEST TO WEIGH SANCTIONS", "OIL PRICES JUMP AFTER OPEC CUT"]
STORY = [
    "Four people were shot on Main Street on Tuesday, police said.",
    "Putin\u2019s forces \u2014 a \u201cdead end\u201d for talks, it's said.",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ and the ﬁnance ministry",  # NFKC changes these
    "İstanbul'da Reuters muhabiri", "Die Rentenreform wurde am Dienstag beschlossen.",
    "Ставка ЦБ выросла", "2019年北京举行会议", "मुंबई में बारिश", "بالأقصر الأحد",
    "The `quoted` backtick and e\u0301clair", "sharer of this, comments on it",
    "'s the 'quoted' line's end'", "don't stop: it's O'Neill's (AP Photo/Jo)",
]  # fmt: skip
LINES = PHRASES + WIDGETS + CAPTIONS + PROMOS + STORY


def _mangle(line: str, upper: bool, lower: bool, pad: str) -> str:
    if upper:
        line = line.upper()
    elif lower:
        line = line.lower()
    return pad + line + pad


line_strategy = st.one_of(
    st.builds(_mangle, st.sampled_from(LINES), st.booleans(), st.booleans(),
              st.sampled_from(["", " ", "\t", "\u00a0"])),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
    st.text(alphabet="abc ©(c)1`'’:\u00a0ÉÀ", max_size=20),
)  # fmt: skip


@settings(max_examples=600, deadline=None, derandomize=True)
@given(st.lists(line_strategy, min_size=0, max_size=12), st.sampled_from(["\n", "\r\n", "\n\n"]))
def test_fast_strip_boilerplate_matches_the_reference(lines, separator):
    text = separator.join(lines)
    expected = reference_strip_boilerplate(text)
    assert strip_boilerplate(text) == expected
    assert tokenize(strip_boilerplate(text)) == tokenize(expected)
    assert article_tokens(text) == tokenize(expected)


@pytest.mark.parametrize("phrase", PHRASES)
def test_every_phrase_is_still_dropped_alone_among_story_lines(phrase):
    text = f"{STORY[0]}\n{phrase}\n{STORY[4]}"
    assert reference_strip_boilerplate(text) == strip_boilerplate(text)
    assert normalize_text(phrase) not in strip_boilerplate(text).splitlines()


@pytest.mark.parametrize(
    "name", ["bbc2225.jsonl", "ecbplus_dev.jsonl", "gva_dev.jsonl", "reuters21578.jsonl"]
)
def test_real_articles_give_the_reference_text_and_tokens(name):
    articles = read_articles(shared_file(name))[::7]
    different = [a.id for a in articles if strip_boilerplate(a.full_text)
                 != reference_strip_boilerplate(a.full_text)]  # fmt: skip
    assert articles and not different
    different = [a.id for a in articles if article_tokens(a.full_text)
                 != tokenize(reference_strip_boilerplate(a.full_text))]  # fmt: skip
    assert not different
