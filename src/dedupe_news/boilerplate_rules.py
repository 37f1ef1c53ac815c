"""The rules that mark a line of an article as page furniture rather than story.

:func:`~dedupe_news.normalize.strip_boilerplate` applies them line by line. The
screens here (:data:`WIDGET_LINES`, :func:`may_have_caption_credit`,
:func:`phrase_literals_in`) look at a whole text, or a batch of texts, at once, so
that a text none of them flags can skip the line-by-line pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    "BOILERPLATE_PHRASE",
    "CAPTION_CREDIT",
    "MAX_BOILERPLATE_WORDS",
    "PHRASE_LITERALS",
    "WIDGET_LINE",
    "WIDGET_LINES",
    "may_have_caption_credit",
    "phrase_literals_in",
]

# Whole lines that are page furniture, not story (matched case-folded, stripped).
WIDGET_LINE = re.compile(
    r"^(advertisement|close|comments?|email|e-mail|print|share|tweet|more|menu|search|"
    r"google|google\+|pinterest|twitter|facebook|linkedin|reddit|whatsapp|tumblr|"
    r"like this:.*|loading\.*|related( articles| stories)?:?|update:?|trending( stories)?:?|"
    r"[_\-=*~•·|]{3,})$"
)
# Phrases that mark a short line as boilerplate wherever they stand in it.
BOILERPLATE_PHRASE = re.compile(
    r"all rights reserved|^copyright\b|^\(?©|\(c\) \d{4}|this material may not be published|"
    r"leave a comment|categori[sz]ed as|click here|click on the button|enable javascript|"
    r"javascript (is )?(disabled|required)|sign up for|sign in|log in\b|already have an account|"
    r"already a subscriber|subscribe (now|today|to)|newsletter|follow us|follow [\w.]+ on|"
    r"on (twitter|facebook|instagram)\s*[:|]|share (this|on)|you must enter the characters|"
    r"a friend wanted you to see|verification (email|message)|notification|terms of (service|use)|"
    r"privacy policy|thank you for registering|report an error|submit a tip|join the conversation|"
    r"read more\b|for more (news|from|on)\b|you are the owner of this article|"
    r"welcome back|why are we asking this|cookies?\b.*\b(policy|accept|consent)|"
    r"\{\*.*\*\}|please check your (email|spam)|skip to (main )?content|watch the video"
)
# Photo credits and captions: "... Photo: Reuters." / "(AP Photo/John Smith)".
CAPTION_CREDIT = re.compile(
    r"(\((ap|afp|reuters|getty)[^)]*\)|\b(photo|image|picture|credit|photograph)s?\s*(by)?\s*:\s*[^.]{1,60}\.?)\s*$"
)
MAX_BOILERPLATE_WORDS = 30
# A literal that every alternative of BOILERPLATE_PHRASE contains: a text with none of
# them has no phrase line, so its lines skip that regex (keep the two in step).
PHRASE_LITERALS = (
    "reserved", "copyright", "\u00a9", "(c) ", "not be published", "comment", "categori",
    "click ", "javascript", "sign ", "log in", "account", "subscri", "newsletter", "follow ",
    "twitter", "facebook", "instagram", "share ", "characters", "a friend", "verification",
    "notification", "terms of", "privacy", "registering", "report an error", "a tip",
    "conversation", "read more", "for more", "owner of this", "welcome back", "asking this",
    "cookie", "{*", "check your", "skip to", "watch the video",
)  # fmt: skip
# WIDGET_LINE over a whole text, searched in "\n" + text: every line that WIDGET_LINE
# matches once stripped is in a match (a screen: the spaces may reach over a line
# break). The line break first is a literal the search skips to, faster than "^".
WIDGET_LINES = re.compile(r"\n\s*" + WIDGET_LINE.pattern[1:-1] + r"\s*$", re.MULTILINE)
# CAPTION_CREDIT's two alternatives, each at the end of a line of a whole text.
_PAREN_CREDIT_LINES = re.compile(r"\((ap|afp|reuters|getty)[^)]*\)\s*$", re.MULTILINE)
_NAMED_CREDIT_LINES = re.compile(
    r"\b(photo|image|picture|credit|photograph)s?\s*(by)?\s*:\s*[^.]{1,60}\.?\s*$", re.MULTILINE
)


def may_have_caption_credit(text: str) -> bool:
    """False only if no line of ``text`` has a caption credit that :data:`CAPTION_CREDIT`
    would find once stripped (a screen: its classes may also reach over a line break).

    >>> may_have_caption_credit("a man waves. (ap photo/jo)\\nhe said")
    True
    >>> may_have_caption_credit("he said (ap) that")
    False
    """
    if "(" in text and _PAREN_CREDIT_LINES.search(text):
        return True
    return ":" in text and _NAMED_CREDIT_LINES.search(text) is not None


# For each phrase literal, a 4-character piece of it that is rare in news text: the
# batch screen finds the pieces, then checks the whole literal around each.
_PIECES = {
    "reserved": "rved", "copyright": "opyr", "(c) ": "(c) ", "not be published": "publ",
    "comment": "omme", "categori": "egor", "click ": "lick", "javascript": "vasc",
    "sign ": "ign ", "log in": "g in", "account": "ccou", "subscri": "bscr",
    "newsletter": "wsle", "follow ": "llow", "twitter": "itte", "facebook": "cebo",
    "instagram": "gram", "share ": "hare", "characters": "arac", "a friend": "rien",
    "verification": "rifi", "notification": "otif", "terms of": "rms ", "privacy": "vacy",
    "registering": "egis", "report an error": "rror", "a tip": " tip", "conversation": "rsat",
    "read more": "d mo", "for more": "r mo", "owner of this": "wner", "welcome back": "elco",
    "asking this": "skin", "cookie": "ooki", "check your": "heck", "skip to": "skip",
    "watch the video": "atch",
}  # fmt: skip
_SHORT_LITERALS = tuple(literal for literal in PHRASE_LITERALS if literal not in _PIECES)


def _piece_code(piece: bytes) -> int:
    return int.from_bytes(piece, "little")


_BY_PIECE: dict[int, list[tuple[str, int]]] = {}
for _literal, _piece in _PIECES.items():
    _BY_PIECE.setdefault(_piece_code(_piece.encode()), []).append(
        (_literal, _literal.index(_piece))
    )
_PIECE_CODES = np.array(sorted(_BY_PIECE), dtype=np.uint32)
# A 16-bit hash of each piece's code marks where a piece may be (a table lookup is
# faster than np.isin over the whole batch); np.isin then checks those places.
_MIX = np.uint32(0x9E3779B1)
_MAY_BE_PIECE = np.zeros(1 << 16, dtype=bool)
with np.errstate(over="ignore"):
    _MAY_BE_PIECE[(_PIECE_CODES * _MIX) >> np.uint32(16)] = True


def phrase_literals_in(lowered: Sequence[str]) -> list[set[str]]:
    """The :data:`PHRASE_LITERALS` found in each of the lower-cased ASCII texts
    ``lowered`` (one pass over the batch with numpy instead of one per literal).

    >>> [sorted(found) for found in phrase_literals_in(["sign in to share this", "talks"])]
    [['share ', 'sign '], []]
    """
    found: list[set[str]] = [set() for _ in lowered]
    joined = "\x00".join(lowered)
    starts = np.cumsum([0] + [len(text) + 1 for text in lowered[:-1]])
    if len(joined) >= 4:
        encoded = joined.encode("ascii")
        data = np.frombuffer(encoded, dtype=np.uint8)
        # The 4 bytes from each place as one little-endian number (overlapping reads).
        codes = np.ndarray((data.size - 3,), dtype="<u4", buffer=encoded, strides=(1,))
        with np.errstate(over="ignore"):
            hashed = codes * _MIX
        hashed >>= np.uint32(16)
        hits = np.flatnonzero(_MAY_BE_PIECE[hashed])
        hit_codes = codes[hits]
        for code, literals in _BY_PIECE.items():
            at = hits[hit_codes == code]
            for literal, offset in literals if at.size else ():
                # The literal around each place its piece is (it holds no NUL, so
                # it cannot reach from one text into the next).
                begin = at - offset
                begin = begin[(begin >= 0) & (begin + len(literal) <= data.size)]
                window = data[begin[:, None] + np.arange(len(literal))]
                begin = begin[(window == np.frombuffer(literal.encode(), np.uint8)).all(axis=1)]
                for owner in np.unique(np.searchsorted(starts, begin, side="right") - 1).tolist():
                    found[owner].add(literal)
    for literal in _SHORT_LITERALS:
        if literal not in joined:
            continue
        begin = joined.find(literal)
        while begin >= 0:
            found[int(np.searchsorted(starts, begin, side="right")) - 1].add(literal)
            begin = joined.find(literal, begin + 1)
    return found
