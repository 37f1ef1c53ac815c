"""Build the reference stop words shipped in ``models/reference_stop_words.json``.

    python -m benchmarks.stop_word_table [--data DIR] [--check]

The corpus stop-word rule (:func:`dedupe_news.stopwords.frequent_terms_mask`: a
term in more than half of the articles, and in at least 10 of them) applied to a
reference corpus per language instead of the corpus being clustered, so that a
corpus too small to learn its function words (three Spanish articles) still has
them. The reference texts are news: the SemEval-2022 task 8 dev texts, grouped by
their ``lang_1``/``lang_2`` field (each article once), and the English labelled
corpora (``ecbplus_dev``, ``gva_dev``, ``bbc2225``, ``reuters21578``).

Terms are what the weighting step counts (:func:`dedupe_news.prepare.article_terms`
without the reference table: stems of five characters outside English). A language
with several sources keeps a term only if it is frequent in *every* source: within
one corpus of shootings, "police" and "shot" are in most articles, yet they are the
story. English keeps nothing that way (each English source's frequent terms are its
topic: "shooting" in GVA, "reuter" in Reuters), so English text keeps the English
list alone, and the table applies to articles that do not read as English
(:func:`dedupe_news.terms.reads_as_english`).

``--check`` rebuilds the table and fails if it differs from the shipped file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from dedupe_news import read_articles, stopwords
from dedupe_news.normalize import article_tokens
from dedupe_news.terms import content_terms

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT.parent / "shared" / "data"
TABLE = REPO_ROOT / "src" / "dedupe_news" / stopwords.REFERENCE_TABLE
SEMEVAL = "semeval_multilingual_pairs_dev"
ENGLISH = ("bbc2225", "ecbplus_dev", "gva_dev", "reuters21578")
COMMAND = "python -m benchmarks.stop_word_table"


def semeval_texts(path: Path) -> dict[str, dict[str, str]]:
    """language -> {article id: text} of the SemEval pairs (each article once)."""
    texts: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8") as handle:
        for pair in map(json.loads, filter(str.strip, handle)):
            first, second = pair["pair_id"].split("_", 1)
            texts.setdefault(pair["lang_1"], {}).setdefault(first, pair["text_1"])
            texts.setdefault(pair["lang_2"], {}).setdefault(second, pair["text_2"])
    return texts


def term_shares(texts: Iterable[str]) -> tuple[int, dict[str, int]]:
    """Number of articles with text, and each term's document frequency among them
    (terms as weighted, before the reference table)."""
    frequency: Counter[str] = Counter()
    n = 0
    for text in texts:
        tokens = article_tokens(text)
        if tokens:
            n += 1
            frequency.update(set(content_terms(tokens, reference=False) or tokens))
    return n, dict(frequency)


def frequent_terms(n: int, frequency: dict[str, int]) -> dict[str, float]:
    """The terms :func:`~dedupe_news.stopwords.frequent_terms_mask` keeps, with their share."""
    terms = sorted(frequency)
    mask = stopwords.frequent_terms_mask(np.array([frequency[t] for t in terms]), n)
    return {t: round(frequency[t] / n, 3) for t, keep in zip(terms, mask, strict=True) if keep}


def build(data: Path) -> dict:
    """The table: per language, its sources, article counts and frequent terms."""
    sources: dict[str, dict[str, Sequence[str]]] = {}
    for language, texts in semeval_texts(data / f"{SEMEVAL}.jsonl").items():
        sources.setdefault(language, {})[SEMEVAL] = list(texts.values())
    for name in ENGLISH:
        path = data / f"{name}.jsonl"
        if path.exists():
            sources.setdefault("en", {})[name] = [a.full_text for a in read_articles(path)]
    languages = {}
    for language in sorted(sources):
        per_source = {}
        for name, texts in sorted(sources[language].items()):
            n, frequency = term_shares(texts)
            per_source[name] = (n, frequent_terms(n, frequency))
        common = set.intersection(*(set(terms) for _, terms in per_source.values()))
        languages[language] = {
            "articles": {name: n for name, (n, _) in per_source.items()},
            # The smallest share over the sources.
            "terms": {t: min(terms[t] for _, terms in per_source.values()) for t in sorted(common)},
        }
    return {
        "description": (
            "Reference stop words: per language, the terms (as weighted: five-character "
            "stems outside English) in more than max_share of the articles of every source "
            "and in at least min_documents of them. Applied to articles that do not read "
            "as English."
        ),
        "command": COMMAND,
        "max_share": stopwords.MAX_DOCUMENT_SHARE,
        "min_documents": stopwords.MIN_DOCUMENTS,
        "languages": languages,
    }


def dump(table: dict) -> str:
    return json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the JSONL corpora")
    parser.add_argument("--check", action="store_true", help="compare with the shipped table")
    args = parser.parse_args(argv)
    if not (args.data / f"{SEMEVAL}.jsonl").exists():
        print(f"{args.data / SEMEVAL}.jsonl: not found; pass --data DIR", file=sys.stderr)
        return 2
    text = dump(build(args.data))
    for language, entry in json.loads(text)["languages"].items():
        print(
            f"{language}: {entry['articles']}, {len(entry['terms'])} terms: "
            + " ".join(entry["terms"])
        )
    if args.check:
        if TABLE.read_text(encoding="utf-8") != text:
            print(f"{TABLE}: differs from a rebuild", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
