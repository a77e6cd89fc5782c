"""The Milvus store: one collection per index, Milvus Lite in the index folder or a server by URI.

Each clause is a row: clause id, document id, paragraph, year, kind, jurisdiction, the dense
vector, and two sparse vectors made by the project's own tokenizer (jieba with the domain
dictionary, character bigrams): the clause's BM25 term weights and its paragraph's. Milvus's
built-in BM25 function would tokenize with its own jieba analyzer (no domain words, no
bigrams, no synonyms), so it cannot rank as the local store does; our weights can.

A sparse vector holds each term's BM25 saturation, tf / (k1·(1 − b + b·len/avgdl) + tf), and
the query carries each term's idf, so the inner product Milvus computes is the BM25 score
exactly, and adding or removing a document only changes the document frequencies kept in
`sparse/` (the average length stays the one the build measured). Candidate search (sparse
and dense, with filters) runs inside Milvus; the retriever fuses the few hundred candidates
with the same formula as for the local store.

A build writes a new collection and then points the index's alias at it, so a reader never
sees a half-built collection; the collection it replaced is dropped afterwards. A build that
can resume records the collection's name and, after every insert, how many rows it holds (in
its build folder's progress.json); a build killed on the way is continued by the next one: it
checks the collection still holds those rows, upserts the batch that may have gone in unrecorded,
and inserts the rest.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
from pathlib import Path

import numpy as np

from .errors import QAError
from .store import Candidates, Where, jurisdiction_of

LITE_FILE = "milvus/store.db"  # the embedded Milvus Lite database, inside the index folder
BATCH = 2_000  # rows a Milvus insert carries (at most)
MIN_INSERTS = 8  # ... and at least this many inserts per build (rows of 100 or more), each one recorded for resuming
EMPTY = "\x00"  # term 0: stands in a text without tokens (Milvus refuses an empty sparse vector); no query has it
FIELDS = {  # name → Milvus data type name; a collection with other fields is not ours
    "id": "VARCHAR",
    "doc_id": "VARCHAR",
    "para": "INT64",
    "year": "INT64",
    "kind": "VARCHAR",
    "jurisdiction": "VARCHAR",
    "dense": "FLOAT_VECTOR",
    "sparse": "SPARSE_FLOAT_VECTOR",
    "context": "SPARSE_FLOAT_VECTOR",
}


class StoreError(QAError):
    """Milvus cannot be reached, or holds a collection this program did not make."""


def _one_line(e: Exception) -> str:
    msg = getattr(e, "message", None) or str(e) or type(e).__name__
    return re.sub(r"\s+", " ", str(msg)).strip()[:200]


def _pymilvus():
    try:
        import pymilvus
    except ImportError as e:
        from .errors import MissingDependency

        raise MissingDependency("pymilvus milvus-lite", "Milvus 存储") from e
    return pymilvus


_CLIENTS: dict[str, object] = {}


def _is_server(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "unix:"))


def _key(uri: str) -> str:
    """A Lite file by its real path: one client per file, however the index folder's link is followed."""
    return uri if _is_server(uri) else str(Path(uri).resolve())


def connect(uri: str, timeout: float = 5.0):
    """A MilvusClient for a server URI (http://host:19530) or a Milvus Lite file; one per URI per process."""
    uri = _key(uri)
    if uri in _CLIENTS:
        return _CLIENTS[uri]
    pymilvus = _pymilvus()
    if not _is_server(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        client = pymilvus.MilvusClient(uri=uri, timeout=timeout)
        client.list_collections()
    except Exception as e:  # pymilvus raises MilvusException, ConnectionConfigException, grpc errors …
        where = " Milvus Lite 数据库文件" if not uri.startswith(("http", "tcp")) else " Milvus 服务"
        hint = "（该文件可能正被另一个进程使用）" if "local milvus" in _one_line(e).lower() else ""
        raise StoreError(f"无法连接{where} {uri}{hint}：{_one_line(e)}") from e
    _CLIENTS[uri] = client
    return client


def disconnect(uri: str) -> None:
    """Close this process's client for a URI (so a Lite file can be moved or opened elsewhere)."""
    uri = _key(uri)
    client = _CLIENTS.pop(uri, None)
    if client is not None:
        try:
            client.close()
        except Exception:
            pass
    if uri.endswith(".db"):  # Milvus Lite serves the file from a thread of this process until released
        try:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(uri)
        except ImportError:
            pass


def resolve_uri(folder: Path, uri: str | None) -> str:
    return uri if uri else str(Path(folder) / LITE_FILE)


def alias_for(folder: Path, uri: str | None) -> str:
    """The alias readers use: one per index folder, so indexes sharing a server never collide."""
    if not uri:
        return "qa_index"
    # the folder's own path, not where its link points: every version of an index keeps its alias
    digest = hashlib.sha256(os.path.abspath(os.path.expanduser(folder)).encode()).hexdigest()[:10]
    return f"qa_{re.sub(r'[^A-Za-z0-9_]', '_', Path(folder).name)[:40]}_{digest}"


# ---------------------------------------------------------------------------------------
# Sparse BM25 vectors


class Terms:
    """The sparse vectors' vocabulary and the statistics BM25 needs: document frequencies
    of clauses and of paragraphs, their counts and the average lengths the build measured."""

    def __init__(self, terms: list[str], df_clause: np.ndarray, df_para: np.ndarray, stats: dict):
        self.terms = terms
        self.ids = {t: i for i, t in enumerate(terms)}
        self.df_clause = np.asarray(df_clause, dtype=np.int64)
        self.df_para = np.asarray(df_para, dtype=np.int64)
        self.stats = stats

    def idf(self, df: int, n: int) -> float:
        # bm25s's 'lucene' idf, computed in float64 and kept as float32 as bm25s keeps it
        return float(np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5))))

    def queries(self, tokens: list[str]) -> tuple[dict[int, float], dict[int, float]]:
        """The clause and paragraph query vectors of a question's tokens (idf per known term)."""
        qc, qp = {}, {}
        n, n_p = self.stats["clauses"], self.stats["paragraphs"]
        for t in dict.fromkeys(tokens):
            i = self.ids.get(t)
            if i is None:
                continue
            if self.df_clause[i] > 0:
                qc[i] = self.idf(int(self.df_clause[i]), n)
            if self.df_para[i] > 0:
                qp[i] = self.idf(int(self.df_para[i]), n_p)
        return qc, qp

    def add_terms(self, vocab_terms: list[str]) -> np.ndarray:
        """Column of each term (new terms appended); returns the mapping from the given order."""
        out = np.empty(len(vocab_terms), dtype=np.int64)
        for j, t in enumerate(vocab_terms):
            i = self.ids.get(t)
            if i is None:
                i = self.ids[t] = len(self.terms)
                self.terms.append(t)
            out[j] = i
        grow = len(self.terms) - len(self.df_clause)
        if grow > 0:
            self.df_clause = np.concatenate([self.df_clause, np.zeros(grow, np.int64)])
            self.df_para = np.concatenate([self.df_para, np.zeros(grow, np.int64)])
        return out

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "terms.json").write_text(json.dumps(self.terms, ensure_ascii=False), encoding="utf-8")
        np.save(folder / "df_clause.npy", self.df_clause, allow_pickle=False)
        np.save(folder / "df_para.npy", self.df_para, allow_pickle=False)
        (folder / "stats.json").write_text(json.dumps(self.stats), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Terms:
        terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        self = cls(terms, np.load(folder / "df_clause.npy"), np.load(folder / "df_para.npy"), json.loads((folder / "stats.json").read_text()))
        if not (len(self.terms) == len(self.df_clause) == len(self.df_para)):
            raise ValueError("sparse vocabulary and its frequencies differ in length")
        return self


def saturation(tokens, cols: np.ndarray, k1: float, b: float, avgdl: float):
    """Per text, each term's BM25 saturation tf / (k1·(1 − b + b·len/avgdl) + tf), as a CSR
    matrix over the columns `cols` (the store's term ids of tokens.vocab's ids); and the
    document frequency of every column touched."""
    from scipy.sparse import csr_matrix

    n = len(tokens)
    width = int(cols.max()) + 1 if len(cols) else 1
    m = csr_matrix((np.ones(len(tokens.ids), np.float64), cols[tokens.ids] if len(tokens.ids) else tokens.ids, tokens.offsets), shape=(n, width))
    m.sum_duplicates()
    lengths = np.diff(tokens.offsets).astype(np.float64)
    rows = np.repeat(np.arange(n), np.diff(m.indptr))
    tf = m.data
    m.data = (tf / (k1 * ((1 - b) + b * lengths[rows] / max(avgdl, 1e-9)) + tf)).astype(np.float32)
    df = np.bincount(m.indices, minlength=width)
    return m, df


def _row(m, i: int) -> dict[int, float]:
    a, b = m.indptr[i], m.indptr[i + 1]
    return dict(zip(m.indices[a:b].tolist(), m.data[a:b].tolist()))


# ---------------------------------------------------------------------------------------
# The collection


def _schema(client, dim: int):
    DataType = _pymilvus().DataType
    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
    s.add_field("doc_id", DataType.VARCHAR, max_length=256)
    s.add_field("para", DataType.INT64)
    s.add_field("year", DataType.INT64)
    s.add_field("kind", DataType.VARCHAR, max_length=32)
    s.add_field("jurisdiction", DataType.VARCHAR, max_length=128)
    s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_field("context", DataType.SPARSE_FLOAT_VECTOR)
    return s


def dense_index(n: int, exact_limit: int) -> dict:
    """Exact search up to exact_limit rows, IVF_FLAT above (cells and probes as the local store's)."""
    from .dense import ivf_lists, ivf_probes

    if n <= exact_limit:
        return {"index_type": "FLAT", "params": {}, "search": {}}
    nlist = ivf_lists(n)
    return {"index_type": "IVF_FLAT", "params": {"nlist": nlist}, "search": {"nprobe": ivf_probes(nlist, n)}}


def _index_params(client, dense: dict):
    ip = client.prepare_index_params()
    ip.add_index("dense", index_type=dense["index_type"], metric_type="IP", params=dense["params"])
    ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP", params={"inverted_index_algo": "DAAT_MAXSCORE"})
    ip.add_index("context", index_type="SPARSE_INVERTED_INDEX", metric_type="IP", params={"inverted_index_algo": "DAAT_MAXSCORE"})
    for f in ("doc_id", "year", "jurisdiction"):
        ip.add_index(f, index_type="INVERTED")
    return ip


def check_schema(client, name: str, dim: int | None = None) -> None:
    """Raise StoreError unless the collection has exactly the fields this program writes."""
    try:
        desc = client.describe_collection(name)
    except Exception as e:
        raise StoreError(f"Milvus 中找不到集合 {name}：{_one_line(e)}；请运行 qa index --backend milvus 重建") from e
    got = {}
    for f in desc.get("fields", []):
        t = f.get("type")
        got[f["name"]] = getattr(t, "name", str(t))
        if f["name"] == "dense" and dim is not None:
            fdim = int(f.get("params", {}).get("dim", -1))
            if fdim != dim:
                raise StoreError(f"Milvus 集合 {name} 的向量维度是 {fdim}，本索引需要 {dim}：它不是本程序为这个索引建的集合")
    if got != FIELDS:
        raise StoreError(f"Milvus 集合 {name} 的字段（{'、'.join(sorted(got))}）与本程序的结构不符：它不是本程序建的集合")


def rows_of(clauses, docs_by_id, cvec, pvec, para_of, dense: np.ndarray, offset: int = 0):
    """Milvus rows of a batch of clauses (cvec rows and para_of indexed from `offset`)."""
    jur: dict[str, str] = {}
    out = []
    for j, c in enumerate(clauses):
        if c.doc_id not in jur:
            jur[c.doc_id] = jurisdiction_of(docs_by_id[c.doc_id])
        i = offset + j
        out.append(
            {
                "id": c.id,
                "doc_id": c.doc_id,
                "para": int(c.para),
                "year": int(c.year) if c.year is not None else -1,
                "kind": c.scope or "",
                "jurisdiction": jur[c.doc_id],
                "dense": dense[j].tolist(),
                "sparse": _row(cvec, i) or {0: 1.0},
                "context": _row(pvec, int(para_of[i])) or {0: 1.0},
            }
        )
    return out


def batch_size(n: int) -> int:
    """Rows per insert for a build of n rows: BATCH, smaller for a small build so that it still
    makes MIN_INSERTS inserts (a killed build resumes from its last one)."""
    return min(BATCH, max(100, -(-n // MIN_INSERTS)))


def new_collection_name(alias: str) -> str:
    return f"{alias}_{time.strftime('%Y%m%d%H%M%S')}_{hashlib.sha256(str(time.time_ns()).encode()).hexdigest()[:6]}"


def _drop_orphans(client, alias: str, keep: str | None = None) -> None:
    """Drop collections a killed build of this index left behind (named for the alias, not behind
    it), except `keep`: the one a resumed build continues."""
    try:
        current = client.describe_alias(alias).get("collection_name") if alias in client.list_aliases().get("aliases", []) else None
        for c in client.list_collections():
            if c.startswith(alias + "_") and c not in (current, keep) and re.fullmatch(re.escape(alias) + r"_\d{14}_[0-9a-f]{6}", c):
                client.drop_collection(c)
    except Exception as e:
        raise StoreError(f"无法读取 Milvus 中的集合列表：{_one_line(e)}") from e


def resume_point(client, name: str | None, rows: int, dim: int) -> int:
    """How many rows a killed build's collection `name` holds for sure: the `rows` its build
    recorded, when it still has them (and its schema), else 0 (the collection is started again)."""
    if not name or not rows:
        return 0
    try:
        if not client.has_collection(name):
            return 0
        check_schema(client, name, dim)
        held = client.query(name, filter="", output_fields=["count(*)"], consistency_level="Strong")[0]["count(*)"]
    except StoreError:
        return 0
    except Exception as e:
        raise StoreError(f"无法读取 Milvus 集合 {name}：{_one_line(e)}") from e
    # the batch after the last recorded one may have gone in before the kill: it is upserted
    return rows if rows <= held else 0


def write_collection(client, alias: str, dim: int, n: int, exact_limit: int, batches, name: str | None = None, start: int = 0, record=None) -> dict:
    """Create a new collection, fill it from `batches` ((first row, rows) pairs), index it, load
    it, and point `alias` at it; the collection the alias pointed to before is dropped. Returns
    what the manifest records.

    Resuming: `name` is the collection a killed build was filling and `start` the rows it holds
    for sure (resume_point); the first batch is upserted, since it may be there already.
    `record(name, rows)` is called after every insert."""
    dense = dense_index(n, exact_limit)
    if not start:
        name = new_collection_name(alias)
    _drop_orphans(client, alias, keep=name)
    try:
        if not start:
            if client.has_collection(name):
                client.drop_collection(name)
            client.create_collection(name, schema=_schema(client, dim))  # recorded with its first rows
        for first, rows in batches:
            (client.upsert if start and first == start else client.insert)(name, rows)
            if record:
                record(name, first + len(rows))
        client.flush(name)
        if not client.list_indexes(name):  # a build killed after indexing already made them
            client.create_index(name, _index_params(client, dense))
        client.load_collection(name)
        previous = None
        aliases = client.list_aliases().get("aliases", [])
        if alias in aliases:
            previous = client.describe_alias(alias).get("collection_name")
            client.alter_alias(name, alias)
        else:
            if client.has_collection(alias):
                raise StoreError(f"Milvus 中已有名为 {alias} 的集合（不是别名）：它不是本程序建的，不会覆盖")
            client.create_alias(name, alias)
    except BaseException as e:  # a failed or interrupted build leaves no collection behind; the alias still names the old one
        try:
            client.drop_collection(name)
        except Exception:
            pass
        if isinstance(e, StoreError) or not isinstance(e, Exception):
            raise
        raise StoreError(f"写入 Milvus 集合失败：{_one_line(e)}") from e
    if previous and previous != name and previous.startswith(alias + "_"):
        try:
            client.drop_collection(previous)
        except Exception:
            pass
    return {"collection": name, "alias": alias, "dense_index": dense}


def _ids_expr(ids: list[str], expr: str) -> str:
    out = f"id in {json.dumps(ids, ensure_ascii=False)}"
    return f"({expr}) and {out}" if expr else out


class MilvusStore:
    """Candidate search in a Milvus collection (through its alias) for the retriever."""

    backend = "milvus"

    def __init__(self, client, alias: str, terms: Terms, corpus, context_weight: float, dense: dict, uri_label: str):
        self.client, self.alias, self.terms, self.corpus = client, alias, terms, corpus
        self.context_weight = context_weight
        self.search_params = {"metric_type": "IP", "params": dict(dense.get("search", {}))}
        self.uri_label = uri_label

    @classmethod
    def open(cls, folder: Path, manifest: dict, corpus) -> MilvusStore:
        info = manifest["store"]
        uri = resolve_uri(folder, info.get("uri"))
        client = connect(uri)
        check_schema(client, info["alias"], manifest["embedder"].get("dim"))
        try:
            client.load_collection(info["alias"])  # a server forgets which collections were loaded when it restarts
            count = client.query(info["alias"], filter="", output_fields=["count(*)"])[0]["count(*)"]
        except Exception as e:
            raise StoreError(f"无法读取 Milvus 集合 {info['alias']}：{_one_line(e)}") from e
        if count != len(corpus.clauses):
            from .errors import BadIndex

            raise BadIndex(f"Milvus 集合 {info['alias']} 有 {count} 条，索引清单记录 {len(corpus.clauses)} 条：不一致，请重建")
        terms = Terms.load(Path(folder) / "sparse")
        return cls(client, info["alias"], terms, corpus, manifest["settings"]["context_weight"], info.get("dense_index", {}), info.get("uri") or "lite")

    @staticmethod
    def filter_expr(where: Where | None) -> str:
        if not where:
            return ""
        parts = []
        if where.years:
            parts.append(f"year in {[int(y) for y in where.years]}")
        if where.doc_ids:
            parts.append(f"doc_id in {json.dumps(list(where.doc_ids), ensure_ascii=False)}")
        if where.jurisdictions:
            parts.append(f"jurisdiction in {json.dumps(list(where.jurisdictions), ensure_ascii=False)}")
        return " and ".join(parts)

    def _search(self, data, field: str, limit: int, expr: str, params: dict | None = None):
        try:
            res = self.client.search(
                self.alias, data=[data], anns_field=field, limit=limit, filter=expr, output_fields=["id"], search_params=params or {"metric_type": "IP"}
            )
        except Exception as e:
            raise StoreError(f"Milvus 检索失败：{_one_line(e)}") from e
        return [(h["id"], float(h["distance"])) for h in res[0]]

    def candidates(
        self, tokens: list[str], qvec: np.ndarray, m: int, where: Where | None = None, expansion: list[str] = (), expansion_weight: float = 0.0
    ) -> Candidates:
        if expansion and expansion_weight:
            raise QAError("Milvus 存储暂不支持同义词扩展检索（expansion_weight 须为 0）；请用本地存储，或关闭扩展")
        expr = self.filter_expr(where)
        qc, qp = self.terms.queries(tokens)
        m = max(1, min(m, 16_384))
        by_c = self._search(qc, "sparse", m, expr) if qc else []
        by_p = self._search(qp, "context", min(16_384, 2 * m), expr) if qp else []
        dense_q = np.asarray(qvec[0], dtype=np.float32).tolist()
        by_d = self._search(dense_q, "dense", m, expr, self.search_params)
        c, p, d = dict(by_c), dict(by_p), dict(by_d)
        # A score the first searches did not return is asked for by a second search limited to
        # the ids that lack it: Milvus computes it, and no vector leaves the server.
        lexical_ids = list(dict.fromkeys([i for i, _ in by_c] + [i for i, _ in by_p]))
        self._complete(c, qc, "sparse", lexical_ids, expr)
        self._complete(p, qp, "context", lexical_ids, expr)
        # the best scores among the clauses that pass the filter: the first hit of each search
        c_max = by_c[0][1] if by_c else 0.0
        p_max = by_p[0][1] if by_p else 0.0
        lex = {}
        for i in lexical_ids:
            v = c[i] / c_max if c_max > 0 else c[i]
            if self.context_weight and p_max > 0:
                v += self.context_weight * (p[i] / p_max)
            lex[i] = v
        lexical_ids = sorted(lexical_ids, key=lambda i: -lex[i])[:m]  # the local store's top m by lexical score
        pool_ids = list(dict.fromkeys(lexical_ids + list(d)))
        self._complete(c, qc, "sparse", pool_ids, expr)
        self._complete(p, qp, "context", pool_ids, expr)
        self._complete(d, dense_q, "dense", pool_ids, expr, self.search_params)
        for i in pool_ids:
            if i not in lex:
                lex[i] = (c[i] / c_max if c_max > 0 else c[i]) + (self.context_weight * p[i] / p_max if self.context_weight and p_max > 0 else 0.0)
        position = self.corpus.position
        # an id this process's corpus does not know: the collection was updated after it loaded
        pool = sorted(position[i] for i in pool_ids if i in position)
        clauses = self.corpus.clauses
        ordered = [clauses[r].id for r in pool]
        f32 = lambda values: np.asarray(values, dtype=np.float32)
        return Candidates(
            np.asarray(pool, dtype=np.int64),
            f32([lex[i] for i in ordered]),
            f32([d[i] for i in ordered]),
            f32([c[i] / c_max if c_max > 0 else c[i] for i in ordered]),
            f32([p[i] / p_max if p_max > 0 else p[i] for i in ordered]),
        )

    def _complete(self, scores: dict, query, field: str, ids: list[str], expr: str, params: dict | None = None) -> None:
        missing = [i for i in ids if i not in scores]
        if missing and query:
            scores.update(self._search(query, field, len(missing), _ids_expr(missing, expr), params))
        for i in missing:
            scores.setdefault(i, 0.0)

    def term_stats(self) -> tuple[dict[str, int], np.ndarray, int]:
        return self.terms.ids, self.terms.df_clause, int(self.terms.stats["clauses"])

    def describe(self) -> dict:
        return {"backend": self.backend, "alias": self.alias, "uri": self.uri_label}


def build(tmp: Path, folder: Path, clauses, docs, para_of, clause_tokens, para_tokens, embedder, settings, uri: str | None, texts, progress=None, phases=None, steps=None) -> dict:
    """Write the sparse statistics into `tmp/sparse` and every clause into a new collection.

    `folder` is where the index will live (it names the alias); `tmp` is where it is built
    (a Lite file goes there). `texts` are what the dense vectors embed, one per clause.
    `steps` (qa.index's build progress): the rows inserted are recorded there after every
    insert, and a collection it records is continued rather than started again.
    """
    phases = {} if phases is None else phases
    t = time.perf_counter()
    k1, b = settings.k1, settings.b
    terms = Terms([], np.zeros(0, np.int64), np.zeros(0, np.int64), {})
    terms.add_terms([EMPTY])
    cols_c = terms.add_terms(clause_tokens.terms)
    cols_p = terms.add_terms(para_tokens.terms)
    avg_c = float(np.diff(clause_tokens.offsets).mean()) if len(clause_tokens) else 0.0
    avg_p = float(np.diff(para_tokens.offsets).mean()) if len(para_tokens) else 0.0
    cvec, df_c = saturation(clause_tokens, cols_c, k1, b, avg_c)
    pvec, df_p = saturation(para_tokens, cols_p, k1, b, avg_p)
    terms.df_clause[: len(df_c)] += df_c
    terms.df_para[: len(df_p)] += df_p
    terms.stats = {"clauses": len(clauses), "paragraphs": len(para_tokens), "avgdl_clause": avg_c, "avgdl_paragraph": avg_p, "k1": k1, "b": b}
    terms.save(tmp / "sparse")
    phases["sparse_vectors"] = time.perf_counter() - t
    real_uri = resolve_uri(tmp, uri)
    client = connect(real_uri)
    docs_by_id = {d.id: d for d in docs}
    n = len(clauses)
    size = batch_size(n)
    alias = alias_for(folder, uri)
    was = (steps.info.get("rows") or {}) if steps is not None else {}
    start = resume_point(client, was.get("collection"), int(was.get("rows", 0)), embedder.dim)
    if steps is not None:
        steps.resumed_rows = start  # what the manifest reports: the rows taken over, not the rows recorded

    def batches():
        chunks = range(start, n, size)
        for s in progress(chunks, len(chunks)) if progress else chunks:
            t = time.perf_counter()
            dense = embedder.encode_documents(texts[s : s + size])
            phases["embed"] = phases.get("embed", 0.0) + time.perf_counter() - t
            t = time.perf_counter()
            rows = rows_of(clauses[s : s + size], docs_by_id, cvec, pvec, para_of, dense, s)
            phases["rows"] = phases.get("rows", 0.0) + time.perf_counter() - t
            yield s, rows

    def record(name: str, rows: int) -> None:
        steps.note("rows", {"collection": name, "rows": rows})

    t = time.perf_counter()
    try:
        info = write_collection(client, alias, embedder.dim, n, settings.exact_limit, batches(), was.get("collection"), start, record if steps is not None else None)
        phases["milvus_insert_index_load"] = time.perf_counter() - t - phases.get("embed", 0.0) - phases.get("rows", 0.0)
    finally:
        if not uri:
            disconnect(real_uri)  # the Lite file moves with the folder
    return {"backend": "milvus", "uri": uri, **info}
