"""Capitalised names of a text: the ``E:`` keys of :func:`~dedupe_news.evidence.entity_keys`.

:func:`name_keys` reads a text line by line. A line that is mostly upper case (a
wire title) or Title Case names nothing: every word is capitalised there. In the
other lines, each run of capitalised words (and connectors: "Bank of England")
gives a key per word and one for the whole run ("E:vladimir putin"). A word is
capitalised when it opens with a capital and is not all capitals, or is an
all-capitals word of 2 to 5 letters (an acronym), once a possessive ending is
dropped. A run closes at any gap between words other than spaces and one dash.
A lone capitalised word that opens a sentence is an *opener*: it names something
only if the text also uses it mid-sentence, which the caller decides.

An ASCII text is read in one pass of :data:`_ASCII_SEQUENCE` over the whole text,
which finds the stretches of words that can hold a run (capitalised words and
connectors, with spaces or a dash between them); the words of each stretch are
then read as the line-by-line reader (:func:`line_name_keys`, which other texts
go through) reads them, and the two are compared by the tests.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

__all__ = ["NAME_CONNECTORS", "NAME_STOP_WORDS", "line_name_keys", "name_keys"]

NAME_STOP_WORDS = frozenset(
    """a about after again against all also an and another any are as at be because
    been before being between both but by can could did do does during each even every
    few for from further had has have having he her here hers him his how however i if
    in into is it its just last later like many may me meanwhile more most much must my
    new next no nor not now of off on once one only or other our out over per since so
    some still such than that the their them then there these they this those though
    through thus to today too under until up upon very was we were what when where
    whether which while who whom whose why will with within without would yet you your
    monday tuesday wednesday thursday friday saturday sunday mr mrs ms dr""".split()
)
"""Capitalised words that start sentences rather than name anything."""

NAME_CONNECTORS = frozenset({"of", "de", "del", "la", "van", "von", "der", "da", "al", "bin"})
"""Lower-case words that continue a run of capitalised words ("Bank of England")."""

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_WORD_SPLIT = re.compile(f"({_WORD.pattern})")
_OPENING_GAP = re.compile(r"[.!?:;\"\u201c\u201d\u00ab\u00bb()\[\]|\u2014]")
_POSSESSIVE = ("'s", "\u2019s")
"""Endings a word loses before it is compared (a possessive)."""
_ASCII_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_LOWER = bytes(range(ord("a"), ord("z") + 1))

# -- the ASCII pass: in ASCII, _WORD's letters are [A-Za-z], a word's inner marks ' and -,
# the spaces inside a line (str.strip's whitespace, less line breaks) " ", \t and \x1f.
_TOKEN_END = r"(?![A-Za-z])(?!['\-][A-Za-z])"
_UPPER_WORD = r"[A-Z](?<![A-Za-z][A-Z])(?<![A-Za-z]['\-][A-Z])[A-Za-z]*(?:['\-][A-Za-z]+)*"
_CONNECTOR_WORD = r"(?:%s)(?:'s)?%s" % ("|".join(sorted(NAME_CONNECTORS)), _TOKEN_END)
_ASCII_SEQUENCE = re.compile(
    rf"{_UPPER_WORD}(?:[ \t\x1f]*(?:-[ \t\x1f]*)?(?:{_UPPER_WORD}|{_CONNECTOR_WORD}))*"
)
"""A stretch of whole words that open with a capital or are connectors, with only
spaces and at most one dash between two of them, starting with a capital."""
_ASCII_WORD = re.compile(r"[A-Za-z]+(?:['\-][A-Za-z]+)*")
_OTHER_ASCII_BREAK = re.compile("[\r\x0b\x0c\x1c\x1d\x1e]")
"""The ASCII line breaks of ``str.splitlines`` other than ``\\n``."""
_ASCII_BREAKS = str.maketrans(dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e", "\n"))
_ASCII_NON_LETTERS = "".join(chr(c) for c in range(128) if not chr(c).isalpha())


def _cased_letters(line: str) -> tuple[int, int]:
    """(upper-case, lower-case) letters of ``line``; byte counts for ASCII."""
    if line.isascii():
        raw = line.encode("ascii")
        return (
            len(raw) - len(raw.translate(None, _ASCII_UPPER)),
            len(raw) - len(raw.translate(None, _ASCII_LOWER)),
        )
    upper = sum(map(str.isupper, line))
    lower = sum(map(str.islower, line))
    return upper, lower


def _title_case(words: Sequence[str], upper: int | None = None) -> bool:
    """True for a Title Case line: 3/4 of its 4+ long words capitalised.

    ``upper``, the line's upper-case letters (:func:`_cased_letters`), bounds the
    capitalised words: below 3/4 of the long words, the line is not Title Case.
    """
    if upper is not None and upper < 3:
        return False  # 3 capitalised words at least (3/4 of 4)
    long_words = [w for w in words if len(w) > 3]
    if upper is not None and upper < 0.75 * len(long_words):
        return False
    if len(long_words) >= 4:
        capitalised = sum(w[0].isupper() for w in long_words)
        if capitalised >= 0.75 * len(long_words):
            return True
    return False


def _close_run(run: list[str], initial: bool, keys: list[str], openers: list[str]) -> None:
    """Add the keys of a run of capitalised words (and connectors) that ends here;
    ``initial`` when the run opens a sentence."""
    while run and run[-1].lower() in NAME_CONNECTORS:
        run.pop()
    if initial and len(run) > 2 and run[1] in NAME_CONNECTORS:
        # "Shares of Northern Trust": the opener is not part of the name.
        if run[0].lower() not in NAME_STOP_WORDS:
            openers.append("E:" + run[0].lower())
        del run[:2]
        initial = False
    while (
        run and (run[0].lower() in NAME_STOP_WORDS or run[0] in NAME_CONNECTORS) and len(run) > 1
    ):
        run.pop(0)
        initial = False
    if len(run) == 1:
        lowered = run[0].lower()
        if lowered not in NAME_STOP_WORDS:
            (openers if initial else keys).append("E:" + lowered)
    elif run:
        words = [w.lower() for w in run]
        keys.extend(
            f"E:{w}" for w in words if w not in NAME_STOP_WORDS and w not in NAME_CONNECTORS
        )
        keys.append("E:" + " ".join(words))


def _capitalised(word: str) -> bool:
    return word[0].isupper() and not word.isupper() or (word.isupper() and 2 <= len(word) <= 5)


def line_name_keys(line: str, keys: list[str], openers: list[str]) -> None:
    """Add the ``E:`` keys of one line's capitalised words and runs to ``keys``; a
    lone capitalised word that opens a sentence goes to ``openers`` instead.

    Words are read one by one only from a capitalised word to the end of its
    run; the words in between (no run open) change nothing but the gap before
    the next word, so they are skipped.

    >>> keys, openers = [], []
    >>> line_name_keys("Shares of Bank of England rose, Putin said.", keys, openers)
    >>> keys, openers
    (['E:bank', 'E:england', 'E:bank of england', 'E:putin'], ['E:shares'])
    """
    upper, lower = _cased_letters(line)
    if upper == 0 or upper > lower:
        return  # no capitalised word, or a line in capitals
    parts = _WORD_SPLIT.split(line)  # gap, word, gap, word, ..., gap
    words = parts[1::2]
    if not words or _title_case(words, upper):
        return
    n_words = len(words)
    done = 0  # words before this one are read
    for start in [k for k, w in enumerate(words) if not w[0].islower()]:
        if start < done:
            continue
        run: list[str] = []
        initial = False
        k = start
        while k < n_words:
            word = words[k]
            if word.endswith(_POSSESSIVE):
                word = word[:-2]
            gap = parts[2 * k]
            if run and (gap.strip() not in ("", "-") or "\n" in gap):
                _close_run(run, initial, keys, openers)
                run = []
            if _capitalised(word):
                if not run:
                    initial = k == 0 or bool(_OPENING_GAP.search(gap))
                run.append(word)
            elif run and word in NAME_CONNECTORS:
                run.append(word)
            elif run:
                _close_run(run, initial, keys, openers)
                run = []
            k += 1
            if not run:
                break
        if run:
            _close_run(run, initial, keys, openers)
        done = k


def name_keys(text: str, keys: list[str], openers: list[str]) -> None:
    """:func:`line_name_keys` of each line of ``text`` (``str.splitlines``), in order.

    >>> keys, openers = [], []
    >>> name_keys("WIRE TITLE IN CAPITALS\\nThe Bank of England said.", keys, openers)
    >>> keys, openers
    (['E:bank', 'E:england', 'E:bank of england'], [])
    """
    if not text.isascii():
        for line in text.splitlines():
            line_name_keys(line, keys, openers)
        return
    if _OTHER_ASCII_BREAK.search(text):
        text = text.translate(_ASCII_BREAKS)
    usable: dict[int, bool] = {}  # line start -> whether its capitals name anything
    for match in _ASCII_SEQUENCE.finditer(text):
        start = match.start()
        line_start = text.rfind("\n", 0, start) + 1
        line_usable = usable.get(line_start)
        if line_usable is None:
            line_end = text.find("\n", start)
            line = text[line_start : line_end if line_end >= 0 else len(text)]
            usable[line_start] = line_usable = _ascii_line_usable(line)
        if not line_usable:
            continue
        stretch = match.group()
        read = _READ.get(stretch)
        if read is None:
            if len(_READ) >= _READ_MAX:
                _READ.clear()
            read = _READ[stretch] = _read_stretch(stretch)
        if read[0] is not None and _opens_sentence(text, line_start, start):
            read = read[0]
        keys.extend(read[1])
        openers.extend(read[2])


_Read = tuple  # (the read if the stretch opens a sentence, or None when it cannot matter;
# the keys; the openers)
_READ: dict[str, _Read] = {}
_READ_MAX = 1 << 16
"""Stretches read lately (names recur across articles): at most :data:`_READ_MAX`,
then forgotten all at once."""


def _read_stretch(stretch: str, initial: bool = False) -> _Read:
    """The keys and openers of the runs in a stretch of :data:`_ASCII_SEQUENCE`, its
    first word opening a sentence or not (``initial``); when it does not, also the
    read as if it did, if that can differ (its first word is capitalised)."""
    keys: list[str] = []
    openers: list[str] = []
    run: list[str] = []
    first = True
    opened_first = False
    for word in _ASCII_WORD.findall(stretch):
        if word.endswith("'s"):
            word = word[:-2]
        if _capitalised(word):
            if not run:
                # Inside the stretch a gap is spaces and a dash: no sentence opens.
                opened_first = opened_first or first
                run_initial = initial and first
            run.append(word)
        elif run and word in NAME_CONNECTORS:
            run.append(word)
        elif run:
            _close_run(run, run_initial, keys, openers)
            run = []
        first = False
    if run:
        _close_run(run, run_initial, keys, openers)
    opening = _read_stretch(stretch, True) if opened_first and not initial else None
    return (opening, tuple(keys), tuple(openers))


def _ascii_line_usable(line: str) -> bool:
    """Whether the capitals of an ASCII line name anything (as :func:`line_name_keys`
    decides: not a line in capitals, not Title Case)."""
    upper, lower = _cased_letters(line)
    if upper == 0 or upper > lower:
        return False
    return upper < 3 or not _title_case(_ASCII_WORD.findall(line), upper)


def _opens_sentence(text: str, line_start: int, start: int) -> bool:
    """Whether the word at ``start`` is its line's first or follows sentence punctuation
    (in the gap since the word before it)."""
    before = text[line_start:start]
    previous = before.rstrip(_ASCII_NON_LETTERS)
    return not previous or bool(_OPENING_GAP.search(before, len(previous)))
