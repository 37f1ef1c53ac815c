from __future__ import annotations

from dedupe_news.normalize import (
    content_terms,
    is_boilerplate_line,
    normalize_text,
    shingles,
    strip_boilerplate,
    tokenize,
)


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
