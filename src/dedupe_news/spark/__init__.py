"""Story clustering on Apache Spark, with the single-machine pipeline's own functions.

Use it when the articles already live in Spark, or do not fit one machine. On one
machine :class:`~dedupe_news.StoryClusterer` is faster: Spark adds start-up,
serialisation and shuffles (see ``benchmarks/RESULTS.md``).

The job (:func:`cluster_dataframe`, in :mod:`.job`) runs the pure functions of the
local path on pieces of the corpus, so the edges, and so the stories, are the same
as ``StoryClusterer``'s. Its stages, by the names ``progress`` reports and Spark's
job groups carry (``dedupe-news: <stage>``), each in its own module:

1. **prepare** (:mod:`.prepare`; ``mapInArrow``, per partition):
   :func:`~dedupe_news.prepare.prepare_texts` normalises, tokenises, MinHash-signs
   and counts the terms of each article; rows are numbered in the DataFrame's order.
2. **idf** (:mod:`.idf`): document frequencies by a Spark aggregation over every
   partition, collected and broadcast; every row is then weighted with the
   *global* IDF by :func:`~dedupe_news.weighting.smooth_idf` and
   :func:`~dedupe_news.weighting.tfidf_rows`, as the batch path weighs it.
3. **copies** (:mod:`.copies`): the LSH band keys of
   :func:`~dedupe_news.lsh.lsh_band_keys`, grouped by key; buckets pair
   each member with its next 64, as the local search does.
4. **rewrites** (:mod:`.rewrites`, :mod:`.blocks`): rows are grouped into date
   blocks, each block also receiving the rows within ``window_days`` of its edges
   (and every undated row), so the local window search
   (:func:`~dedupe_news.neighbors.search_block`) runs on the block's own rows with
   the full window in reach; the pairs found are scored in the block.
5. **scoring** (:mod:`.scores`): copy pairs are scored after a join with their two
   rows. Every pair gets :func:`~dedupe_news.pair_features.pair_features` and
   :meth:`~dedupe_news.decision.PairTable.decide`; the pairs decided the same
   story are the edges.
6. **components** (:mod:`.components`): connected components of the edges, on
   the driver when there are at most ``max_driver_edges`` edges, else by
   min-label propagation in DataFrames.
7. **linkage** (:mod:`.linkage`): each component with more than two articles goes
   through :func:`~dedupe_news.clustering.cluster_pairs` (weighted linkage with the
   soft veto, over :func:`~dedupe_news.clustering.component_similarity`) on its
   own rows, in a ``cogroup``.
8. **labels** (:mod:`.labels`, :mod:`.matches`): stories are numbered by first
   appearance in the DataFrame's order, as ``StoryClusterer.labels_`` are in input
   order, with their sizes and sources (the earliest published member), and each
   member is scored against its source (``match``, ``source_similarity``).

:func:`pair_scores_dataframe` stops after stage 5 and returns every scored pair
with its features and the decision: what the clustering starts from.

With a learned model (``model="default"``, a model file or a
:class:`~dedupe_news.pair_model.PairModel`, as ``StoryClusterer(model=...)``
takes it), the same stages run the model's path of the shared layer
(:class:`~dedupe_news.scoring.ModelScorer` gives the same numbers over the whole
corpus):

* **prepare** also runs :func:`~dedupe_news.model_features.prepare_evidence`: the
  lead's term counts, the entity, quote and ticker keys, the token count;
* **idf** also counts the leads' terms and the entities over every partition: leads
  are weighted with the IDF of every lead, and the entity frequencies are broadcast
  (:class:`~dedupe_news.evidence_table.EntityFrequencies`), so each task's
  :class:`~dedupe_news.evidence_table.EvidenceTable` weighs entities as the whole
  corpus does;
* **rewrites** searches each date block's bodies *and* leads, at the model's floor
  and neighbour count;
* **scoring** (:mod:`.graph`, :mod:`.model_scores`) builds the candidate graph's
  rows from the candidate pairs within the window (a ``groupBy`` per article,
  normalised on a worker), joins each pair with both articles' *model rows*
  (weighted body and lead, keys, graph row) and scores it with
  :func:`~dedupe_news.model_features.model_pair_features` and the model: every
  ``story_similarity`` is the model's probability, and edges are the pairs at its
  threshold;
* **linkage** scores every pair of a component from its members' model rows, as
  :meth:`~dedupe_news.scoring.ModelScorer.matrix` does, with the model's threshold
  and veto; **labels** score each member against its source the same way.

Labels, ``match``, ``source_similarity`` and every pair's probability and model
features equal ``StoryClusterer(model=...)``'s on the same input order
(``tests/test_spark_model.py``).

Limits: a date block holds at least one whole day, so one very busy day is one
task; undated articles are compared with every article, as locally, so with any
undated article one task (the undated block) holds every row: at scale, give
dates. Label identity with the local path holds for the same input order, so a
DataFrame read from one file (or ``articles_dataframe``) matches ``StoryClusterer``
on the same file. With a model, the lead vocabulary and every distinct entity key
with its frequency are broadcast (16 bytes an entity), as the body vocabulary is.
"""

from .blocks import date_blocks
from .copies import MAX_BUCKET, bucket_pairs
from .fit import SparkClustering, articles_dataframe, fit_articles
from .job import cluster_dataframe
from .pairs import pair_scores_dataframe
from .session import spark_session
from .stages import STAGES

__all__ = [
    "MAX_BUCKET",
    "STAGES",
    "SparkClustering",
    "articles_dataframe",
    "bucket_pairs",
    "cluster_dataframe",
    "date_blocks",
    "fit_articles",
    "pair_scores_dataframe",
    "spark_session",
]
