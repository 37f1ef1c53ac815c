"""Issue #15: random JSONL lines, CSV rows and API values, given to the readers,
``articles_from_records`` and ``StoryClusterer.fit``, never escape as anything but a
DedupeNewsError, and whatever is read is a clean Article (fixed seed, 500 examples each)."""

from __future__ import annotations

import datetime as dt
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedupe_news import Article, DedupeNewsError, articles_from_records, read_articles

SETTINGS = settings(
    max_examples=500,
    derandomize=True,  # a fixed seed: the same examples on every run
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIELDS = ["id", "text", "title", "date", "source", "url", "story"]
ODD_TEXT = st.text(
    alphabet=st.characters(codec=None, blacklist_categories=()), max_size=12
) | st.sampled_from(
    ["\ud800", "x\udfff", "\ufeff", "\x00", "2014-01-28T10:00:00+01:00", "Tue, 28 Jan 2014 10:00:00 +0000",
     "1390903200", "20220412", "9" * 30, "NaN", '"', ",", "\r\n", "\\ud800"]
)  # fmt: skip
JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | ODD_TEXT
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(FIELDS) | ODD_TEXT, inner, max_size=3)
    ),
    max_leaves=8,
)
RECORD = st.dictionaries(st.sampled_from(FIELDS) | ODD_TEXT, JSON_VALUE, max_size=7)


def check(read) -> None:
    """Call ``read()``: it returns clean Articles or raises a DedupeNewsError, nothing else."""
    try:
        articles = read()
    except DedupeNewsError as exc:
        str(exc).encode("utf-8")  # the message can be printed: no lone surrogates in it
        return
    for article in articles:
        assert isinstance(article, Article)
        assert isinstance(article.id, str) and article.id
        for value in (article.id, article.text, article.title, article.source, article.url):
            assert value is None or isinstance(value, str)
            if value is not None:
                value.encode("utf-8")  # raises on a lone surrogate
        assert article.date is None or type(article.date) is dt.date
        assert article.time is None or article.time.utcoffset() == dt.timedelta(0)


RAW_LINES = [  # values Python's json reads in ways a dict strategy cannot express
    b'{"id": ' + b"9" * 4301 + b', "text": "x"}',
    b'{"id": "a", "text": "x", "date": ' + b"1" * 5000 + b"}",
    b'{"id": "a", "text": "x", "date": 1e400}',
    b'{"id": "a\\ud800", "text": "x"}',
    b'{"id": "a", "text": "x\\udc00\\ud800"}',
    b"\xef\xbb\xbf" + b'{"id": "bom", "text": "x"}',
    b'{"id": "a", "text": "caf\xe9"}',
]


def json_line(record: dict, ascii_only: bool, cut: int | None, deep: int) -> bytes:
    line = json.dumps(record, ensure_ascii=ascii_only)
    if deep:
        line = "[" * deep + line + "]" * deep
    if cut is not None:
        line = line[:cut]
    return line.encode("utf-8", "surrogatepass")


@SETTINGS
@given(
    st.lists(
        st.tuples(RECORD, st.booleans(), st.none() | st.integers(0, 40), st.sampled_from([0, 0, 2, 5000])),
        min_size=1,
        max_size=4,
    )
    | st.lists(st.binary(max_size=60) | st.sampled_from(RAW_LINES), min_size=1, max_size=4),
    st.sampled_from(["jsonl", None]),
)  # fmt: skip
def test_random_jsonl_lines(lines, input_format):
    raw = [json_line(*line) if isinstance(line, tuple) else line for line in lines]
    data = b"\n".join(raw) + b"\n"
    check(lambda: read_articles(io.BytesIO(data), input_format=input_format))


CSV_CELL = ODD_TEXT | st.sampled_from(['"quoted"', '"open', 'a""b', "", "x" * 140_000])


@SETTINGS
@given(
    st.lists(st.sampled_from(FIELDS) | ODD_TEXT, min_size=1, max_size=5),
    st.lists(st.lists(CSV_CELL, max_size=6), max_size=5),
    st.sampled_from([",", "\t"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_random_csv_rows(header, rows, delimiter, newline):
    text = newline.join(delimiter.join(cells) for cells in [header, *rows]) + newline
    data = text.encode("utf-8", "surrogatepass")
    check(lambda: read_articles(io.BytesIO(data), input_format="csv"))


API_VALUE = (
    JSON_VALUE
    | st.dates()
    | st.datetimes(timezones=st.none() | st.timezones())
    | st.binary(max_size=4)
    | st.sampled_from(
        [float("nan"), object(), dt.time(10), Article("z", "x"), 10**5000, -(10**400)]
    )
)


@SETTINGS
@given(
    st.lists(
        st.dictionaries(st.sampled_from(FIELDS) | ODD_TEXT, API_VALUE, max_size=7) | API_VALUE,
        max_size=4,
    )
    | API_VALUE
)
def test_random_api_values(records):
    check(lambda: articles_from_records(records))


FIT_SETTINGS = settings(SETTINGS, max_examples=500)
WORDS = st.sampled_from(["storm", "coast", "rates", "bank", "Putin", "talks", "é", "日本", "42"])
VALID_RECORD = st.fixed_dictionaries(
    {"text": st.lists(WORDS, max_size=30).map(" ".join) | st.text(max_size=40)},
    optional={
        "title": st.none() | st.text(max_size=20),
        "date": st.none()
        | st.dates().map(str)
        | st.datetimes(timezones=st.none() | st.timezones())
        | st.integers(0, 2 * 10**9),
        "source": st.text(max_size=5),
    },
)
VALID_RECORDS = st.lists(VALID_RECORD, min_size=1, max_size=8).map(
    lambda records: [{"id": f"a{k}", **record} for k, record in enumerate(records)]
)
RANDOM_RECORDS = (
    st.lists(
        st.dictionaries(st.sampled_from(FIELDS) | ODD_TEXT, API_VALUE, max_size=7),
        min_size=1,
        max_size=4,
    )
    | API_VALUE
)


@FIT_SETTINGS
@given(VALID_RECORDS | VALID_RECORDS | RANDOM_RECORDS)
def test_random_values_given_to_fit(records):
    from dedupe_news import StoryClusterer

    def fit():
        clusterer = StoryClusterer(n_jobs=1).fit(records)
        assert len(clusterer.labels_) == len(clusterer.articles_) == len(records)
        return clusterer.articles_

    check(fit)
