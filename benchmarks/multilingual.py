"""Same-story ranking in many languages: SemEval-2022 task 8 news-article pairs.

    python -m benchmarks.multilingual [--data FILE] [--english FILE] [--shares S ...]
                                      [--model MODEL] [--without-reference] [--no-save]

For each language pair in ``semeval_multilingual_pairs_dev.jsonl``, a
``StoryClusterer`` is fitted on every text of that language pair (each article
once, by its id), and each annotated pair is scored by
``explain(a, b).story_similarity``. Positives are pairs the annotators rated
``overall <= 1.5`` (same story), negatives ``overall >= 2.5``; pairs in between
are left out. The score is the ROC-AUC of ``story_similarity`` at telling them
apart. The baseline is the cosine of character 2-4-gram TF-IDF vectors
(scikit-learn ``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))``),
fitted on the same texts.

``--english FILE`` (default: ``reuters21578.jsonl`` beside the pairs) times
``tokenize`` on the English texts of that file, normalised once, against the
tokenizer before script-aware tokens (letter and digit runs), alternating the two
over several passes; it reports the median seconds per pass of each and checks
that both give the same tokens.

``--shares 0.3 0.5 0.7`` compares corpus stop-word thresholds side by side: for
each share (a term in more than that share of the articles, and in at least
``stopwords.MIN_DOCUMENTS``, weighs nothing; 1.0 turns them off), the mean
monolingual AUC, the negatives decided same, and the adjusted Rand index of
``StoryClusterer()`` on the English labelled corpora beside the pairs
(``ecbplus_dev.jsonl``, ``gva_dev.jsonl``). The share is swapped in for the run by
patching ``dedupe_news.weighting.stop_terms`` (batch clustering's stop words); the
default is ``stopwords.MAX_DOCUMENT_SHARE``.

``--model default`` scores the pairs a second time with the learned pair model
(``StoryClusterer(model="default")``) and adds its per-language table.

``--without-reference`` scores them once more without the reference stop words
(``stopwords.reference_stop_words``, swapped out for the run by patching
``dedupe_news.terms.reference_stop_words``) and adds a side-by-side table.

Results go to ``benchmarks/results/multilingual.csv`` and their table replaces
the multilingual section of ``benchmarks/RESULTS.md`` (``--no-save``: print only).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import roc_auc_score

from dedupe_news import Article, StoryClusterer, read_articles, score_clustering, stopwords
from dedupe_news import terms as terms_module
from dedupe_news import weighting as weighting_module
from dedupe_news.normalize import strip_boilerplate, tokenize

from . import report

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT.parent / "shared" / "data" / "semeval_multilingual_pairs_dev.jsonl"
RESULTS = REPO_ROOT / "benchmarks" / "results" / "multilingual.csv"
RESULTS_MD = REPO_ROOT / "benchmarks" / "RESULTS.md"
HEADING = "## Multilingual same-story ranking (SemEval-2022 task 8)"
POSITIVE_AT_MOST = 1.5
NEGATIVE_AT_LEAST = 2.5
ENGLISH_CORPORA = ("ecbplus_dev", "gva_dev")


def read_pairs(path: Path) -> list[dict]:
    """The annotated pairs, one dict per JSONL line."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def pair_ids(pair: dict) -> tuple[str, str]:
    """The two article ids of a pair (``pair_id`` is ``"<id1>_<id2>"``)."""
    first, second = pair["pair_id"].split("_", 1)
    return first, second


def labelled(pairs: Sequence[dict]) -> tuple[list[dict], np.ndarray]:
    """Pairs that are clear positives or negatives, and their labels (1: same story)."""
    kept = [
        p for p in pairs if p["overall"] <= POSITIVE_AT_MOST or p["overall"] >= NEGATIVE_AT_LEAST
    ]
    return kept, np.array([p["overall"] <= POSITIVE_AT_MOST for p in kept], dtype=int)


def corpus_texts(pairs: Sequence[dict]) -> dict[str, str]:
    """Every article of ``pairs`` once: id -> text."""
    texts: dict[str, str] = {}
    for pair in pairs:
        for article_id, key in zip(pair_ids(pair), ("text_1", "text_2"), strict=True):
            texts.setdefault(article_id, pair[key])
    return texts


def dedupe_news_verdicts(
    pairs: Sequence[dict], texts: dict[str, str], model: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``story_similarity`` and the same-story verdict of each pair, a
    ``StoryClusterer(model=model)`` fitted on ``texts``."""
    clusterer = StoryClusterer(model=model).fit([Article(k, v) for k, v in texts.items()])
    scores = [clusterer.explain(*pair_ids(p)) for p in pairs]
    return (
        np.array([s.story_similarity for s in scores]),
        np.array([s.same_story for s in scores], dtype=bool),
    )


def dedupe_news_scores(pairs: Sequence[dict], texts: dict[str, str]) -> np.ndarray:
    """``story_similarity`` of each pair, the clusterer fitted on ``texts``."""
    return dedupe_news_verdicts(pairs, texts)[0]


def char_ngram_scores(pairs: Sequence[dict], texts: dict[str, str]) -> np.ndarray:
    """Cosine of character 2-4-gram TF-IDF vectors fitted on ``texts``."""
    ids = list(texts)
    row = {k: r for r, k in enumerate(ids)}
    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit_transform(
        [texts[k] for k in ids]
    )
    a = matrix[[row[pair_ids(p)[0]] for p in pairs]]
    b = matrix[[row[pair_ids(p)[1]] for p in pairs]]
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


def language_rows(all_pairs: Sequence[dict], model: str | None = None) -> list[dict]:
    """One row per language pair: sizes, both AUCs and the seconds dedupe_news took
    (``StoryClusterer(model=model)``)."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for pair in all_pairs:
        groups.setdefault((pair["lang_1"], pair["lang_2"]), []).append(pair)
    rows = []
    for (lang_1, lang_2), pairs in sorted(groups.items()):
        kept, y = labelled(pairs)
        if y.min(initial=1) == y.max(initial=0):  # AUC needs both classes
            continue
        texts = corpus_texts(pairs)
        clock = time.perf_counter()
        ours, same = dedupe_news_verdicts(kept, texts, model)
        seconds = time.perf_counter() - clock
        char = char_ngram_scores(kept, texts)
        rows.append(
            {
                "language": lang_1 if lang_1 == lang_2 else f"{lang_1}-{lang_2}",
                "monolingual": lang_1 == lang_2,
                "texts": len(texts),
                "positives": int(y.sum()),
                "negatives": int(y.size - y.sum()),
                "dedupe_news_auc": round(float(roc_auc_score(y, ours)), 3),
                "char_ngram_auc": round(float(roc_auc_score(y, char)), 3),
                "positives_decided_same": int((same & (y == 1)).sum()),
                "negatives_decided_same": int((same & (y == 0)).sum()),
                "dedupe_news_seconds": round(seconds, 2),
            }
        )
    return rows


@contextlib.contextmanager
def stop_word_share(share: float):
    """Batch clustering's stop words at ``share`` instead of the default, for the block
    (``StoryClusterer`` weighs with ``weighting.corpus_tfidf_rows``, which calls
    ``weighting.stop_terms``)."""
    original = weighting_module.stop_terms

    def stop_terms_at_share(document_frequency, n_documents):
        return stopwords.frequent_terms_mask(document_frequency, n_documents, max_share=share)

    weighting_module.stop_terms = stop_terms_at_share
    try:
        yield
    finally:
        weighting_module.stop_terms = original


@contextlib.contextmanager
def without_reference_stop_words():
    """No reference stop words for the block (``terms.content_terms`` reads
    ``terms.reference_stop_words``; preparation runs in this process, or in
    workers forked from it)."""
    original = terms_module.reference_stop_words
    terms_module.reference_stop_words = frozenset
    try:
        yield
    finally:
        terms_module.reference_stop_words = original


def reference_rows(all_pairs: Sequence[dict]) -> list[dict]:
    """:func:`language_rows` without the reference stop words."""
    with without_reference_stop_words():
        return language_rows(all_pairs)


def share_rows(all_pairs: Sequence[dict], shares: Sequence[float], data_dir: Path) -> list[dict]:
    """One row per stop-word share: mean monolingual AUC, decisions, English ARI."""
    english = {
        name: read_articles(data_dir / f"{name}.jsonl")
        for name in ENGLISH_CORPORA
        if (data_dir / f"{name}.jsonl").exists()
    }
    rows = []
    for share in shares:
        with stop_word_share(share):
            mono = [r for r in language_rows(all_pairs) if r["monolingual"]]
            row = {
                "share": share,
                "mean_auc": round(statistics.mean(r["dedupe_news_auc"] for r in mono), 3),
                "below_char": [
                    r["language"] for r in mono if r["dedupe_news_auc"] < r["char_ngram_auc"]
                ],
                "positives_decided_same": sum(r["positives_decided_same"] for r in mono),
                "negatives_decided_same": sum(r["negatives_decided_same"] for r in mono),
            }
            for name, articles in english.items():
                labels = StoryClusterer().fit_predict(articles)
                gold = [a.story if a.story is not None else f"~{a.id}" for a in articles]
                row[f"{name}_ari"] = round(score_clustering(gold, labels).adjusted_rand_index, 4)
        rows.append(row)
    return rows


def word_tokens_before_scripts(normalized: str) -> list[str]:
    """The tokenizer before script-aware tokens (commit b35863a): letter and digit
    runs, possessive 's and inner apostrophes removed."""
    text = normalized
    if "'" in text:
        text = re.sub(r"(?<=\w)'(?=\w)", "", re.sub(r"\s?'s\b", "", text))
    return re.findall(r"[^\W_]+", text)


def english_speed(path: Path, passes: int = 9) -> dict:
    """Median seconds per pass of ``tokenize`` and of the tokenizer before scripts
    over the normalised texts of ``path``, alternating which goes first."""
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    texts = [strip_boilerplate(f"{r.get('title') or ''}\n{r.get('text') or ''}") for r in rows]
    if [tokenize(t) for t in texts] != [word_tokens_before_scripts(t) for t in texts]:
        raise SystemExit(f"{path}: tokenize differs from the tokenizer before scripts")
    load_before = os.getloadavg()[0]
    timings: dict[str, list[float]] = {"before": [], "now": []}
    functions = {"before": word_tokens_before_scripts, "now": tokenize}
    for k in range(passes):
        for name in ("before", "now") if k % 2 else ("now", "before"):
            clock = time.perf_counter()
            for text in texts:
                functions[name](text)
            timings[name].append(time.perf_counter() - clock)
    before, now = (statistics.median(timings[name]) for name in ("before", "now"))
    return {
        "file": path.name,
        "texts": len(texts),
        "passes": passes,
        "before_s": before,
        "now_s": now,
        "load": f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
    }


def monolingual_means(mono: Sequence[dict]) -> tuple[float, float, list[int]]:
    """Mean AUCs (ours, char baseline) of monolingual rows, and the summed counts of
    positives and negatives decided same."""
    ours = statistics.mean(r["dedupe_news_auc"] for r in mono)
    char = statistics.mean(r["char_ngram_auc"] for r in mono)
    decided = [
        sum(r[key] for r in mono) for key in ("positives_decided_same", "negatives_decided_same")
    ]
    return ours, char, decided


def render_section(
    rows: Sequence[dict],
    *,
    command: str,
    revision: str,
    speed: dict | None = None,
    shares: Sequence[dict] = (),
    model: str | None = None,
    model_rows: Sequence[dict] = (),
    without_reference: Sequence[dict] = (),
) -> str:
    """The RESULTS.md section for ``rows``."""
    machine = report.machine_info()
    mono = [r for r in rows if r["monolingual"]]
    out = [
        HEADING,
        "",
        "`benchmarks/multilingual.py` on `semeval_multilingual_pairs_dev.jsonl` (538 real",
        "news-article pairs). Per language pair, a `StoryClusterer()` with default settings is",
        "fitted on all its texts and each pair is scored by `explain(a, b).story_similarity`;",
        f"positives: annotators' `overall <= {POSITIVE_AT_MOST}`, negatives: "
        f"`overall >= {NEGATIVE_AT_LEAST}`.",
        'Baseline: cosine of scikit-learn `TfidfVectorizer(analyzer="char_wb",',
        "ngram_range=(2, 4))` fitted on the same texts. Few positives per language (French has",
        "one), so a single pair moves an AUC by several points. 'Decided same': pairs that",
        "`explain(a, b).same_story` calls the same story (`story_similarity` at or above the",
        "default `rewrite_threshold`, 0.15), the verdict a clustering run acts on.",
        "",
        f"- command: `{command}`",
        f"- date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} (local time)",
        f"- commit: {revision}",
        f"- machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory']} memory; "
        f"Python {machine['python']}",
        "",
        "| language | texts | positives | negatives | dedupe_news AUC | char 2-4-gram AUC "
        "| positives decided same | negatives decided same |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in mono + [r for r in rows if not r["monolingual"]]:
        out.append(
            f"| {r['language']} | {r['texts']} | {r['positives']} | {r['negatives']} "
            f"| {r['dedupe_news_auc']:.3f} | {r['char_ngram_auc']:.3f} "
            f"| {r['positives_decided_same']} | {r['negatives_decided_same']} |"
        )
    if mono:
        ours, char, decided = monolingual_means(mono)
        totals = [sum(r[key] for r in mono) for key in ("positives", "negatives")]
        out.append(
            f"| **mean, monolingual** | | {totals[0]} | {totals[1]} | **{ours:.3f}** "
            f"| **{char:.3f}** | {decided[0]} | {decided[1]} |"
        )
    out += [
        "",
        "Cross-language rows (two language codes) are for information: words of different",
        "languages rarely match, and articles outside English are compared on word stems",
        "(`normalize.word_stem`) while English keeps whole words.",
    ]
    if model_rows:
        out += [
            "",
            f"With the learned pair model (`--model {model}`: `StoryClusterer(model={model!r})`, "
            "whose",
            "`story_similarity` is its same-story probability; 'decided same': its verdict):",
            "",
            "| language | dedupe_news AUC | char 2-4-gram AUC | positives decided same "
            "| negatives decided same |",
            "|---|---|---|---|---|",
        ]
        mono_model = [r for r in model_rows if r["monolingual"]]
        for r in mono_model:
            out.append(
                f"| {r['language']} | {r['dedupe_news_auc']:.3f} | {r['char_ngram_auc']:.3f} "
                f"| {r['positives_decided_same']} | {r['negatives_decided_same']} |"
            )
        if mono_model:
            ours, char, decided = monolingual_means(mono_model)
            out.append(
                f"| **mean, monolingual** | **{ours:.3f}** | **{char:.3f}** "
                f"| {decided[0]} | {decided[1]} |"
            )
    if without_reference:
        out += render_reference(rows, without_reference)
    if shares:
        english = [k for k in shares[0] if k.endswith("_ari")]
        out += [
            "",
            "Corpus stop words side by side (`--shares`): a term in more than the share of the",
            f"articles (and in at least {stopwords.MIN_DOCUMENTS}) weighs nothing; 1.0 turns them "
            f"off. Default: {stopwords.MAX_DOCUMENT_SHARE}. English: adjusted",
            "Rand index of `StoryClusterer()` on each labelled corpus.",
            "",
            "| share | mean monolingual AUC | below char baseline | positives decided same "
            "| negatives decided same | " + " | ".join(f"{k[:-4]} ARI" for k in english) + " |",
            "|---|---|---|---|---|" + "---|" * len(english),
        ]
        for r in shares:
            out.append(
                f"| {r['share']} | {r['mean_auc']:.3f} | {', '.join(r['below_char']) or 'none'} "
                f"| {r['positives_decided_same']} | {r['negatives_decided_same']} | "
                + " | ".join(f"{r[k]:.4f}" for k in english)
                + " |"
            )
    if speed:
        change = 100.0 * (speed["now_s"] / speed["before_s"] - 1.0)
        out += [
            "",
            f"English tokens: `tokenize` on {speed['texts']:,} normalised texts of "
            f"`{speed['file']}` gives the same tokens as the tokenizer before script-aware "
            f"tokens; median of {speed['passes']} alternating passes: "
            f"{speed['now_s']:.3f} s now, {speed['before_s']:.3f} s before ({change:+.1f}%; "
            f"1-minute load average {speed['load']} at start / end, on 2 cores).",
        ]
    return "\n".join(out) + "\n"


def render_reference(rows: Sequence[dict], without: Sequence[dict]) -> list[str]:
    """Lines of the side-by-side table: the rule with and without the reference stop words."""
    before = {r["language"]: r for r in without}
    out = [
        "",
        "Reference stop words side by side (`--without-reference`): the rule with the table",
        "(`stopwords.reference_stop_words`, the default) and without it.",
        "",
        "| language | AUC with | AUC without | positives decided same with / without "
        "| negatives decided same with / without |",
        "|---|---|---|---|---|",
    ]
    for r in [r for r in rows if r["monolingual"]] + [r for r in rows if not r["monolingual"]]:
        b = before[r["language"]]
        out.append(
            f"| {r['language']} | {r['dedupe_news_auc']:.3f} | {b['dedupe_news_auc']:.3f} "
            f"| {r['positives_decided_same']} / {b['positives_decided_same']} "
            f"| {r['negatives_decided_same']} / {b['negatives_decided_same']} |"
        )
    mono = [r for r in rows if r["monolingual"]]
    mono_before = [before[r["language"]] for r in mono]
    if mono:
        (ours, _, decided), (old, _, decided_old) = (
            monolingual_means(mono),
            monolingual_means(mono_before),
        )
        out.append(
            f"| **mean, monolingual** | **{ours:.3f}** | **{old:.3f}** "
            f"| {decided[0]} / {decided_old[0]} | {decided[1]} / {decided_old[1]} |"
        )
    return out


def replace_section(results_md: Path, section: str) -> None:
    """Put ``section`` in place of the multilingual section of RESULTS.md (appended if absent)."""
    text = results_md.read_text(encoding="utf-8") if results_md.exists() else ""
    old = report.section(text, HEADING)
    if old:
        text = text.replace(old, section)
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    results_md.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.multilingual", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA, help="the SemEval pairs JSONL file")
    parser.add_argument(
        "--english", type=Path, default=None, help="English JSONL to time tokenize on"
    )
    parser.add_argument(
        "--shares", type=float, nargs="+", default=(), help="stop-word shares to compare"
    )
    parser.add_argument(
        "--model", default=None, help="also score with StoryClusterer(model=MODEL), e.g. default"
    )
    parser.add_argument(
        "--without-reference",
        action="store_true",
        help="also score without the reference stop words, side by side",
    )
    parser.add_argument("--no-save", action="store_true", help="print the table, write nothing")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"{args.data}: not found; pass --data FILE", file=sys.stderr)
        return 2
    revision = report.git_revision(REPO_ROOT)
    pairs = read_pairs(args.data)
    rows = language_rows(pairs)
    model_rows = language_rows(pairs, args.model) if args.model else []
    without = reference_rows(pairs) if args.without_reference else []
    shares = share_rows(pairs, args.shares, args.data.parent) if args.shares else []
    english = args.english or args.data.parent / "reuters21578.jsonl"
    speed = english_speed(english) if english.exists() else None
    command = "python -m benchmarks.multilingual" + (" " + " ".join(argv) if argv else "")
    section = render_section(
        rows,
        command=command,
        revision=revision,
        speed=speed,
        shares=shares,
        model=args.model,
        model_rows=model_rows,
        without_reference=without,
    )
    print(section)
    if not args.no_save:
        report.write_csv(rows, RESULTS)
        replace_section(RESULTS_MD, section)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
