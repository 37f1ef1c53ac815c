"""dedupe_news: find the same news story told several times.

Copies, abridgements and rewrites are clustered into stories with two signals:
MinHash LSH over word shingles for copies, TF-IDF cosine within a date window
for rewrites, and weighted linkage to stop chaining.
"""

from .articles import Article, ReadStats, parse_date
from .calibrate import Calibration, calibrate_model
from .decision import DecisionRule, ModelRule, PairScores, PairTable
from .errors import (
    DedupeNewsError,
    EmptyCorpusError,
    InputError,
    MissingDependencyError,
    NotFittedError,
    ParameterError,
    UnknownArticleError,
)
from .evaluation import ClusteringScores, score_clustering
from .index import (
    IncompatibleIndexError,
    IndexAssignment,
    IndexBusyError,
    IndexChanges,
    IndexedStory,
    IndexFileError,
    IndexStats,
    StoryIndex,
    StoryMatch,
)
from .minhash import MinHasher, Signatures, shingle_hash
from .output import Assignment, assignments, write_results
from .output_file import OutputFileError
from .pair_evidence import PairEvidence
from .pair_features import ArticleRows, PairFeatures, pair_features
from .pair_model import ModelFileError, PairModel, default_model
from .pipeline import StoryClusterer, cluster_articles, compare_articles
from .readers import iter_articles, read_articles
from .record_fields import FieldMap
from .settings import Settings
from .stories import Story
from .tables import articles_from_records
from .timestamps import parse_datetime

__version__ = "0.1.0"

__all__ = [
    "Article",
    "ArticleRows",
    "Assignment",
    "Calibration",
    "ClusteringScores",
    "DecisionRule",
    "DedupeNewsError",
    "EmptyCorpusError",
    "FieldMap",
    "IncompatibleIndexError",
    "IndexAssignment",
    "IndexBusyError",
    "IndexChanges",
    "IndexFileError",
    "IndexStats",
    "IndexedStory",
    "InputError",
    "MinHasher",
    "MissingDependencyError",
    "ModelFileError",
    "ModelRule",
    "NotFittedError",
    "OutputFileError",
    "PairEvidence",
    "PairFeatures",
    "PairModel",
    "PairScores",
    "PairTable",
    "ParameterError",
    "ReadStats",
    "Settings",
    "Signatures",
    "Story",
    "StoryClusterer",
    "StoryIndex",
    "StoryMatch",
    "UnknownArticleError",
    "__version__",
    "articles_from_records",
    "assignments",
    "calibrate_model",
    "cluster_articles",
    "compare_articles",
    "default_model",
    "iter_articles",
    "pair_features",
    "parse_date",
    "parse_datetime",
    "read_articles",
    "score_clustering",
    "shingle_hash",
    "write_results",
]
