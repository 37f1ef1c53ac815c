from __future__ import annotations

import json
import re

import pytest

from dedupe_news.normalize import (
    is_boilerplate_line,
    normalize_text,
    shingles,
    strip_boilerplate,
    tokenize,
)
from dedupe_news.terms import content_terms, reads_as_english, word_stem
from tests.conftest import shared_file


def test_normalize_text_nfkc_quotes_dashes_casefold():
    assert normalize_text("\u201cDead\u2011End\u201d \uff21 Stra\u00dfe") == '"dead-end" a strasse'


def test_tokenize_joins_nothing_across_curly_quotes_and_drops_possessives():
    assert tokenize(normalize_text("Putin\u2019s \u201cdead end\u201d")) == ["putin", "dead", "end"]
    assert tokenize("don't stop") == ["dont", "stop"]


def test_strip_boilerplate_removes_widgets_captchas_and_promos():
    text = "\n".join(
        [
            "You must enter the characters with black color that stand out from the other characters",
            "Message: * A friend wanted you to see this item from WRAL.com: http://wral.com/1",
            "Four teens were shot on a basketball court on Monday evening, police said.",
            "Leave a comment",
            "Categorized as News",
            "CLICK HERE FOR MORE FROM FOX NEWS",
            "BUCHA MASSACRE PROMPTS WEST TO CONSIDER STRONGER SANCTIONS",
            "Copyright 2016 WMC Action News 5. All rights reserved.",
            "Share this: Facebook",
            "Please enable Javascript to watch this video",
            "Advertisement",
        ]
    )
    assert strip_boilerplate(text) == (
        "four teens were shot on a basketball court on monday evening, police said."
    )


def test_strip_boilerplate_drops_repeated_captions():
    text = (
        "Rescue workers clean a destroyed building in Mariupol on April 10. Photo: Reuters.\n"
        "The talks stalled.\n"
        "Rescue workers clean a destroyed building in Mariupol on April 10. Image: Reuters."
    )
    assert strip_boilerplate(text).splitlines() == [
        "rescue workers clean a destroyed building in mariupol on april 10. photo: reuters.",
        "the talks stalled.",
    ]


def test_strip_boilerplate_keeps_story_lines_that_mention_sharing():
    line = (
        "The company said it would share the findings with regulators and follow up with "
        "every customer who had been affected by the outage last week in the region."
    )
    assert not is_boilerplate_line(normalize_text(line))


def test_strip_boilerplate_never_empties_a_short_article():
    assert strip_boilerplate("Advertisement") == "advertisement"


def test_strip_boilerplate_keeps_all_caps_documents():
    text = "OFFICIAL RESULTS ANNOUNCED TODAY FOR THE REGION\nMORE DETAILS TO FOLLOW LATER TODAY"
    assert strip_boilerplate(text).count("\n") == 1


def test_content_terms_drop_stop_words_and_single_letters():
    assert content_terms(["the", "x", "7", "talks", "said"]) == ["7", "talks"]


def test_shingles_short_text_is_one_shingle():
    assert shingles(["a", "b", "c"], 5) == [("a", "b", "c")]
    assert shingles([], 5) == []
    assert len(shingles(list("abcdefg"), 5)) == 3


def test_strip_boilerplate_keeps_an_all_caps_headline_on_the_first_line():
    text = "BAHIA COCOA REVIEW FOR THE WEEK\nShowers continued throughout the week in the Bahia cocoa zone."
    assert strip_boilerplate(text).splitlines()[0] == "bahia cocoa review for the week"


# -- scripts -------------------------------------------------------------------------


def word_tokens_before_scripts(normalized: str) -> list[str]:
    """The tokenizer before script-aware tokens: letter and digit runs, possessive 's
    and inner apostrophes removed (the reference English must still match)."""
    text = re.sub(r"(?<=\w)'(?=\w)", "", re.sub(r"\s?'s\b", "", normalized))
    return re.findall(r"[^\W_]+", text)


def test_english_tokens_are_unchanged_on_reuters_and_bbc():
    checked = 0
    for name in ("reuters21578.jsonl", "bbc2225.jsonl"):
        with shared_file(name).open(encoding="utf-8") as handle:
            for k, line in enumerate(handle):
                if k % 5:  # every fifth article: a few thousand texts, a few seconds
                    continue
                row = json.loads(line)
                text = strip_boilerplate(f"{row.get('title') or ''}\n{row['text']}")
                assert tokenize(text) == word_tokens_before_scripts(text)
                checked += 1
    assert checked > 4000


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("北京举行", ["北京", "京举", "举行"]),
        ("2019年北京", ["2019", "年北", "北京"]),
        ("东京 大阪", ["东京", "大阪"]),
        ("コーヒーを飲む", ["コー", "ーヒ", "ヒー", "ーを", "を飲", "飲む"]),
        ("서울에서 회의", ["서울", "울에", "에서", "회의"]),
        ("ภาษาไทย", ["ภา", "าษ", "ษา", "าไ", "ไท", "ทย"]),
        ("习近平在G20峰会", ["习近", "近平", "平在", "g20", "峰会"]),
        ("中", ["中"]),
    ],
)
def test_unspaced_scripts_become_character_bigrams(text, tokens):
    assert tokenize(normalize_text(text)) == tokens


def test_spaced_scripts_keep_words_with_their_combining_marks():
    assert tokenize(normalize_text("हिन्दी समाचार")) == ["हिन्दी", "समाचार"]
    assert tokenize(normalize_text("Путин заявил")) == ["путин", "заявил"]
    assert tokenize(normalize_text("Ελληνική κυβέρνηση")) == ["ελληνική", "κυβέρνηση"]
    assert tokenize(normalize_text("הממשלה אישרה")) == ["הממשלה", "אישרה"]


def test_arabic_spelling_variants_and_turkish_capital_i_fold_together():
    assert tokenize(normalize_text("مُحَمَّد أحمد إسلام")) == ["محمد", "احمد", "اسلام"]
    assert tokenize(normalize_text("\u0627\u0644\u0640\u0640\u0642\u0627\u0647\u0631\u0629")) == [
        "\u0627\u0644\u0642\u0627\u0647\u0631\u0647"
    ]
    assert tokenize(normalize_text("İSTANBUL İzmir")) == ["istanbul", "izmir"]


def test_english_text_keeps_whole_words_other_languages_get_stems():
    english = tokenize(
        normalize_text("The minister said that the reforms of the pension system " * 4)
    )
    german = tokenize(
        normalize_text("Der Minister sagte, die Reformen für das Rentensystem wären nötig " * 3)
    )
    assert reads_as_english(english) and not reads_as_english(german)
    assert "reforms" in content_terms(english)
    assert "refor" in content_terms(german) and "rente" in content_terms(german)
    assert reads_as_english(german[:10])  # too short to tell: kept as it is
    ascii_german = tokenize(normalize_text("Der Minister sagte, die Reformen seien gut " * 5))
    assert reads_as_english(ascii_german)  # plain ASCII: kept as it is


def test_word_stem_strips_arabic_prefixes_and_keeps_numbers():
    luxor = "\u0627\u0642\u0635\u0631"
    assert word_stem("\u0628\u0627\u0644" + luxor) == luxor  # bil-
    assert word_stem("\u0627\u0644" + luxor) == luxor  # al-
    assert word_stem("\u0628\u0646\u0643") == "\u0628\u0646\u0643"  # too short to strip
    assert word_stem("1234567") == "1234567"
    assert word_stem("ставками") == "ставк"
