"""The multilingual benchmark's helpers (benchmarks/multilingual.py), on tiny inline pairs."""

from __future__ import annotations

import numpy as np

from benchmarks import multilingual as ml
from dedupe_news import normalize, terms


def pair(pair_id, text_1, text_2, overall, lang="de"):
    return {
        "pair_id": pair_id,
        "lang_1": lang,
        "lang_2": lang,
        "text_1": text_1,
        "text_2": text_2,
        "overall": overall,
    }


PAIRS = [
    pair("1_2", "Hafen Hamburg Brand Feuerwehr", "Brand im Hamburger Hafen, Feuerwehr", 1.0),
    pair("1_3", "Hafen Hamburg Brand Feuerwehr", "Rentenreform im Bundestag", 4.0),
    pair("2_3", "Brand im Hamburger Hafen, Feuerwehr", "Rentenreform im Bundestag", 2.0),
]


def test_labelled_keeps_clear_pairs_only():
    kept, y = ml.labelled(PAIRS)
    assert [p["pair_id"] for p in kept] == ["1_2", "1_3"]
    assert y.tolist() == [1, 0]


def test_corpus_texts_has_each_article_once():
    assert ml.corpus_texts(PAIRS) == {
        "1": "Hafen Hamburg Brand Feuerwehr",
        "2": "Brand im Hamburger Hafen, Feuerwehr",
        "3": "Rentenreform im Bundestag",
    }


def test_both_scores_rank_the_same_story_first():
    kept, _ = ml.labelled(PAIRS)
    texts = ml.corpus_texts(PAIRS)
    for scores in (ml.dedupe_news_scores(kept, texts), ml.char_ngram_scores(kept, texts)):
        assert scores[0] > scores[1]
        assert np.all((scores >= 0) & (scores <= 1.0 + 1e-9))


def test_old_tokenizer_reference_matches_tokenize_on_english():
    text = "putin's forces, don't stop: 12-year-old"
    assert ml.word_tokens_before_scripts(text) == [
        "putin",
        "forces",
        "dont",
        "stop",
        "12",
        "year",
        "old",
    ]


def test_replace_section_swaps_only_its_own_section(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# R\n\n## A\na\n\n" + ml.HEADING + "\nold\n\n## B\nb\n", encoding="utf-8")
    ml.replace_section(path, ml.HEADING + "\nnew\n")
    assert (
        path.read_text(encoding="utf-8") == "# R\n\n## A\na\n\n" + ml.HEADING + "\nnew\n\n## B\nb\n"
    )
    path.write_text("# R\n", encoding="utf-8")
    ml.replace_section(path, ml.HEADING + "\nnew\n")
    assert path.read_text(encoding="utf-8") == "# R\n\n" + ml.HEADING + "\nnew\n"


def test_stop_word_share_swaps_batch_stop_words_for_the_block_only():
    from dedupe_news import weighting

    df, n = np.array([15, 12, 3]), 20
    assert weighting.stop_terms(df, n).tolist() == [True, True, False]
    with ml.stop_word_share(0.7):
        assert weighting.stop_terms(df, n).tolist() == [True, False, False]
    with ml.stop_word_share(1.0):  # off
        assert not weighting.stop_terms(df, n).any()
    assert weighting.stop_terms(df, n).tolist() == [True, True, False]


def test_share_table_lists_each_share():
    rows = [
        {
            "language": "de",
            "monolingual": True,
            "texts": 3,
            "positives": 1,
            "negatives": 1,
            "dedupe_news_auc": 1.0,
            "char_ngram_auc": 1.0,
            "positives_decided_same": 1,
            "negatives_decided_same": 0,
        }
    ]
    shares = [
        {
            "share": s,
            "mean_auc": 0.9,
            "below_char": ["ar"] if s < 0.5 else [],
            "positives_decided_same": 5,
            "negatives_decided_same": 7,
            "ecbplus_dev_ari": 0.9054,
        }
        for s in (0.3, 0.5)
    ]
    section = ml.render_section(rows, command="c", revision="r", shares=shares)
    assert "| 0.3 | 0.900 | ar | 5 | 7 | 0.9054 |" in section
    assert "| 0.5 | 0.900 | none | 5 | 7 | 0.9054 |" in section
    assert "ecbplus_dev ARI" in section


def test_verdicts_follow_the_decision_of_explain():
    kept, _ = ml.labelled(PAIRS)
    texts = ml.corpus_texts(PAIRS)
    scores, same = ml.dedupe_news_verdicts(kept, texts)
    assert same.tolist() == (scores >= 0.15).tolist() == [True, False]


def test_model_table_lists_the_monolingual_languages_and_their_mean():
    row = {
        "language": "de",
        "monolingual": True,
        "texts": 3,
        "positives": 1,
        "negatives": 1,
        "dedupe_news_auc": 0.8,
        "char_ngram_auc": 0.7,
        "positives_decided_same": 1,
        "negatives_decided_same": 2,
    }
    section = ml.render_section(
        [row],
        command="c",
        revision="r",
        model="default",
        model_rows=[row, {**row, "language": "es", "dedupe_news_auc": 1.0}],
    )
    assert "`--model default`" in section
    assert "| de | 0.800 | 0.700 | 1 | 2 |" in section
    assert "| **mean, monolingual** | **0.900** | **0.700** | 2 | 4 |" in section


def test_without_reference_swaps_the_reference_stop_words_for_the_block_only():
    tokens = normalize.tokenize(
        normalize.normalize_text(
            "El gobernador del Banco de España presentó en Madrid unas previsiones más "
            "optimistas para la economía y los hogares, que según el organismo crecerá "
            "gracias al turismo y al consumo, mientras la inflación se queda en torno al "
            "tres por ciento este año."
        )
    )
    assert "que" not in terms.content_terms(tokens)
    with ml.without_reference_stop_words():
        assert "que" in terms.content_terms(tokens)
    assert "que" not in terms.content_terms(tokens)


def test_reference_table_sets_the_rule_with_and_without_side_by_side():
    def row(language, auc, negatives):
        return {
            "language": language,
            "monolingual": "-" not in language,
            "texts": 3,
            "positives": 1,
            "negatives": 1,
            "dedupe_news_auc": auc,
            "char_ngram_auc": 0.7,
            "positives_decided_same": 1,
            "negatives_decided_same": negatives,
        }

    section = ml.render_section(
        [row("es", 0.9, 1), row("es-it", 0.8, 0)],
        command="c",
        revision="r",
        without_reference=[row("es", 0.8, 2), row("es-it", 0.8, 1)],
    )
    assert "| es | 0.900 | 0.800 | 1 / 1 | 1 / 2 |" in section
    assert "| es-it | 0.800 | 0.800 | 1 / 1 | 0 / 1 |" in section
    assert "| **mean, monolingual** | **0.900** | **0.800** | 1 / 1 | 1 / 2 |" in section
