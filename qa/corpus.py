"""A corpus: the documents of a folder, their clauses and facts, and what was skipped."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from .facts import Fact
from .segment import Clause, Segmenter
from .text import Document, Skipped, admit, load_folder, read_catalog, seed_files, trusted_roots

T = TypeVar("T")


@dataclass(frozen=True)
class Citation:
    """One quoted clause, as the JSON contract names its fields."""

    n: int
    doc_id: str
    title: str
    source: str
    section: str
    quote: str
    line_start: int
    line_end: int
    char_start: int
    char_end: int
    score: float = 0.0
    scanned: bool = False  # the quote was recognized from a scanned page (OCR): check it against the scan

    def to_dict(self) -> dict:
        """The contract's fields; `scanned` is added only for a quote recognized from a scan."""
        d = asdict(self)
        if not self.scanned:
            del d["scanned"]
        return d


@dataclass(frozen=True)
class DocInfo:
    """What citations and answers need of a document, without its text."""

    id: str
    title: str
    issuer: str
    date: str
    kind: str
    this_year: int | None
    source: str
    sha256: str
    cataloged: bool
    region: str = ""  # the jurisdiction its figures speak for (qa.jurisdiction)
    level: str = ""
    ocr_pages: tuple[int, ...] = ()  # PDF pages read from a scan (OCR)

    def __post_init__(self):  # docs.json gives a list
        object.__setattr__(self, "ocr_pages", tuple(self.ocr_pages))


@dataclass(frozen=True)
class Corpus:
    docs: tuple[DocInfo, ...]
    clauses: tuple[Clause, ...]
    skipped: tuple[Skipped, ...] = ()

    @cached_property
    def by_doc(self) -> dict[str, DocInfo]:
        return {d.id: d for d in self.docs}

    @cached_property
    def by_id(self) -> dict[str, Clause]:
        return {c.id: c for c in self.clauses}

    @cached_property
    def position(self) -> dict[str, int]:
        return {c.id: i for i, c in enumerate(self.clauses)}

    @cached_property
    def regions(self) -> dict[str, str]:
        """The jurisdictions the documents speak for: region → level."""
        return {d.region: d.level for d in self.docs if d.region}

    def derived(self, make: Callable[[Corpus], T]) -> T:
        """make(self), computed once and kept with the corpus (it is immutable): what questions
        read from every document (qa.query's time frames) is not read again for each question.
        The value is shared: not to be changed."""
        cache = self.__dict__.setdefault("_derived", {})
        if make not in cache:
            cache[make] = make(self)
        return cache[make]

    def cite(self, clause: Clause, n: int, score: float = 0.0) -> Citation:
        doc = self.by_doc[clause.doc_id]
        return Citation(
            n=n,
            doc_id=doc.id,
            title=doc.title,
            source=doc.source,
            section=clause.section,
            quote=clause.text,
            line_start=clause.line_start,
            line_end=clause.line_end,
            char_start=clause.start,
            char_end=clause.end,
            score=round(float(score), 4),
            scanned=clause.page in doc.ocr_pages,
        )

    def facts(self, year: int | None = None, kind: str | None = None, doc: str | None = None) -> list[tuple[Fact, Clause]]:
        """Facts with their clauses, filtered; in document order."""
        out = []
        for c in self.clauses:
            if doc and c.doc_id != doc:
                continue
            for f in c.facts:
                if (year is None or f.year == year) and (kind is None or f.kind == kind):
                    out.append((f, c))
        return out

    def neighbours(self, clause: Clause) -> list[Clause]:
        """The clauses of the same paragraph, in order."""
        i = self.position[clause.id]
        lo = i
        while lo > 0 and self.clauses[lo - 1].doc_id == clause.doc_id and self.clauses[lo - 1].para == clause.para:
            lo -= 1
        hi = i
        while hi + 1 < len(self.clauses) and self.clauses[hi + 1].doc_id == clause.doc_id and self.clauses[hi + 1].para == clause.para:
            hi += 1
        return list(self.clauses[lo : hi + 1])


def info(doc: Document) -> DocInfo:
    return DocInfo(
        doc.id, doc.title, doc.issuer, doc.date, doc.kind, doc.this_year, doc.source, doc.sha256, doc.cataloged, doc.region, doc.level,
        doc.ocr_pages,
    )


def load_corpus(folder: Path, segmenter: Segmenter | None = None, max_doc_mb: float | None = None) -> tuple[Corpus, list[Document]]:
    """Load, normalize and segment every document in a folder (files over max_doc_mb MB are skipped)."""
    documents, skipped = load_folder(Path(folder), max_doc_mb)
    segmenter = segmenter or Segmenter()
    clauses: list[Clause] = []
    for doc in documents:
        clauses.extend(segmenter.segment(doc))
    return Corpus(tuple(info(d) for d in documents), tuple(clauses), tuple(skipped)), documents


# ---------------------------------------------------------------------------------------
# What the manifest records about files, and loading on every core


def _entry_hash(entry) -> str:
    return hashlib.sha256(repr(entry).encode("utf-8")).hexdigest()[:16] if entry is not None else ""


def file_records(seeds: Path, doc_files: dict[str, str]) -> dict:
    """For the manifest: the document each file became, and a hash of each file's catalog entry."""
    seeds = Path(seeds)
    catalog = read_catalog(seeds)
    entries = {}
    for p in seed_files(seeds):
        rel = p.relative_to(seeds).as_posix()
        entries[rel] = _entry_hash(catalog.get(rel) or catalog.get(p.name))
    return {"doc_files": dict(doc_files), "catalog_entries": entries}


# ---------------------------------------------------------------------------------------
# Loading and segmenting on every core

PARALLEL_FILES = 8  # below this many files one process loads them
PARALLEL_CHARS = 400_000  # a document this long (about 1.2 MB) is segmented on every core
_LOAD: tuple | None = None  # (folder, paths, catalog, segmenter, max_doc_mb, roots, doc_workers), set before the pool forks
_SEGMENT: tuple | None = None  # (segmenter, doc, parts), set before the pool forks


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _segment_part(i: int) -> list[Clause]:
    segmenter, doc, parts = _SEGMENT
    return segmenter.segment_part(doc, parts[i])


def segment_document(segmenter: Segmenter, doc: Document, workers: int | None = None, min_chars: int | None = None, per_worker: int = 4) -> list[Clause]:
    """segmenter.segment(doc), the same clauses in the same order; a long document is cut at
    headings into parts (Segmenter.parts) that a pool of processes segments side by side."""
    import multiprocessing

    from .lexical import _worker_start  # ends a worker with its parent

    global _SEGMENT
    if workers is None:
        workers = _cores() if _can_fork() else 1
    if workers <= 1 or len(doc.text) < (PARALLEL_CHARS if min_chars is None else min_chars):
        return segmenter.segment(doc)
    parts = segmenter.parts(doc, workers * per_worker)
    if len(parts) == 1:
        return segmenter.segment(doc)
    _SEGMENT = (segmenter, doc, parts)
    pool = multiprocessing.get_context("fork").Pool(min(workers, len(parts)), _worker_start)
    try:
        clauses: list[Clause] = []
        for part in pool.imap(_segment_part, range(len(parts))):
            clauses.extend(part)
        return clauses
    finally:
        _SEGMENT = None
        pool.terminate()
        pool.join()


def _load_one(i: int):
    """Load and segment one file (in a pool worker): ('doc', rel, DocInfo, clauses) or ('skip', rel, reason)."""
    from .text import load_file

    folder, paths, catalog, segmenter, max_doc_mb, roots, doc_workers = _LOAD
    path = paths[i]
    doc = load_file(folder, path, catalog, max_doc_mb, roots)
    if isinstance(doc, Skipped):
        return ("skip", doc.path, doc.reason)
    return ("doc", path.relative_to(folder).as_posix(), info(doc), tuple(segment_document(segmenter, doc, doc_workers)))


def load_documents(folder: Path, segmenter: Segmenter, workers: int | None = None, max_doc_mb: float | None = None) -> tuple[Corpus, dict[str, str]]:
    """load_corpus's corpus (same documents, clauses and skipped files, in the same order), with
    files loaded and segmented by a pool of processes when there are many, and a long document
    segmented on every core when there are few; and {file: doc id}."""
    import multiprocessing

    from .lexical import _worker_start  # ends a worker with its parent

    global _LOAD
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"文档目录不存在：{folder}")
    catalog = read_catalog(folder)
    paths = seed_files(folder)
    # many files: a pool loads and segments them, one file a worker; few files: one by one,
    # each long one segmented on every core (segment_document)
    doc_workers = workers
    if workers is None:
        doc_workers = _cores() if _can_fork() else 1
        workers = doc_workers if len(paths) >= PARALLEL_FILES else 1
    pooled = workers > 1 and len(paths) > 1
    _LOAD = (folder, paths, catalog, segmenter, max_doc_mb, trusted_roots(folder), 1 if pooled else doc_workers)
    pool = None
    try:
        if pooled:
            pool = multiprocessing.get_context("fork").Pool(min(workers, len(paths)), _worker_start)
            results = pool.imap(_load_one, range(len(paths)), chunksize=2)
        else:
            results = map(_load_one, range(len(paths)))
        docs, clauses, skipped, doc_files, taken = [], [], [], {}, set()
        for r in results:
            if admit(Skipped(r[1], r[2]) if r[0] == "skip" else r[2], r[1], taken, skipped):
                doc_files[r[1]] = r[2].id
                docs.append(r[2])
                clauses.extend(r[3])
    finally:
        _LOAD = None
        if pool is not None:
            pool.terminate()
            pool.join()
    for name in catalog:
        if not (folder / name).exists():
            skipped.append(Skipped(name, "catalog.toml 中有此条目，但文件不存在"))
    return Corpus(tuple(docs), tuple(clauses), tuple(skipped)), doc_files
