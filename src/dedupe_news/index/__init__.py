"""A persistent, incremental story index in one SQLite file.

:class:`StoryIndex` assigns each new article to a story already stored, or
starts a new story, with the same normalisation, signals and decision rule as
batch clustering (:class:`~dedupe_news.pipeline.StoryClusterer`):

* Copies: every article's MinHash signature (a BLOB of uint32) and shingle count
  are stored, and its LSH band keys go into an indexed ``bands`` table, so the
  stored articles sharing a band with a new one are found with one lookup.
* Rewrites: every article's sparse sublinear term frequencies are stored (term
  ids and weights as two BLOBs), with a ``postings`` table keyed (term, day,
  article) that also holds each term's normalised TF-IDF weight when the article
  was added (its impact), and global document frequencies in ``terms``. IDF is
  computed when scoring, from the stored document frequencies and article count
  (scikit-learn's smooth IDF, as in batch). Candidates are the articles inside
  the date window that share one of the new article's ``top_terms`` most
  distinctive terms (the ``per_term_limit`` most recent postings of each);
  :meth:`StoryIndex.query` scores only the ``query_candidates`` of them sharing
  the most impact, besides every LSH copy candidate, in a few SQL statements.

Candidates are scored with :class:`~dedupe_news.decision.DecisionRule`, and the
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

The file uses write-ahead logging: readers query while one writer adds, and each
:meth:`StoryIndex.add` call is one transaction, so a crash keeps every batch
committed before it and nothing of the batch in flight.

Modules: :mod:`.storage` (format, settings, schema, errors, stored rows as
arrays), :mod:`.records` (what the index returns), :mod:`.candidates` (preparing
articles, LSH and postings lookups, pair features), :mod:`.recluster`
(re-clustering touched stories after an add), :mod:`.bulk` (bulk add) and
:mod:`.core` (:class:`StoryIndex`: opening, public operations, one-by-one adds;
the other parts are its mixins).
"""

from .core import StoryIndex
from .records import IndexAssignment, IndexedStory, IndexStats, StoryMatch
from .storage import FORMAT_VERSION, IncompatibleIndexError, IndexFileError

__all__ = [
    "FORMAT_VERSION",
    "IncompatibleIndexError",
    "IndexAssignment",
    "IndexFileError",
    "IndexStats",
    "IndexedStory",
    "StoryIndex",
    "StoryMatch",
]
