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

:func:`texts_name_keys` reads many texts at once. Their ASCII texts are first
marked on arrays, all lines together (:func:`_marked_ascii`: lines that name
nothing blanked, the words that open a sentence marked); then one regex pass per
text (:data:`_MARKED_STRETCH`) finds the stretches of words that can hold a run
(words that open with a capital, and connectors, with spaces or a dash between
them), and the words of each distinct stretch are read once, as the line-by-line
reader (:func:`line_name_keys`, which other texts go through) reads them. The
tests compare the two, key for key and in order.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    "NAME_CONNECTORS",
    "NAME_STOP_WORDS",
    "line_name_keys",
    "name_keys",
    "texts_name_keys",
]

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
_CONNECTOR_WORD = r"(?:{})(?:'s)?{}".format("|".join(sorted(NAME_CONNECTORS)), _TOKEN_END)
_STRETCH_GAP = r"[ \t\x1f]*(?:-[ \t\x1f]*)?"
_ASCII_WORD = re.compile(r"[A-Za-z]+(?:['\-][A-Za-z]+)*")
_OTHER_ASCII_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e"
"""The ASCII line breaks of ``str.splitlines`` other than ``\\n``."""
_OTHER_ASCII_BREAK_CODES = np.array([ord(c) for c in _OTHER_ASCII_BREAKS], dtype=np.uint8)


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
    while run and (run[0].lower() in NAME_STOP_WORDS or run[0] in NAME_CONNECTORS) and len(run) > 1:
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
    found_keys, found_openers = texts_name_keys([text])[0]
    keys.extend(found_keys)
    openers.extend(found_openers)


def texts_name_keys(texts: Sequence[str]) -> list[tuple[list[str], list[str]]]:
    """The keys and openers of each text, as :func:`name_keys` adds them.

    The ASCII texts of two or more are read together: their lines that name nothing are blanked and
    the words that open a sentence marked (:func:`_marked_ascii`, on arrays), then
    the stretches of :data:`_MARKED_STRETCH` in each text are read, each distinct
    stretch once (:data:`_READ`).

    >>> texts_name_keys(["Putin met Erdogan.", "NATO'S SUMMIT"])
    [(['E:erdogan'], ['E:putin']), ([], [])]
    """
    found: list[tuple[list[str], list[str]]] = []
    plain: list[int] = []
    for k, text in enumerate(texts):
        keys: list[str] = []
        openers: list[str] = []
        found.append((keys, openers))
        if text.isascii() and len(texts) > 1:
            plain.append(k)
        else:  # (one text: reading its lines costs less than marking it)
            for line in text.splitlines():
                line_name_keys(line, keys, openers)
    start = 0
    while start < len(plain):  # batches of about _BATCH_CHARS characters
        stop, size = start, 0
        while stop < len(plain) and (size < _BATCH_CHARS or stop == start):
            size += len(texts[plain[stop]]) + 1
            stop += 1
        batch = [texts[k] for k in plain[start:stop]]
        marked = _marked_ascii("\n" + "\n".join(batch) + "\n")
        offset = 1
        for k, text in zip(plain[start:stop], batch, strict=True):
            keys, openers = found[k]
            stretches = _MARKED_STRETCH.findall(marked, offset, offset + len(text))
            reads = list(map(_READ.get, stretches))
            for n in [n for n, read in enumerate(reads) if read is None]:
                if len(_READ) >= _READ_MAX:
                    _READ.clear()
                reads[n] = _READ[stretches[n]] = _read_stretch(stretches[n])
            keys.extend(itertools.chain.from_iterable(map(_KEYS, reads)))
            openers.extend(itertools.chain.from_iterable(map(_OPENERS, reads)))
            offset += len(text) + 1
        start = stop
    return found


_BATCH_CHARS = 1 << 22
"""ASCII characters marked at once (:func:`_marked_ascii` holds a few int64 arrays
as long)."""
_READ: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
_READ_MAX = 1 << 16
"""Stretches read lately (names recur across articles): at most :data:`_READ_MAX`,
then forgotten all at once."""
_KEYS, _OPENERS = operator.itemgetter(0), operator.itemgetter(1)


def _read_stretch(stretch: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keys and openers of the runs in a stretch of :data:`_MARKED_STRETCH`: its
    words read one by one as :func:`line_name_keys` reads them. Inside a stretch the
    gaps are spaces and a dash: only its first word can open a sentence, which its
    first letter, moved by 128 (:func:`_marked_ascii`), says."""
    opens = stretch[0] > "\x7f"
    if opens:
        stretch = chr(ord(stretch[0]) - 128) + stretch[1:]
    keys: list[str] = []
    openers: list[str] = []
    run: list[str] = []
    initial = False
    for index, word in enumerate(_ASCII_WORD.findall(stretch)):
        if word.endswith("'s"):
            word = word[:-2]
        if _capitalised(word):
            if not run:
                initial = index == 0 and opens
            run.append(word)
        elif run and word in NAME_CONNECTORS:
            run.append(word)
        elif run:
            _close_run(run, initial, keys, openers)
            run = []
    if run:
        _close_run(run, initial, keys, openers)
    return tuple(keys), tuple(openers)


def _marked_ascii(text: str) -> str:
    """``text`` (ASCII, opening and ending with a line break) with the lines whose
    capitals name nothing (:func:`line_name_keys`: in capitals, or Title Case) made
    line breaks, and the first letter of each capitalised word that opens a sentence
    (first of its line, or after sentence punctuation) moved by 128 (``A`` is
    ``\\xc1``): ASCII then, Latin-1 now.

    Words, cased letters and marks are counted on the text's bytes, all lines at
    once; the words are those of :data:`_ASCII_WORD`.
    """
    raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    if any(mark in text for mark in _OTHER_ASCII_BREAKS):
        raw = np.where(np.isin(raw, _OTHER_ASCII_BREAK_CODES), np.uint8(ord("\n")), raw)
    upper = (raw - np.uint8(ord("A"))) < 26  # (uint8 arithmetic wraps around)
    letter = upper | ((raw - np.uint8(ord("a"))) < 26)
    is_break = raw == ord("\n")
    breaks = np.flatnonzero(is_break)  # line k runs from breaks[k] to breaks[k + 1]
    n_lines = breaks.size - 1
    # (int32: a batch holds fewer than 2**31 characters)
    lines_upper = np.diff(np.cumsum(upper, dtype=np.int32)[breaks])
    lines_lower = np.diff(np.cumsum(letter, dtype=np.int32)[breaks]) - lines_upper
    # Words: letters, and a ' or - between two letters.
    inner = np.zeros_like(letter)
    joiner = raw[1:-1]
    inner[1:-1] = ((joiner == ord("'")) | (joiner == ord("-"))) & letter[:-2] & letter[2:]
    in_word = letter | inner
    edges = np.flatnonzero(in_word[1:] != in_word[:-1]) + 1
    starts, ends = edges[0::2], edges[1::2]
    long_starts = starts[ends - starts > 3]
    line_of_long = np.searchsorted(breaks, long_starts) - 1
    n_long = np.bincount(line_of_long, minlength=n_lines)
    n_capitalised = np.bincount(line_of_long[upper[long_starts]], minlength=n_lines)
    title_case = (n_long >= 4) & (n_capitalised >= 0.75 * n_long)
    usable = (lines_upper > 0) & (lines_upper <= lines_lower) & ~title_case
    # A capitalised word opens a sentence when a line break or sentence punctuation
    # lies between the end of the word before it and its start.
    capitals = np.flatnonzero(upper[starts])
    word_starts = starts[capitals]
    before = np.where(capitals > 0, ends[capitals - 1], 0)
    for mark in _OPENING_MARKS:
        is_break |= raw == mark
    gaps = np.flatnonzero(is_break)
    opening = np.searchsorted(gaps, word_starts) > np.searchsorted(gaps, before)
    out = raw.copy()
    out[word_starts[opening]] += np.uint8(128)
    out[breaks[0] : breaks[-1]][np.repeat(~usable, np.diff(breaks))] = ord("\n")
    return out.tobytes().decode("latin-1")


_OPENING_MARKS = tuple(ord(c) for c in '.!?:;"()[]|')
"""The ASCII marks of :data:`_OPENING_GAP`."""
_MARKED_STRETCH = re.compile(
    rf"[A-Z\xc1-\xda]{_UPPER_WORD[5:]}(?:{_STRETCH_GAP}(?:{_UPPER_WORD}|{_CONNECTOR_WORD}))*"
)
"""In a text of :func:`_marked_ascii`, a stretch of whole words that open with a
capital (the first may be marked) or are connectors, with only spaces and at most
one dash between two of them, starting with a capital."""
