"""A persistent, incremental story index in one SQLite file.

:class:`StoryIndex` assigns each new article to a story already stored, or
starts a new story, with the same normalisation, signals and decision rule as
batch clustering (:class:`~dedupe_news.pipeline.StoryClusterer`):

* Copies: every article's MinHash signature (a BLOB of uint32) and shingle count
  are stored, and its LSH band keys go into an indexed ``bands`` table, so the
  stored articles sharing a band with a new one are found with one lookup.
* Rewrites: every article's sparse term counts are stored (term ids and counts
  as two BLOBs; terms are the hashed columns of batch clustering,
  :func:`~dedupe_news.prepare.term_counts`), with a ``postings`` table keyed (term, day,
  article) that also holds each term's normalised TF-IDF weight when the article
  was added (its impact), and global document frequencies in ``terms``. IDF is
  computed when scoring, from the stored document frequencies and article count,
  by :mod:`~dedupe_news.weighting` as in batch. Candidates are the articles inside
  the date window that share one of the new article's ``top_terms`` most
  distinctive terms (the ``per_term_limit`` most recent postings of each);
  :meth:`StoryIndex.query` scores only the ``query_candidates`` of them sharing
  the most impact, besides every LSH copy candidate, in a few SQL statements.
* Stop words: until the index holds
  :data:`~dedupe_news.stopwords.STABLE_AFTER_DOCUMENTS` (1,000) articles, its corpus
  stop words are the ones batch clustering would take from the same document
  frequencies (:func:`~dedupe_news.weighting.stop_terms`); the write transaction
  that reaches 1,000 stores that set in the ``stop_terms`` table (and the article
  count in the ``stop_terms_fixed_at`` meta key), and from then on the set is
  fixed, whatever is added or evicted: stored and new articles are weighed
  without the same terms. A stop word's posting is kept, with impact 1.

Candidates are scored by the feature layer batch clustering uses
(:func:`~dedupe_news.pair_features.pair_features` on rows read from the file, then
:class:`~dedupe_news.decision.DecisionRule`: the same numbers as batch for the same
rows and document frequencies, ``tests/test_index_parity.py``), and the
same-story edges batch clustering would find for the new article are stored in
an ``edges`` table: its LSH copy candidates with ``story_similarity`` at or above
``rewrite_threshold``, and its ``max_neighbors`` nearest TF-IDF neighbours in the
date window with a cosine at or above it.

Assignment then follows batch semantics instead of a greedy choice: the stories
its edges touch, grown breadth first along stored edges towards their connected
component (whole stories, at most ``max_recluster`` members, only those dated
within two date windows of the article), are clustered again with the article
by :func:`~dedupe_news.clustering.cluster_pairs`, on edges and a full
``story_similarity`` matrix recomputed with the current IDF: weighted linkage
with the soft veto, cut at the threshold. Later articles can so merge stories,
or split one. Each old story id goes to the new group holding most of its
members (the older story on ties); groups left without one get a new id from a
counter, so ids are never reused. Because batch IDF counts every article, a
component clustered when the index held N articles is clustered again (one per
added article) once it holds 1.5 N.

``add(articles, bulk=True)`` instead clusters a large call as one batch, with
the stored articles dated within two windows of it, by the steps of
:meth:`StoryClusterer.fit <dedupe_news.pipeline.StoryClusterer.fit>` (IDF over
the whole index), and writes it with sorted ``executemany`` inserts: the way to
build an index, or to add a day's news.

A learned model: ``StoryIndex(path, model="default")`` (or a model file, or a
:class:`~dedupe_news.pair_model.PairModel`) stores the model in the file and decides
as ``StoryClusterer(model=...)`` does. The model reads each pair's neighbours in
the candidate graph (``neighbour_cosine``), which only a batch sees, so such an
index clusters *every* call as a bulk add, with the evidence of the stored
articles near it in date (lead term counts, entity, quote and ticker keys, token
counts: the ``evidence`` table); its lead and entity IDF are fitted over those
articles. Add news in batches (an hour's or a day's). A whole corpus added in one
call gets batch's stories and scores (``tests/test_index_model.py``);
:meth:`StoryIndex.explain` scores a pair over the stored articles near both, and
:meth:`StoryIndex.query`, which ranks by the rule's scores, is refused.

What changed: :meth:`StoryIndex.add` returns an :class:`IndexChanges`, a frozen
record of the call: ``assignments`` (one :class:`IndexAssignment` per article of
the call, with its final story; the result is also a sequence of them),
``moved`` (one :class:`MovedArticle` per article stored before the call whose
story changed: old and new story id), ``merged`` (:class:`MergedStories`: a story
now holding members of several stories of before) and ``split``
(:class:`SplitStory`: a story of before whose members are now in several).
Applying ``assignments`` and ``moved`` (:meth:`IndexChanges.apply`) to a mapping
of article id to story id keeps it equal to :meth:`StoryIndex.stories`. Every
write transaction has a number, ``generation``; :meth:`StoryIndex.assignments`
``(since=g)`` lists the current story of each article added or moved after
generation ``g``, so a consumer killed mid-stream can catch up.

The file uses write-ahead logging: readers query while one writer adds, and each
:meth:`StoryIndex.add` call is one transaction, so a crash keeps every batch
committed before it and nothing of the batch in flight. ``StoryIndex(path,
readonly=True)`` opens an existing file for reading only: it never waits for a
writer, and never creates a file. A writer waits ``timeout`` seconds for another
writer's lock, then raises :class:`IndexBusyError` (an :class:`IndexFileError`,
never reported as corruption).

Modules, one part each, each owning its state:

* :mod:`.files`: the file format, schema, opening (read-only or not), errors;
* :mod:`.settings`: the settings, their validation and their JSON form;
* :mod:`.storage`: :class:`~.storage.Store`, the connection, transactions,
  vocabulary and article rows;
* :mod:`.rows`: stored articles as arrays, and the vocabulary (document frequencies);
* :mod:`.candidates`: :class:`~.candidates.CandidateFinder`, the LSH bands and
  postings of each article, and the candidates they find;
* :mod:`.pairs`: stored rows fed to the feature layer (preparation, weighting,
  pair features, the decision);
* :mod:`.query`: :class:`~.query.StoryRanker`, the stories an article would join;
* :mod:`.incremental`: :class:`~.incremental.IncrementalAdder`, one-by-one adds;
* :mod:`.recluster`: :class:`~.recluster.Reclusterer`, re-clustering touched
  stories, and story ids handed on to new groups;
* :mod:`.bulk_prepare` and :mod:`.bulk`: :class:`~.bulk.BulkLoader`, bulk adds;
* :mod:`.span`: the stored articles clustered with a bulk add, and a learned
  model's scorer over them; :mod:`.evidence_rows`: the model's stored inputs;
* :mod:`.records` and :mod:`.changes`: what the index returns;
* :mod:`.core`: :class:`StoryIndex`, the facade over these parts.
"""

from .changes import IndexChanges, MergedStories, MovedArticle, SplitStory
from .core import StoryIndex
from .files import FORMAT_VERSION, IncompatibleIndexError, IndexBusyError, IndexFileError
from .records import IndexAssignment, IndexedStory, IndexStats, StoredAssignment, StoryMatch

__all__ = [
    "FORMAT_VERSION",
    "IncompatibleIndexError",
    "IndexAssignment",
    "IndexBusyError",
    "IndexChanges",
    "IndexFileError",
    "IndexStats",
    "IndexedStory",
    "MergedStories",
    "MovedArticle",
    "SplitStory",
    "StoredAssignment",
    "StoryIndex",
    "StoryMatch",
]
