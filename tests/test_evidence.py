"""Entities, quotes and leads from original-case text, and their pair features."""

from __future__ import annotations

import json
import math
import pickle
import re
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.evidence import (
    NAME_STOP_WORDS,
    SHORT_TEXT_WORDS,
    article_evidence,
    articles_evidence,
    entity_keys,
    entity_names,
    key_hash,
    lead_text,
    quote_keys,
    ticker_keys,
)
from dedupe_news.evidence_table import EvidenceTable
from dedupe_news.model_features import prepare_evidence
from tests.conftest import shared_file


def has(keys: np.ndarray, *names: str) -> bool:
    return all(key_hash(name) in set(keys.tolist()) for name in names)


def test_entities_names_runs_tickers_and_numbers():
    keys = entity_keys(
        "Talks stalled, Vladimir Putin told Alexander Lukashenko in Moscow. "
        "Shares of Northern Trust Corp <NTRS> rose 5% after (NYSE: BAC) fell. "
        + "and the market closed higher on the day after a long week "
        * 3
    )  # over SHORT_TEXT_WORDS words: sentence openers must be used mid-sentence
    assert has(keys, "E:vladimir putin", "E:putin", "E:alexander lukashenko", "E:moscow")
    assert has(keys, "E:northern trust corp", "T:NTRS", "T:BAC", "N:5%")
    assert not has(keys, "E:talks", "E:shares")  # lone words opening a sentence


def test_numbers_with_units_agree_across_spellings():
    assert np.array_equal(entity_keys("profit rose 76%"), entity_keys("profit rose 76 percent"))
    assert np.array_equal(entity_keys("$1.13bn deal"), entity_keys("1.13 billion deal"))
    assert has(entity_keys("1,200,000 barrels"), "N:1200000")
    assert has(entity_keys("1,5 Prozent mehr"), "N:1.5%")
    assert not has(entity_keys("in 3 cities"), "N:3")  # one digit, no unit: too common


def test_capitals_lines_give_tickers_not_names():
    keys = entity_keys("STANDARD OIL <SRD> TO FORM FINANCIAL UNIT")
    assert has(keys, "T:SRD")
    assert not has(keys, "E:standard", "E:standard oil")


def test_sentence_opener_counts_when_used_mid_sentence_or_in_a_headline():
    body = "Shr 87 cts vs 73 cts. " * 10 + "Profit was up. Northern said it grew. "
    long_text = body + "Analysts at the bank praised Northern for it."
    assert not has(entity_keys(body * 2), "E:shr", "E:northern")
    assert has(entity_keys(long_text), "E:northern")
    assert has(entity_keys("Putin says talks with Kyiv are at a dead end"), "E:putin", "E:kyiv")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("普京 Putin 说，和谈在伊斯坦布尔陷入僵局，3月29日，2022年", ["E:putin", "N:29", "N:2022"]),
        ("قال بوتين إن المحادثات وصلت إلى طريق مسدود في 2022", ["N:2022"]),
        ("Путин заявил, что переговоры в Стамбуле зашли в тупик", ["E:путин", "E:стамбуле"]),
        ("プーチン大統領は１２日、停戦交渉が行き詰まったと述べた", ["N:12"]),
    ],
)
def test_entities_in_other_scripts(text, expected):
    keys = entity_keys(text)
    assert has(keys, *expected)
    assert keys.dtype == np.int64 and np.all(np.diff(keys) > 0)


def test_quotes_match_across_quote_styles():
    straight = quote_keys('He said "peace talks are at a dead end" on Tuesday.')
    curly = quote_keys("Putin said \u201cPeace talks are at a dead end\u201d.")
    guillemets = quote_keys("\u00ab Peace talks are at a dead end \u00bb, dit Poutine")
    low_high = quote_keys("\u201ePeace talks are at a dead end\u201c, sagte er")
    assert straight.size == 5  # word 3-grams of a 7-word span
    assert np.array_equal(straight, curly)
    assert np.array_equal(straight, guillemets)
    assert np.array_equal(straight, low_high)


def test_short_quotes_and_apostrophes():
    keys = quote_keys("Russian tycoon lambasts country's 'massacre'")
    assert np.array_equal(keys, quote_keys("a 'Massacre' it was"))
    assert quote_keys("Russia's army and Kyiv's mayor").size == 0
    assert quote_keys("他说「和谈陷入僵局」").size == 1
    assert quote_keys("").size == 0 and entity_keys("").size == 0


def test_lead_is_title_or_first_words():
    assert lead_text("Storm hits coast", "Body") == "Storm hits coast"
    assert lead_text(None, " ".join(map(str, range(80)))).split() == list(map(str, range(50)))
    assert lead_text("  ", "a b c", words=2) == "a b"


def test_article_evidence_reads_title_and_text():
    evidence = article_evidence("Putin meets Erdogan", "The leaders met in Ankara.")
    assert has(evidence.entities, "E:putin", "E:erdogan", "E:ankara")
    assert evidence.lead == "Putin meets Erdogan"


def _reference(sets_a, sets_b, n, idf):
    """Exact per-pair entity features from Python sets."""
    shared = sets_a & sets_b
    wa = sum(idf[e] for e in sets_a)
    wb = sum(idf[e] for e in sets_b)
    na = math.sqrt(sum(idf[e] ** 2 for e in sets_a))
    nb = math.sqrt(sum(idf[e] ** 2 for e in sets_b))
    cosine = sum(idf[e] ** 2 for e in shared) / (na * nb) if na * nb > 0 else 0.0
    overlap = sum(idf[e] for e in shared) / min(wa, wb) if min(wa, wb) > 0 else 0.0
    return cosine, overlap


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(st.sets(st.integers(0, 12), max_size=6), min_size=2, max_size=12),
    st.data(),
)
def test_entity_features_match_a_set_reference(sets, data):
    arrays = [np.array(sorted(s), dtype=np.int64) for s in sets]
    table = EvidenceTable(arrays, arrays)
    n = len(sets)
    df = {e: sum(e in s for s in sets) for e in range(13)}
    idf = {e: math.log((1 + n) / (1 + df[e])) for e in range(13)}
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1))
    i = np.array([p[0] for p in pairs])
    j = np.array([p[1] for p in pairs])
    got = table.entity_features(i, j)
    quotes = table.quote_overlap(i, j)
    for k, (a, b) in enumerate(pairs):
        cosine, overlap = _reference(sets[a], sets[b], n, idf)
        assert got["entity_cosine"][k] == pytest.approx(min(cosine, 1.0), abs=1e-9)
        assert got["entity_overlap"][k] == pytest.approx(min(overlap, 1.0), abs=1e-9)
        smaller = min(len(sets[a]), len(sets[b]))
        expected = len(sets[a] & sets[b]) / smaller if smaller else 0.0
        assert quotes[k] == pytest.approx(expected, abs=1e-12)


def test_entity_conflict_needs_rare_entities_on_both_sides():
    common = 99
    sets = [[common, 1], [common, 2], [common, 1, 3], [common]] + [[common]] * 200
    table = EvidenceTable(
        [np.array(s, dtype=np.int64) for s in sets], [np.zeros(0, np.int64)] * len(sets)
    )
    got = table.entity_features(np.array([0, 0, 0]), np.array([1, 2, 3]))
    # 0-1: rare entities on both sides, none shared; 0-2 share entity 1; 3 names only a common one.
    assert got["entity_conflict"].tolist() == [1.0, 0.0, 0.0]
    assert got["entity_cosine"][1] > 0.5 and got["entity_cosine"][0] == 0.0
    assert table.entity_idf.min() == pytest.approx(math.log(205 / 205))


def test_ticker_keys_read_tickers_and_bracketed_company_names():
    keys = ticker_keys("DOME <Dome Petroleum Ltd> TO SELL UNIT TO <NTRS>; (NASDAQ: ABCD) <p>")
    assert has(keys, "T:DOME PETROLEUM LTD", "T:NTRS", "T:ABCD")
    assert keys.size == 3  # the lower-case HTML tag is no ticker


def test_ticker_conflict_between_two_companies_briefs():
    texts = [
        "ALPHA CORP <ALP> 1ST QTR NET",
        "BETA INC <BET> 1ST QTR NET",
        "ALPHA <ALP> buys BETA <BET>",
        "no ticker",
    ]
    evidence = [article_evidence(None, t) for t in texts]
    table = EvidenceTable.from_evidence(evidence)
    got = table.ticker_conflict(np.array([0, 0, 1, 0]), np.array([1, 2, 2, 3]))
    assert got.tolist() == [1.0, 0.0, 0.0, 0.0]


# -- the fast name reader against the word-by-word reference --------------------------------

_REF_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_REF_GAP = re.compile(r"[.!?:;\"\u201c\u201d\u00ab\u00bb()\[\]|\u2014]")
_REF_CONNECTORS = {"of", "de", "del", "la", "van", "von", "der", "da", "al", "bin"}


def _reference_close(run, initial, names, openers, name_stop) -> None:
    while run and run[-1].lower() in _REF_CONNECTORS:
        run.pop()
    if initial and len(run) > 2 and run[1] in _REF_CONNECTORS:
        if run[0].lower() not in name_stop:
            openers.append("E:" + run[0].lower())
        del run[:2]
        initial = False
    while run and (run[0].lower() in name_stop or run[0] in _REF_CONNECTORS) and len(run) > 1:
        run.pop(0)
        initial = False
    if run:
        low = [w.lower() for w in run]
        if len(run) == 1:
            if low[0] not in name_stop:
                (openers if initial else names).append("E:" + low[0])
        else:
            names.extend(f"E:{w}" for w in low if w not in name_stop and w not in _REF_CONNECTORS)
            names.append("E:" + " ".join(low))
        run.clear()


def _reference_names(text: str, name_stop: frozenset) -> set[str]:
    """The session-3 reader: every word of every line, one by one."""

    def capitalised(word):
        return word[0].isupper() and not word.isupper() or (word.isupper() and 2 <= len(word) <= 5)

    names, openers = [], []
    text = unicodedata.normalize("NFKC", text)
    for line in text.splitlines():
        matches = list(_REF_WORD.finditer(line))
        words = [m.group() for m in matches]
        upper = sum(map(str.isupper, line))
        lower = sum(map(str.islower, line))
        long_words = [w for w in words if len(w) > 3]
        capitals = sum(w[0].isupper() for w in long_words)
        title = len(long_words) >= 4 and capitals >= 0.75 * len(long_words)
        if not matches or upper > lower or title:
            continue
        run, initial, previous_end = [], False, 0
        for m in matches:
            word = re.sub(r"['\u2019]s$", "", m.group())
            gap = line[previous_end : m.start()]
            opens = previous_end == 0 or bool(_REF_GAP.search(gap))
            if run and (gap.strip() not in ("", "-") or "\n" in gap):
                _reference_close(run, initial, names, openers, name_stop)
            if capitalised(word):
                if not run:
                    initial = opens
                run.append(word)
            elif run and word in _REF_CONNECTORS:
                run.append(word)
            else:
                _reference_close(run, initial, names, openers, name_stop)
            previous_end = m.end()
        _reference_close(run, initial, names, openers, name_stop)
    if len(text.split()) <= SHORT_TEXT_WORDS:
        names.extend(openers)
    else:
        names.extend(k for k in openers if k in set(names))
    return set(names)


_PIECES = [
    "Putin", "Vladimir", "Bank", "of", "England", "de", "la", "Cruz", "the", "The", "Monday",
    "NATO", "NATO's", "Putin\u2019s", "A", "I", "US", "IBM", "UNITED", "eBay", "iPhone", "van",
    "Gogh", "talks", "said", "and", "Łódź", "Ünal", "Стамбул", "путин", "普京", "中AB", "ǅemal",
    "St", "Jean-Pierre", "O'Neil", "New", "York", "it", "In", "shares", "Shr", "Net", "vs",
]  # fmt: skip
_GAPS = [" ", " ", " ", ", ", ". ", " - ", "-", ": ", " (", ") ", "\n", " \u2014 ", "; ", '"', "  "]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_GAPS)), max_size=70))
def test_entity_names_match_the_word_by_word_reference(pieces):
    text = "".join(word + gap for word, gap in pieces)
    # As it is, and after a long lower-case line (sentence openers need a second use).
    for variant in (text, "words " * SHORT_TEXT_WORDS + "\n" + text):
        expected = _reference_names(variant, NAME_STOP_WORDS)
        got = set(entity_keys(variant).tolist())
        assert got == {key_hash(k) for k in expected}


def test_ticker_conflict_reads_the_titles_not_the_partners_named_below():
    titles = ["AMR <AMR> TO ACQUIRE 40 JETS", "BOEING <BA> SAYS ORDER WORTH ONE BILLION"]
    texts = ["AMR Corp <AMR> said it will buy jets.", "Boeing <BA> said the AMR <AMR> order..."]
    evidence = [article_evidence(t, x) for t, x in zip(titles, texts, strict=True)]
    assert has(evidence[1].entities, "T:AMR", "T:BA")  # entities still read the whole text
    assert has(evidence[1].tickers, "T:BA") and not has(evidence[1].tickers, "T:AMR")
    table = EvidenceTable.from_evidence(evidence)
    assert table.ticker_conflict(np.array([0]), np.array([1])).tolist() == [1.0]
    no_title = article_evidence(None, "Boeing <BA> said AMR <AMR> ordered jets.")
    assert has(no_title.tickers, "T:BA", "T:AMR")  # the lead is the first words then


def test_a_headline_has_at_most_short_text_words_whatever_the_trailing_space():
    for tail in ("", " ", "\n  \t", " \n"):
        short = "Putin " + "said " * (SHORT_TEXT_WORDS - 1) + tail
        long = "Putin " + "said " * SHORT_TEXT_WORDS + tail
        assert "E:putin" in entity_names(short)  # its opener counts: a headline
        assert "E:putin" not in entity_names(long)


def test_keys_are_the_same_when_the_hash_memory_fills_and_is_forgotten(monkeypatch):
    from dedupe_news import evidence

    text = "Vladimir Putin met Recep Erdogan in Istanbul; <NLC> rose 5% to 1.1 billion."
    fresh = entity_keys(text)
    monkeypatch.setattr(evidence, "_HASHED_MAX", 3)
    evidence._HASHED.clear()
    for _ in range(3):
        np.testing.assert_array_equal(entity_keys(text), fresh)
        assert len(evidence._HASHED) <= 3
    np.testing.assert_array_equal(fresh, np.unique([key_hash(k) for k in set(entity_names(text))]))


# -- articles read together against one by one ------------------------------------------------

_EVIDENCE_PIECES = [
    "Putin", "Bank of England", "the", "said", "NATO's", "<NLC>", "NYSE: XOM", "5%", "1,200",
    "1.1 billion", '"peace talks are at a dead end"', "\u201cPeace talks\u201d", "'no'",
    "'the plan is off'", "\u00abnon\u00bb", "Łódź", "Стамбул", "IBM", "SHARES ROSE", "Shr",
]  # fmt: skip


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.none() | st.sampled_from(["Storm <AB> hits", "", "PUTIN SAYS"]),
            st.lists(
                st.tuples(st.sampled_from(_EVIDENCE_PIECES), st.sampled_from([" ", "\n", ". "])),
                max_size=25,
            ),
        ),
        max_size=8,
    )
)
def test_articles_read_together_give_each_ones_evidence(articles):
    titles = [title for title, _ in articles]
    texts = ["".join(p + gap for p, gap in pieces) for _, pieces in articles]
    together = articles_evidence(titles, texts)
    assert len(together) == len(texts)
    for found, title, text in zip(together, titles, texts, strict=True):
        alone = article_evidence(title, text)
        assert found.lead == alone.lead
        for name in ("entities", "quotes", "tickers"):
            assert np.array_equal(getattr(found, name), getattr(alone, name))
            assert getattr(found, name).dtype == np.int64


def test_articles_read_together_on_real_articles():
    with open(shared_file("gva_dev.jsonl"), encoding="utf-8") as lines:
        rows = [json.loads(line) for _, line in zip(range(400), lines, strict=False)]
    titles = [r.get("title") for r in rows]
    texts = [r.get("text") or "" for r in rows]
    together = articles_evidence(titles, texts)
    assert sum(e.quotes.size > 0 for e in together) > 10  # quotes are read
    for found, title, text in zip(together, titles, texts, strict=True):
        alone = article_evidence(title, text)
        for name in ("entities", "quotes", "tickers"):
            assert np.array_equal(getattr(found, name), getattr(alone, name))


_LOOK_BEHIND_FIRST = (
    re.compile(r"(?<![\w])\u2018([^\u2018\u2019\n]{2,300})\u2019(?![\w])"),
    re.compile(r"(?<![\w'])'([^'\n]{2,300})'(?![\w])"),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet="ab '\u2018\u2019\n.1_", max_size=60))
def test_single_quote_patterns_find_what_their_look_behind_first_forms_find(text):
    from dedupe_news import evidence

    for fast, plain in zip(evidence._QUOTE_SPANS[-2:], _LOOK_BEHIND_FIRST, strict=True):
        assert [m.span(1) for m in fast.finditer(text)] == [m.span(1) for m in plain.finditer(text)]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.none() | st.sampled_from(["Storm <AB> hits", "", "PUTIN SAYS"]),
            st.lists(st.sampled_from(_EVIDENCE_PIECES), max_size=12).map(" ".join),
        ),
        max_size=6,
    )
)
def test_prepared_evidence_comes_back_from_a_worker_article_by_article(articles):
    # A worker's chunk crosses to the main process pickled (flat arrays of keys).
    prepared = prepare_evidence([t for t, _ in articles], [x for _, x in articles])
    back = pickle.loads(pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL))
    assert len(back) == len(prepared) == len(articles)
    assert (back.lead_counts != prepared.lead_counts).nnz == 0
    for name in ("entities", "quotes", "tickers"):
        assert len(getattr(back, name)) == len(articles)
        for got, sent in zip(getattr(back, name), getattr(prepared, name), strict=True):
            assert got.dtype == np.int64
            np.testing.assert_array_equal(got, sent)
