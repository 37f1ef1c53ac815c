"""Issue #14, time: full timestamps in UTC, the accepted forms, bad dates, undated input."""

from __future__ import annotations

import datetime as dt
import logging
import math

import pytest
from click.testing import CliRunner

from dedupe_news import (
    Article,
    EmptyCorpusError,
    InputError,
    ParameterError,
    ReadStats,
    parse_date,
    parse_datetime,
    read_articles,
)
from dedupe_news.cli import main
from dedupe_news.timestamps import DATE_FORMS, article_day, article_time_key, article_timestamp

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2014-01-28", dt.date(2014, 1, 28)),
        ("2014-01-28T10:00:00Z", dt.datetime(2014, 1, 28, 10, tzinfo=UTC)),
        ("2014-01-28T10:00:00+01:00", dt.datetime(2014, 1, 28, 9, tzinfo=UTC)),
        ("2014-01-28 10:00:00.250-0130", dt.datetime(2014, 1, 28, 11, 30, 0, 250000, tzinfo=UTC)),
        ("2014-01-28T10:00+05", dt.datetime(2014, 1, 28, 5, tzinfo=UTC)),
        ("2014-01-28T10:00:00", dt.datetime(2014, 1, 28, 10, tzinfo=UTC)),  # no offset: UTC
        ("2014-01-28T23:30:00-05:00", dt.datetime(2014, 1, 29, 4, 30, tzinfo=UTC)),
        ("Tue, 28 Jan 2014 10:00:00 +0000", dt.datetime(2014, 1, 28, 10, tzinfo=UTC)),
        ("Tue, 28 Jan 2014 10:00:00 GMT", dt.datetime(2014, 1, 28, 10, tzinfo=UTC)),
        ("28 Jan 2014 10:00:00 -0500", dt.datetime(2014, 1, 28, 15, tzinfo=UTC)),
        (1390903200, dt.datetime(2014, 1, 28, 10, tzinfo=UTC)),
        (1390903200.5, dt.datetime(2014, 1, 28, 10, 0, 0, 500000, tzinfo=UTC)),
        ("1390903200", dt.datetime(2014, 1, 28, 10, tzinfo=UTC)),
        (
            dt.datetime(2014, 1, 28, 11, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            dt.datetime(2014, 1, 28, 10, tzinfo=UTC),
        ),  # fmt: skip
        (dt.date(2014, 1, 28), dt.date(2014, 1, 28)),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_parse_datetime_accepted_forms(value, expected):
    parsed = parse_datetime(value)
    assert parsed == expected
    assert type(parsed) is type(expected)
    if isinstance(parsed, dt.datetime):
        assert parsed.tzinfo == UTC


def test_parse_date_is_the_utc_day():
    assert parse_date("2014-01-28T23:30:00-05:00") == dt.date(2014, 1, 29)
    assert parse_date("2022-04-12T08:30:00Z") == dt.date(2022, 4, 12)
    assert parse_date("2022-04-12") == dt.date(2022, 4, 12)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("12/04/2022", None),
        ("yesterday", None),
        ("2022-13-01", "month must be in 1..12"),
        ("2014-01-28T24:00", "hour must be in 0..23"),
        ("Tue, 31 Feb 2014 10:00:00 +0000", "day is out of range for month"),
        ("20220412", "ambiguous: write 2014-01-28 for a day, or epoch seconds"),
        (1390903200000, "out of range; epoch milliseconds? divide by 1000"),
        (True, "a boolean is not a date"),
        (float("nan"), "not a finite number"),
        ([2014, 1, 28], "a list is not a date"),
    ],
)
def test_bad_dates_name_the_accepted_forms(value, why):
    with pytest.raises(InputError) as info:
        parse_datetime(value, path="f.jsonl", line=3)
    reason = f" ({why})" if why else ""
    assert str(info.value) == (
        f"f.jsonl:3: bad date {value!r}{reason}: write dates as {DATE_FORMS}, "
        "or leave the field empty"
    )


def test_article_keeps_the_time_in_utc_and_the_utc_day():
    paris = dt.timezone(dt.timedelta(hours=1))
    article = Article("a", "x", date=dt.datetime(2014, 1, 29, 0, 30, tzinfo=paris))
    assert article.date == dt.date(2014, 1, 28)
    assert article.time == dt.datetime(2014, 1, 28, 23, 30, tzinfo=UTC)
    naive = Article("b", "x", date=dt.datetime(2014, 1, 28, 10))
    assert naive.time == dt.datetime(2014, 1, 28, 10, tzinfo=UTC)
    day = Article("c", "x", date=dt.date(2014, 1, 28))
    assert (day.date, day.time) == (dt.date(2014, 1, 28), None)
    assert Article("d", "x", time=article.time).date == dt.date(2014, 1, 28)


def test_article_rejects_a_date_that_is_not_a_date():
    with pytest.raises(ParameterError, match="date must be a datetime.date or datetime.datetime"):
        Article("a", "x", date="2014-01-28")
    with pytest.raises(ParameterError, match="is not the UTC day of time"):
        Article("a", "x", date=dt.date(2014, 1, 1), time=dt.datetime(2014, 1, 28, tzinfo=UTC))


def test_article_day_and_time_key():
    early = Article("e", "x", date=parse_datetime("2014-01-28T06:00:00Z"))
    late = Article("l", "x", date=parse_datetime("2014-01-28T18:00:00Z"))
    day_only = Article("d", "x", date=dt.date(2014, 1, 28))
    undated = Article("u", "x")
    assert article_day(early) == article_day(late) == article_day(day_only) == 735261.0
    assert math.isnan(article_day(undated))
    assert article_timestamp(late) - article_timestamp(early) == 12 * 3600
    assert article_timestamp(day_only) == dt.datetime(2014, 1, 28, tzinfo=UTC).timestamp()
    assert math.isnan(article_timestamp(undated))
    articles = [undated, late, early, day_only]
    order = sorted(range(4), key=lambda k: (*article_time_key(articles[k]), k))
    assert [articles[k].id for k in order] == ["d", "e", "l", "u"]


def test_reader_keeps_times_and_offsets(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"id": "late", "text": "x", "date": "2014-01-28T18:00:00Z"}\n'
        '{"id": "early", "text": "y", "date": "Tue, 28 Jan 2014 07:00:00 +0100"}\n'
        '{"id": "epoch", "text": "z", "date": 1390903200}\n'
    )
    late, early, epoch = read_articles(path)
    assert late.time == dt.datetime(2014, 1, 28, 18, tzinfo=UTC)
    assert early.time == dt.datetime(2014, 1, 28, 6, tzinfo=UTC)
    assert epoch.time == dt.datetime(2014, 1, 28, 10, tzinfo=UTC)
    assert min([late, early, epoch], key=article_time_key).id == "early"


def test_text_file_date_line_takes_any_form(tmp_path):
    (tmp_path / "a.txt").write_text("date Tue, 28 Jan 2014 10:00:00 +0000\nThe text.")
    (tmp_path / "b.txt").write_text("date 2022-04-13 The text on the same line.")
    a, b = read_articles(tmp_path)
    assert (a.time, a.text) == (dt.datetime(2014, 1, 28, 10, tzinfo=UTC), "The text.")
    assert (b.date, b.text) == (dt.date(2022, 4, 13), "The text on the same line.")


BAD_AND_GOOD = (
    '{"id": "a", "text": "one", "date": "not a date"}\n'
    '{"id": "b", "text": "two", "date": "2014-01-28"}\n'
    '{"id": "c", "text": "three", "date": "31/01/2014"}\n'
)


def test_on_bad_date_skip_and_undated_count(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(BAD_AND_GOOD)
    with pytest.raises(InputError, match=r"a\.jsonl:1: bad date 'not a date'"):
        read_articles(path)
    stats = ReadStats()
    assert [a.id for a in read_articles(path, on_bad_date="skip", stats=stats)] == ["b"]
    assert (stats.articles, stats.dated, stats.bad_dates) == (1, 1, 2)
    assert stats.bad_dates_note() == "skipped 2 articles with bad dates"
    stats = ReadStats()
    kept = read_articles(path, on_bad_date="undated", stats=stats)
    assert [(a.id, a.date) for a in kept] == [("a", None), ("b", dt.date(2014, 1, 28)), ("c", None)]
    assert stats.bad_dates_note() == "left 2 articles with bad dates undated"
    with pytest.raises(ParameterError, match="on_bad_date must be one of error, skip, undated"):
        read_articles(path, on_bad_date="ignore")


def test_on_bad_date_skip_everything_says_why_nothing_is_left(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "a", "text": "one", "date": "soon"}\n')
    with pytest.raises(EmptyCorpusError, match=r"no articles found in .*a\.jsonl \(1 skipped"):
        read_articles(path, on_bad_date="skip")


def test_cli_on_bad_date_skip_is_counted_in_the_summary(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(BAD_AND_GOOD)
    result = CliRunner().invoke(main, ["cluster", str(path), "--on-bad-date", "skip"])
    assert result.exit_code == 0, result.stderr
    assert [line.split('"')[3] for line in result.stdout.splitlines()] == ["b"]
    assert result.stderr == (
        "1 articles, 1 stories (0 with 2+ articles); skipped 2 articles with bad dates\n"
    )


def test_warns_once_when_no_article_has_a_date(tmp_path, caplog):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n')
    with caplog.at_level(logging.WARNING, logger="dedupe_news"):
        read_articles(path)
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "dedupe_news",
            "WARNING",
            f"none of the 2 articles in {path} has a date: the date window is off, so "
            "articles any time apart can be one story; map the date field (--date-field) "
            "to use it",
        )
    ]
    caplog.clear()
    path.write_text('{"id": "a", "text": "one", "date": "2014-01-28"}\n{"id": "b", "text": "t"}\n')
    with caplog.at_level(logging.WARNING, logger="dedupe_news"):
        read_articles(path)
    assert caplog.records == []
