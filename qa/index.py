"""The index folder: build, save atomically, load with checks, rebuild when stale.

Layout (standard files only, never pickle):
    manifest.json      seeds' hashes, settings, embedder identity, versions, counts, file sizes
    docs.json          document metadata
    clauses.jsonl      one clause a line, with its facts (ensure_ascii=False)
    lexical/           BM25 postings (rows, term counts, row lengths) of clauses and paragraphs, para_of.npy
    dense.faiss        FAISS index written by faiss.write_index
    embedder/          the embedder's identity (and, for the corpus embedder, its arrays)
    segments/NNNN/     what each incremental update added: its clauses.jsonl (and for the local
                       store lexical/ and a flat dense.faiss); the build's files above are segment 0
    deleted.npy        rows (numbered through the segments) of documents removed or replaced since

The manifest's "segments" lists each segment's folder, rows and paragraphs, and where each of
its documents' rows are, so an update finds what to delete without reading the clauses.

A build writes everything into a temporary sibling folder and publishes it at the end by
switching a link (indexdir.py: which folders may be replaced, the build lock, versions), so a
crash never leaves half an index and a reader never finds none; load checks every file
against the manifest. A build from a documents folder records what it has finished in that
folder's progress.json — documents read, the embedder fitted, then batch by batch the vectors
(local) or the collection's rows (Milvus), the dense and keyword indexes — and a build killed
on the way is continued by the next build of the same documents, settings and store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from . import indexdir
from .corpus import Corpus, DocInfo
from .dense import SegmentedVectors, VectorIndex, load_embedder, resolve_embedder, training_rows
from .errors import BadIndex, QAError
from .facts import Fact
from .lexical import LexicalIndex, TokenIds, Tokenizer, TokenJob
from .segment import Clause, Segmenter
from .text import LEXICON, MAX_DOC_MB, Skipped, display_path, outside, read_lexicon, repo_root, seed_files, trusted_roots

FORMAT = 3  # 3: BM25 postings scored at query time, segments added by updates, deleted rows
HASH_LIMIT = 64 * 2**20  # files up to this size are checked by sha256 on load, larger ones by size


def default_index_dir() -> Path:
    return repo_root() / "index"


def default_seeds_dir() -> Path:
    return repo_root() / "seeds"


@dataclass(frozen=True)
class Settings:
    """Everything that changes what an index holds; saved in the manifest and compared on load."""

    embedder: str = "auto"
    topic_max: int = 40
    split_min: int = 40
    k1: float = 1.2
    b: float = 0.75
    context_weight: float = 0.6
    bigrams: bool = True
    exact_limit: int = 50_000
    max_doc_mb: float = MAX_DOC_MB  # larger files are skipped and reported (qa index --max-doc-mb)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Index:
    folder: Path
    manifest: dict
    corpus: Corpus
    tokenizer: Tokenizer
    lexical: LexicalIndex
    vectors: VectorIndex
    embedder: object
    notes: list[str] = field(default_factory=list)
    store: object = None  # where search runs (qa.store); the local arrays above when None

    def __post_init__(self):
        if self.store is None:
            from .store import LocalStore

            self.store = LocalStore(self.lexical, self.vectors, self.corpus)

    @property
    def embedder_description(self) -> str:
        return self.embedder.description


# ---------------------------------------------------------------------------------------
# Fingerprints


def seeds_fingerprint(folder: Path) -> dict[str, str]:
    """sha256 of every file in a seeds folder (the catalog included), keyed by relative path."""
    out = {}
    roots = trusted_roots(folder)
    for p in seed_files(folder):
        # a link out of the folder is skipped unread; its target is what identifies it
        out[p.relative_to(folder).as_posix()] = "outside:" + str(p.resolve()) if outside(p, roots) else _sha256(p)
    for name in ("catalog.toml", LEXICON):
        extra = folder / name
        if extra.exists():
            out[name] = hashlib.sha256(extra.read_bytes()).hexdigest()
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(2**20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions(embedder_type: str) -> dict:
    import bm25s
    import faiss
    import jieba

    v = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "bm25s": getattr(bm25s, "__version__", "?"),
        "faiss": faiss.__version__,
        "jieba": jieba.__version__,
    }
    if embedder_type == "sentence-transformers":
        import sentence_transformers

        v["sentence_transformers"] = sentence_transformers.__version__
    else:
        import sklearn

        v["scikit_learn"] = sklearn.__version__
    return v


# ---------------------------------------------------------------------------------------
# (De)serialization of clauses


_CLAUSE_FIELDS = tuple(f.name for f in fields(Clause))
_FACT_FIELDS = tuple(f.name for f in fields(Fact))


def clause_to_dict(c: Clause) -> dict:
    # field by field rather than asdict(), which deep-copies every value: a third of the time
    # a million clauses take to write (a fact's fields are all plain values)
    d = {name: getattr(c, name) for name in _CLAUSE_FIELDS}
    d["heading_path"] = list(c.heading_path)
    d["facts"] = [{name: getattr(f, name) for name in _FACT_FIELDS} for f in c.facts]
    return d


def clause_from_dict(d: dict) -> Clause:
    d = dict(d)
    d["heading_path"] = tuple(d["heading_path"])
    d["facts"] = tuple(Fact(**f) for f in d["facts"])
    return Clause(**d)


def paragraph_units(clauses: list[Clause] | tuple[Clause, ...]) -> tuple[list[str], list[int]]:
    """Text of each paragraph (its heading path and clauses) and the paragraph of each clause."""
    texts: list[str] = []
    para_of: list[int] = []
    key = None
    for c in clauses:
        k = (c.doc_id, c.para)
        if k != key:
            texts.append(" ".join(c.heading_path) + " ")
            key = k
        texts[-1] += c.text
        para_of.append(len(texts) - 1)
    return texts, para_of


def paragraph_rows(clauses, para_texts: list[str], para_of: list[int], tokenizer: Tokenizer) -> tuple[list[str], np.ndarray, np.ndarray]:
    """How each paragraph's tokens are made from its clauses' tokens, so it is not tokenized again.

    A paragraph's text is its heading path, a space, and its clauses end to end; where two
    clauses meet at characters that jieba and the bigrams never join across
    (`Tokenizer.separable`), the tokens of the whole are the tokens of the parts. So a
    paragraph's tokens are its heading path's plus, for each run of clauses that do join
    (rare: a clause split at a figure), the run's text tokenized as one, and for every other
    clause its own tokens. Returns the extra texts to tokenize (heading paths, joined runs)
    and, per paragraph p, rows[offsets[p]:offsets[p + 1]]: the rows of (clause texts + extra
    texts) whose tokens make it up.
    """
    n = len(clauses)
    extra: list[str] = []
    head_row: dict[tuple[str, ...], int] = {}
    rows: list[int] = []
    offsets = [0]
    i = 0
    while i < n:
        j = i + 1
        while j < n and para_of[j] == para_of[i]:
            j += 1
        path = clauses[i].heading_path
        if path not in head_row:
            head_row[path] = n + len(extra)
            extra.append(" ".join(path) + " ")
        rows.append(head_row[path])
        run: list[int] = []  # clauses (with text) joined to the one before, in the making
        for k in range(i, j):
            if not clauses[k].text:
                continue
            if run and not tokenizer.separable(clauses[run[-1]].text, clauses[k].text):
                run.append(k)
                continue
            _add_run(run, clauses, rows, extra, n)
            run = [k]
        _add_run(run, clauses, rows, extra, n)
        offsets.append(len(rows))
        i = j
    return extra, np.asarray(rows, dtype=np.int64), np.asarray(offsets, dtype=np.int64)


def _add_run(run: list[int], clauses, rows: list[int], extra: list[str], n: int) -> None:
    """A clause's own row, or a new extra text for clauses that join."""
    if len(run) == 1:
        rows.append(run[0])
    elif run:
        rows.append(n + len(extra))
        extra.append("".join(clauses[k].text for k in run))


def dense_text(c: Clause) -> str:
    """What the dense index embeds: the clause with its nearest headings for context."""
    head = " ".join(c.heading_path[-2:])
    return f"{head}：{c.text}" if head else c.text


# ---------------------------------------------------------------------------------------
# Build


def _progress(iterable, total: int, desc: str, show: bool):
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, disable=not show, mininterval=0.5, leave=False)


def build_index(
    folder: Path,
    seeds: Path | None = None,
    settings: Settings = Settings(),
    corpus: Corpus | None = None,
    tokenizer: Tokenizer | None = None,
    embedder=None,
    progress: bool | None = None,
    log=None,
    workers: int | None = None,
    backend: str = "local",
    milvus_uri: str | None = None,
) -> Index:
    """Build an index from a seeds folder (or a ready corpus) and swap it in atomically.

    workers: processes that load, segment and tokenize (default: one per core for many files or
    large corpora, else one).
    backend: "local" (bm25s + FAISS files) or "milvus" (a collection in Milvus Lite inside the
    folder, or in the Milvus server at milvus_uri).
    """
    from .store import BACKENDS

    if backend not in BACKENDS:
        raise QAError(f"未知的存储后端 {backend!r}，可选：{'、'.join(BACKENDS)}")
    folder = Path(folder)
    log = log or (lambda msg: None)
    if milvus_uri and "://" not in milvus_uri and not milvus_uri.startswith("unix:"):
        milvus_uri = str(Path(milvus_uri).resolve())  # a Milvus Lite file outside the index folder
    if backend == "milvus" and milvus_uri:  # an unreachable server fails now, not after the documents are read
        from .milvus_store import connect

        connect(milvus_uri)
    t0 = time.perf_counter()
    fingerprint: dict[str, str] = {}
    records: dict = {}
    phases: dict[str, float] = {}  # seconds per step, for the manifest and the ingest benchmark
    if corpus is None:
        from .corpus import file_records, load_documents

        seeds = Path(seeds or default_seeds_dir())
    indexdir.check_target(folder, seeds)  # before anything is read or written
    signature = stage = None
    if corpus is None:
        fingerprint = seeds_fingerprint(seeds)
        if tokenizer is None and embedder is None:  # a build from documents alone can resume
            signature = build_signature(fingerprint, settings, backend, milvus_uri)
    build = indexdir.Build(folder, resume=signature)  # the build lock, and a folder beside `folder` to build in
    tmp = build.dir
    try:
        steps = _Progress(tmp, signature, build.resumed)
        if build.resumed:
            log(f"继续上次中断的构建（已完成：{steps.describe()}）")
        if corpus is None:
            if "corpus" in steps.done:
                corpus, doc_files = _read_stage(tmp)
            else:
                with _phase(phases, "load_segment_measures"):  # on every core when there are many files
                    corpus, doc_files = load_documents(seeds, Segmenter(settings.topic_max, settings.split_min), workers, settings.max_doc_mb)
            records = file_records(seeds, doc_files)  # which file became which document, for incremental updates
            if not corpus.clauses:
                raise QAError(f"{seeds} 中没有可用的文档（{len(corpus.skipped)} 个文件被跳过）")
            if signature and "corpus" not in steps.done:  # written (and recorded) by _build_local or _build_milvus, beside tokenizing
                stage = {"doc_files": doc_files, "skipped": [asdict(x) for x in corpus.skipped]}
        clauses = list(corpus.clauses)
        n = len(clauses)
        show = progress if progress is not None else (sys.stderr.isatty() and n > 5000)
        lexicon = read_lexicon(seeds) if seeds is not None else ""
        tokenizer = tokenizer or Tokenizer(bigrams=settings.bigrams, lexicon=lexicon)
        note = ""
        if "dense" in steps.done or "fit" in steps.done:  # the fit a killed build made (and embedded with)
            embedder = load_embedder(tmp / "embedder")
        elif embedder is None:
            embedder, note = resolve_embedder(settings.embedder)
            if note:
                log(note)
        para_texts, para_of = paragraph_units(clauses)
        extra, rows, row_offsets = paragraph_rows(clauses, para_texts, para_of, tokenizer)
        (tmp / LEXICON).write_text(lexicon, encoding="utf-8")  # the corpus's own words, for queries
        if backend == "milvus":
            lexical, dense_info = None, {}  # no FAISS: Milvus holds the vectors
            store_info = _build_milvus(tmp, folder, corpus, clauses, (extra, rows, row_offsets, para_of), tokenizer, embedder, settings, milvus_uri, workers, show, phases, steps, stage)
        else:
            lexical, dense_info = _build_local(tmp, corpus, clauses, (extra, rows, row_offsets, para_of), tokenizer, embedder, settings, workers, show, phases, steps, stage)
            store_info = {"backend": "local"}
        if not (tmp / "embedder" / "embedder.json").exists():  # saved once: when fitted, or after the dense index
            embedder.save(tmp / "embedder")
        steps.remove()
        files = _file_list(tmp)
        manifest = {
            "format": FORMAT,
            indexdir.MARK_KEY: indexdir.MARK,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seeds_dir": display_path(seeds) if seeds else None,
            "seeds": fingerprint,
            "settings": settings.to_dict(),
            "embedder": embedder.identity(),
            "embedder_note": note,
            "store": store_info,
            "faiss": dense_info,
            "versions": _versions(embedder.identity()["type"]),
            "pipeline": pipeline_fingerprint(),
            "counts": {
                "documents": len(corpus.docs),
                "clauses": n,
                "paragraphs": len(para_texts),
                "facts": sum(len(c.facts) for c in clauses),
                "skipped": len(corpus.skipped),
            },
            "skipped": [asdict(s) for s in corpus.skipped],
            **records,
            "segments": [segment_record("", clauses, para_of)],
            "files": files,
            "build_seconds": round(time.perf_counter() - t0, 3),
            "phases": {k: round(v, 3) for k, v in phases.items()},
            **({"resumed": list(steps.resumed)} if steps.resumed else {}),
            **({"resumed_rows": steps.resumed_rows} if steps.resumed_rows else {}),
            **({"resumed_vectors": steps.resumed_vectors} if steps.resumed_vectors else {}),
        }
        _write_json_atomic(tmp / "manifest.json", manifest)
        build.publish()
    except OSError as e:  # disk full, permissions: a one-line message, the old index untouched
        raise build.write_error(e) from e
    finally:
        build.close()
    notes = [note] if note else []
    real = indexdir.resolve(folder)  # the version just published
    if backend == "milvus":
        from .milvus_store import MilvusStore

        return Index(folder, manifest, corpus, tokenizer, None, None, embedder, notes, MilvusStore.open(real, manifest, corpus))
    vectors = VectorIndex.load(real / "dense.faiss", dense_info.get("nprobe"))
    return Index(folder, manifest, corpus, tokenizer, lexical, vectors, embedder, notes)

def _build_local(tmp: Path, corpus: Corpus, clauses: list[Clause], paragraphs, tokenizer, embedder, settings: Settings, workers, show, phases: dict, progress, stage: dict | None = None):
    """clauses.jsonl, BM25 postings and a FAISS index in `tmp`; returns the lexical index and what FAISS holds.

    Each finished step is recorded in `progress`, and a resumed build skips what is recorded.
    `stage`: which file became which document, for a build that can resume (written with the clauses).
    """
    extra, rows, row_offsets, para_of = paragraphs
    n = len(clauses)
    if "lexical" in progress.done:
        lexical = LexicalIndex.load(tmp / "lexical", settings.k1, settings.b, settings.context_weight)
    # Tokenizing (a process pool for large corpora) runs while this process writes the clauses
    # and builds the dense index: nothing waits on one core for the others.
    with TokenJob(tokenizer, [] if "lexical" in progress.done else [c.text for c in clauses] + extra, workers) as job:
        if "corpus" not in progress.done:
            _write_stage(tmp, corpus, clauses, stage, progress, phases, "write_clauses" + ("_beside_tokenizing" if job.parallel else ""))
        if "dense" not in progress.done:
            with _phase(phases, "embed_and_faiss" + ("_beside_tokenizing" if job.parallel else "")):
                vectors = _dense(clauses, embedder, settings, show, tmp, progress)
                # Written now and read back at the end: while it grows, an IVF index holds its lists
                # with up to twice their size in spare capacity; the file holds them exactly.
                vectors.save(tmp / "dense.faiss")
                progress.finish("dense", vectors.describe())
                del vectors
        shutil.rmtree(tmp / _CHUNKS, ignore_errors=True)  # the batches are in dense.faiss now
        (tmp / _TRAINED).unlink(missing_ok=True)
        dense_info = progress.info["dense"]
        if "lexical" not in progress.done:
            with _phase(phases, "tokenize" + ("_rest" if job.parallel else "")):
                tokens = job.result()
    if "lexical" not in progress.done:
        with _phase(phases, "bm25_and_save"):
            lexical = LexicalIndex(settings.k1, settings.b, settings.context_weight)
            clause_tokens = TokenIds(tokens.ids[: tokens.offsets[n]], tokens.offsets[: n + 1], tokens.vocab)
            para_tokens = tokens.gather(rows, row_offsets)
            del tokens
            lexical.build(clause_tokens, para_tokens, para_of)
            lexical.save(tmp / "lexical")
            progress.finish("lexical")
    return lexical, dense_info


# ---------------------------------------------------------------------------------------
# Resuming a killed build

_STAGE = "stage.json"  # a build's documents: which file became which, and what was skipped
_STEP_NAMES = {"corpus": "读取与切分文档", "dense": "向量索引", "lexical": "关键词索引", "fit": "准备向量器", "collection": "Milvus 集合"}
# debug hook: a build kills itself (SIGKILL) after this step: corpus, fit, vectors (the first
# batch embedded), dense, lexical; for Milvus corpus, fit, rows (the first batch inserted), collection
KILL_AFTER = "QA_DEBUG_KILL_AFTER"


def build_signature(fingerprint: dict, settings: Settings, backend: str = "local", uri: str | None = None) -> str:
    """What a build's result depends on: the documents, the settings, the program and where it is stored."""
    key = {"format": FORMAT, "pipeline": pipeline_fingerprint(), "settings": settings.to_dict(), "seeds": fingerprint}
    if backend != "local":  # (a local build's signature is as it was before there was a choice)
        key["store"] = [backend, uri]
    return hashlib.sha256(json.dumps(key, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


class _Progress:
    """The steps a build has finished, in its folder's progress.json (only for a build that can resume)."""

    def __init__(self, folder: Path, signature: str | None, resumed: bool):
        self.path, self.signature = folder / indexdir.PROGRESS, signature
        saved = json.loads(self.path.read_text(encoding="utf-8")) if resumed else {}
        self.done: list[str] = list(saved.get("done", []))
        self.info: dict = dict(saved.get("info", {}))
        self.resumed = tuple(self.done)
        self.resumed_rows = int((self.info.get("rows") or {}).get("rows", 0)) if "collection" not in self.done else 0
        self.resumed_vectors = int((self.info.get("vectors") or {}).get("rows", 0)) if "dense" not in self.done else 0

    def describe(self) -> str:
        """The finished steps, in words (and how many rows a Milvus build had inserted)."""
        done = [_STEP_NAMES[s] for s in self.done]
        if self.resumed_rows:
            done.append(f"写入 Milvus {self.resumed_rows} 条")
        if self.resumed_vectors:
            done.append(f"向量 {self.resumed_vectors} 条")
        return "、".join(done) or "无"

    def finish(self, step: str, info=None) -> None:
        self.done.append(step)
        self.note(step, info)

    def note(self, step: str, info=None) -> None:
        """Record what a step has done so far (a Milvus build's inserted rows) without finishing it."""
        if info is not None:
            self.info[step] = info
        if self.signature:
            _write_json_atomic(self.path, {"signature": self.signature, "done": self.done, "info": self.info})
            if os.environ.get(KILL_AFTER) == step:
                import signal

                os.kill(os.getpid(), signal.SIGKILL)

    def remove(self) -> None:
        for p in (self.path, self.path.parent / _STAGE):
            p.unlink(missing_ok=True)


def _read_stage(folder: Path) -> tuple[Corpus, dict[str, str]]:
    """The documents a killed build had read, from its folder."""
    stage = json.loads((folder / _STAGE).read_text(encoding="utf-8"))
    docs = tuple(DocInfo(**d) for d in json.loads((folder / "docs.json").read_text(encoding="utf-8")))
    with open(folder / "clauses.jsonl", encoding="utf-8") as f:
        clauses = tuple(clause_from_dict(json.loads(line)) for line in f)
    return Corpus(docs, clauses, tuple(Skipped(x["path"], x["reason"]) for x in stage["skipped"])), stage["doc_files"]


def _build_milvus(
    tmp: Path, folder: Path, corpus: Corpus, clauses: list[Clause], paragraphs, tokenizer, embedder, settings: Settings, uri, workers, show, phases: dict, progress, stage=None
) -> dict:
    """Sparse statistics in `tmp` and a new Milvus collection; returns what the manifest records.

    As for the local store, each finished step is recorded in `progress` (documents read, the
    embedder fitted and saved, then every batch of rows the collection holds), and a resumed
    build skips what is recorded: it fills the collection the killed build had started.
    """
    from . import milvus_store

    if "collection" in progress.done:  # killed between the alias switch and publishing
        return progress.info["collection"]
    extra, rows, row_offsets, para_of = paragraphs
    n = len(clauses)
    with TokenJob(tokenizer, [c.text for c in clauses] + extra, workers) as job:
        texts = _DenseTexts(clauses)
        if "corpus" not in progress.done:
            _write_stage(tmp, corpus, clauses, stage, progress, phases, "write_clauses")
        if "fit" not in progress.done:
            with _phase(phases, "fit_embedder" + ("_beside_tokenizing" if job.parallel else "")):
                _fit(embedder, texts)
                if progress.signature:  # the rows a resumed build inserts must be embedded by the same fit
                    embedder.save(tmp / "embedder")
            progress.finish("fit")
        with _phase(phases, "tokenize" + ("_rest" if job.parallel else "")):
            tokens = job.result()
    clause_tokens = TokenIds(tokens.ids[: tokens.offsets[n]], tokens.offsets[: n + 1], tokens.vocab)
    para_tokens = tokens.gather(rows, row_offsets)
    del tokens
    bar = lambda it, total: _progress(it, total, "写入 Milvus", show)  # noqa: E731
    info = milvus_store.build(tmp, folder, clauses, corpus.docs, para_of, clause_tokens, para_tokens, embedder, settings, uri, texts, bar, phases, progress)
    progress.finish("collection", info)
    return info


def segment_record(path: str, clauses, para_of) -> dict:
    """What the manifest records of a segment: its folder, rows, paragraphs, and for each document
    [first row, end row, first paragraph, end paragraph, facts] within it."""
    docs: dict[str, list[int]] = {}
    for i, c in enumerate(clauses):
        d = docs.get(c.doc_id)
        if d is None:
            d = docs[c.doc_id] = [i, i, int(para_of[i]), int(para_of[i]), 0]
        d[1], d[3], d[4] = i + 1, int(para_of[i]) + 1, d[4] + len(c.facts)
    return {"path": path, "rows": len(clauses), "paragraphs": int(para_of[-1]) + 1 if len(clauses) else 0, "docs": docs}


def _write_corpus(folder: Path, corpus: Corpus, clauses: list[Clause]) -> None:
    write_docs(folder, corpus.docs)
    write_clauses(folder, clauses)


def write_docs(folder: Path, docs) -> None:
    """docs.json: the documents' metadata."""
    (folder / "docs.json").write_text(json.dumps([asdict(d) for d in docs], ensure_ascii=False, indent=1), encoding="utf-8")


def write_clauses(folder: Path, clauses) -> None:
    """clauses.jsonl: one clause a line (a build's, or a segment's)."""
    with open(folder / "clauses.jsonl", "w", encoding="utf-8") as f:
        for c in clauses:
            f.write(json.dumps(clause_to_dict(c), ensure_ascii=False) + "\n")


def _write_stage(tmp: Path, corpus: Corpus, clauses: list[Clause], stage: dict | None, progress, phases: dict, phase: str) -> None:
    """The documents read (clauses.jsonl, docs.json and, for a build that can resume, which file
    became which document), recorded as the step "corpus"."""
    with _phase(phases, phase):
        _write_corpus(tmp, corpus, clauses)
        if stage is not None:
            _write_json_atomic(tmp / _STAGE, stage)
    progress.finish("corpus")


def _fit(embedder, texts) -> None:
    """Fit the corpus embedder on the texts (a no-op for a fitted or pretrained one)."""
    if hasattr(embedder, "fit") and getattr(embedder, "components", None) is None:
        embedder.fit(texts)


class _DenseTexts(Sequence):
    """What the dense index embeds for each clause, made when asked for rather than held."""

    def __init__(self, clauses: list[Clause]):
        self.clauses = clauses

    def __len__(self) -> int:
        return len(self.clauses)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [dense_text(c) for c in self.clauses[i]]
        return dense_text(self.clauses[i])


_TRAINED, _CHUNKS = "dense.trained.faiss", "vectors"  # in a resumable build's folder while the dense step runs


def dense_batch(n: int) -> int:
    """Clauses embedded per batch: 16,384, fewer for a small build so that it still makes
    eight batches (a killed build resumes from its last one)."""
    return min(16_384, max(64, -(-n // 8)))


def _dense(clauses: list[Clause], embedder, settings: Settings, show: bool, folder: Path | None = None, progress=None) -> VectorIndex:
    """Embed every clause (fitting the corpus embedder first) and index the vectors batch by batch.

    Batches go straight into FAISS (an IVF index is trained first on a fixed sample), so the
    vectors are held once, in the index, and never also as one big array.

    With `folder` and `progress` (a build that can resume), the fitted embedder and the trained,
    empty FAISS index are saved first (step "fit"), and every batch's vectors are written to
    `folder/vectors/` and recorded; a resumed build adds the batches written and embeds the rest.
    """
    texts = _DenseTexts(clauses)
    n = len(texts)
    keep = folder is not None and progress is not None and progress.signature
    if keep and "fit" in progress.done:  # the embedder was loaded from the folder by build_index
        vectors = VectorIndex.load(folder / _TRAINED)
    else:
        _fit(embedder, texts)
        vectors = VectorIndex.empty(embedder.dim, n, settings.exact_limit)
        if vectors.train_size:
            vectors.train(embedder.encode_documents([texts[i] for i in training_rows(n, vectors.train_size)]))
        if keep:
            embedder.save(folder / "embedder")
            vectors.save(folder / _TRAINED)
            progress.finish("fit")
    step = dense_batch(n)
    start = int((progress.info.get("vectors") or {}).get("rows", 0)) if keep else 0
    for i in range(0, start, step):
        vectors.add(np.load(folder / _CHUNKS / f"{i:010d}.npy", allow_pickle=False))
    if keep:
        (folder / _CHUNKS).mkdir(exist_ok=True)
    for i in _progress(range(start, n, step), (n - start + step - 1) // step, "向量", show):
        batch = embedder.encode_documents(texts[i : i + step])
        vectors.add(batch)
        if keep:
            np.save(folder / _CHUNKS / f"{i:010d}.npy", np.ascontiguousarray(batch, dtype=np.float32), allow_pickle=False)
            progress.note("vectors", {"rows": i + len(batch)})
    return vectors


@contextmanager
def _phase(phases: dict, name: str):
    t = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - t


def _file_list(folder: Path) -> dict:
    """Every file of an index folder with its size (and sha256 for small ones), for the manifest."""
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.relative_to(folder).as_posix().startswith("milvus/"):  # a live database, not a checked file
            size = p.stat().st_size
            files[p.relative_to(folder).as_posix()] = {"size": size, "sha256": _sha256(p) if size <= HASH_LIMIT else None}
    return files


def _write_json_atomic(path: Path, data: dict) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(part, path)


# ---------------------------------------------------------------------------------------
# Load


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / "manifest.json"
    if not path.exists():
        raise BadIndex(f"索引 {folder} 不存在或未建完（缺少 manifest.json）")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadIndex(f"索引 {folder} 的 manifest.json 已损坏：{e}") from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadIndex(f"索引 {folder} 的格式版本不符（需要 {FORMAT}），请重建")
    problem = manifest_shape_problem(manifest)
    if problem:
        raise BadIndex(f"索引 {folder} 的 manifest.json 内容不完整或类型不对（{problem}），请重建")
    return manifest


_MANIFEST_SHAPE = {
    "files": dict, "settings": dict, "counts": dict, "seeds": dict, "skipped": list,
    "embedder": dict, "faiss": dict, "seeds_dir": (str, type(None)), "embedder_note": str,
}


def manifest_shape_problem(manifest: dict) -> str:
    """What is wrong with a manifest's shape ('' when every field load and staleness use is well-typed)."""
    for key, kind in _MANIFEST_SHAPE.items():
        if not isinstance(manifest.get(key), kind):
            return f"{key} 缺失或类型不对"
    for rel, meta in manifest["files"].items():
        if not (isinstance(meta, dict) and isinstance(meta.get("size"), int) and isinstance(meta.get("sha256"), (str, type(None)))):
            return f"files.{rel}"
    s = manifest["settings"]
    for key, kind in (("k1", (int, float)), ("b", (int, float)), ("context_weight", (int, float)), ("bigrams", bool), ("embedder", str)):
        if not isinstance(s.get(key), kind):
            return f"settings.{key}"
    for key in ("clauses", "documents"):
        if not isinstance(manifest["counts"].get(key), int):
            return f"counts.{key}"
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in manifest["seeds"].items()):
        return "seeds"
    if not all(isinstance(x, dict) and isinstance(x.get("path"), str) and isinstance(x.get("reason"), str) for x in manifest["skipped"]):
        return "skipped"
    if not isinstance(manifest["faiss"].get("nprobe"), (int, type(None))):
        return "faiss.nprobe"
    return ""


def verify_files(folder: Path, manifest: dict) -> None:
    """Every file the manifest lists exists with its size (and hash, for small files)."""
    for rel, meta in manifest.get("files", {}).items():
        p = Path(folder) / rel
        if not p.exists():
            raise BadIndex(f"索引文件缺失：{rel}")
        if p.stat().st_size != meta["size"]:
            raise BadIndex(f"索引文件大小不符（被截断或改动）：{rel}")
        if meta.get("sha256") and _sha256(p) != meta["sha256"]:
            raise BadIndex(f"索引文件校验和不符（已损坏）：{rel}")


def pipeline_fingerprint() -> str:
    """Hash of the code and data that decide what an index stores — normalization, clauses,
    time scope, facts, tokens — so that an upgrade of any of them rebuilds old indexes."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in [here / f"{m}.py" for m in ("text", "jurisdiction", "segment", "timescope", "facts", "lexical", "lexicon")] + sorted((here / "data").glob("*")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def stale_reason(manifest: dict, seeds: Path | None, settings: Settings | None) -> str:
    """Why an index no longer matches its seeds, settings or code ('' when it still does)."""
    if manifest.get("pipeline") != pipeline_fingerprint():
        return "程序已更新（文本切分、事实抽取或分词规则有变化）"
    if settings is not None:
        saved = manifest.get("settings", {})
        diff = [k for k, v in settings.to_dict().items() if saved.get(k) != v]
        if diff:
            return "设置已改变（" + "、".join(diff) + "）"
    if seeds is not None:
        now, then = seeds_fingerprint(Path(seeds)), manifest.get("seeds", {})
        if now != then:
            changed = sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))
            return "文档已改变（" + "、".join(changed[:5]) + ("等" if len(changed) > 5 else "") + "）"
    return ""


def load_index(folder: Path, mmap: bool = False) -> Index:
    """Load an index as it is, checking every file; raises BadIndex when anything is off."""
    folder = Path(folder)
    real = indexdir.resolve(folder)  # one version, even if a build switches the link meanwhile
    manifest = read_manifest(real)
    verify_files(real, manifest)
    milvus = backend_of(manifest) == "milvus"
    try:
        docs = tuple(DocInfo(**d) for d in json.loads((real / "docs.json").read_text(encoding="utf-8")))
        records = manifest.get("segments") or [{"path": ""}]
        segments = [real / seg["path"] for seg in records]
        order = live_order(records, docs) if len(records) > 1 or manifest.get("deleted") else None
        clauses = _read_clauses(segments, order)
        s = manifest["settings"]
        if not milvus:
            lexical = LexicalIndex.load([p / "lexical" for p in segments], s["k1"], s["b"], s["context_weight"], order, mmap=mmap)
            parts = [VectorIndex.load(p / "dense.faiss", manifest["faiss"].get("nprobe") if k == 0 else None) for k, p in enumerate(segments)]
            vectors = parts[0] if order is None else SegmentedVectors(parts, order)
        embedder = load_embedder(real / "embedder")
    except QAError:
        raise
    except Exception as e:  # json, numpy, faiss and bm25s each raise their own types on bad data
        raise BadIndex(f"索引 {folder} 无法读取（{type(e).__name__}: {e}）") from e
    counts = manifest["counts"]
    skipped = tuple(Skipped(s["path"], s["reason"]) for s in manifest["skipped"])
    corpus = Corpus(docs, clauses, skipped)
    lexicon = (real / LEXICON).read_text(encoding="utf-8") if (real / LEXICON).exists() else ""
    tokenizer = Tokenizer(bigrams=manifest["settings"]["bigrams"], lexicon=lexicon)
    notes = [manifest["embedder_note"]] if manifest.get("embedder_note") else []
    if milvus:
        from .milvus_store import MilvusStore

        if len(clauses) != counts["clauses"]:
            raise BadIndex(f"索引 {folder} 内部数目不一致：条款 {len(clauses)}，清单记录 {counts['clauses']}")
        return Index(folder, manifest, corpus, tokenizer, None, None, embedder, notes, MilvusStore.open(real, manifest, corpus))
    if not (len(clauses) == counts["clauses"] == vectors.ntotal == len(lexical.para_of)):
        raise BadIndex(
            f"索引 {folder} 内部数目不一致：条款 {len(clauses)}，向量 {vectors.ntotal}，关键词 {len(lexical.para_of)}，清单记录 {counts['clauses']}"
        )
    return Index(folder, manifest, corpus, tokenizer, lexical, vectors, embedder, notes)


def live_order(records: list[dict], docs) -> np.ndarray:
    """The live rows (numbered through the segments) in the corpus's order: document by document
    as docs.json lists them (the order of their files, as a full build reads them)."""
    offsets = np.cumsum([0] + [seg["rows"] for seg in records])
    where = {d: (int(offsets[k]) + r[0], int(offsets[k]) + r[1]) for k, seg in enumerate(records) for d, r in seg["docs"].items()}
    spans = [where[d.id] for d in docs if d.id in where]
    return np.concatenate([np.arange(a, z, dtype=np.int64) for a, z in spans]) if spans else np.zeros(0, np.int64)


def _read_clauses(segments: list[Path], order: np.ndarray | None) -> tuple[Clause, ...]:
    """The live clauses of the segments, in `order` (rows numbered through the segments; None: all, in order)."""
    if order is None:
        out = []
        for folder in segments:
            with open(folder / "clauses.jsonl", encoding="utf-8") as f:
                out.extend(clause_from_dict(json.loads(line)) for line in f)
        return tuple(out)
    rank = {int(r): i for i, r in enumerate(order)}
    out = [None] * len(order)
    row = 0
    for folder in segments:
        with open(folder / "clauses.jsonl", encoding="utf-8") as f:
            for line in f:
                i = rank.get(row)
                if i is not None:
                    out[i] = clause_from_dict(json.loads(line))
                row += 1
    return tuple(out)


def backend_of(manifest: dict) -> str:
    """The store an index was built with ("local" for indexes from before there was a choice)."""
    return (manifest.get("store") or {}).get("backend", "local")
