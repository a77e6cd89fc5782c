"""A corpus: the documents of a folder, their clauses and facts, and what was skipped."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

from .facts import Fact
from .segment import Clause, Segmenter
from .text import Document, Skipped, load_folder


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
