"""Incremental ingest: a new, changed or removed document updates the index without rebuilding the rest.

The manifest records which file became which document and a hash of each file's catalog
entry. An update compares them with the folder now, loads and segments only the files that
are new or changed, and replaces their documents' clauses in the store:

- local: the new documents' clauses become one small segment (their clauses.jsonl, BM25
  postings and a flat FAISS index, in segments/NNNN/), and the rows of the documents removed or
  replaced are recorded as deleted (deleted.npy). Every other file is linked into the new
  version unchanged, so an update costs what the changed documents cost, whatever the size of
  the index. BM25 statistics (row count, average length, document frequencies) are those of
  the live rows of all segments, and the corpus lists documents in the order of their files,
  so answers are those of a fresh build of the same documents. When the update segments and
  deleted rows pass COMPACT_FRACTION of the build's rows (and COMPACT_MIN_ROWS), or there
  would be MAX_SEGMENTS segments, the update is a full build instead (compaction).
- milvus: the new documents' rows are upserted and the removed ones deleted in the live
  collection; document frequencies in sparse/ are adjusted. The clause files change as a local
  index's do (a new segment with the new clauses, tombstones for the dropped rows, everything
  else linked); past the compaction threshold only the clause files are written again as one
  segment — the collection is never rebuilt for that.

`open_index` (here, above qa/index.py) opens an index and keeps it current: it updates it when
only documents changed and rebuilds it when it is missing, stale or corrupt.

The corpus-fitted embedder is not refitted for a small change: the share of the character
1–2-grams of all documents added since it was fitted that its vocabulary lacks is kept in the
manifest, and only past DRIFT_LIMIT is the embedder refitted — which changes every vector, so
the index is then built again, and the update says so. A pretrained model never drifts.

DRIFT_LIMIT = 20 %: measured with embedders fitted on one corpus and documents new to it, a
further year of the same issuer's reports is 5 % unknown (State Council 2016–2021 → 2022), a
neighbouring issuer about 10 % (State Council → CPC congress), a new level of government 25 %
(the Hohhot seeds → State Council reports); 20 % refits for the last kind, not the first two.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import indexdir
from .corpus import Corpus, DocInfo, file_records, info, segment_document
from .errors import BadIndex, QAError
from .index import (
    Index,
    Settings,
    build_index,
    default_index_dir,
    default_seeds_dir,
    load_index,
    read_manifest,
    stale_reason,
    write_clauses,
    write_docs,
)
from .lexical import _rows
from .segment import Segmenter
from .text import LEXICON, admit, read_catalog, repo_root

DRIFT_LIMIT = 0.20  # refit the corpus embedder when more than this share of added n-grams is unknown to it
COMPACT_FRACTION = 0.25  # a full build replaces the segments when update rows + deleted rows pass this share of the build's
COMPACT_MIN_ROWS = 10_000  # ... and this many rows (a small index keeps its segments: they cost nothing)
MAX_SEGMENTS = 32  # ... or when there would be more segments than this
_WS = re.compile(r"\s\s+")
_NO_FILE = "catalog.toml 中有此条目，但文件不存在"  # as qa.corpus.load_documents reports it


@dataclass(frozen=True)
class Update:
    """What an update did."""

    added: tuple[str, ...] = ()  # document ids
    replaced: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    rebuilt: bool = False  # the whole index was built again (and why: `note`)
    drift: float | None = None  # share of the new text's n-grams the corpus embedder did not know
    seconds: float = 0.0
    note: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced or self.removed or self.rebuilt)

    def describe(self) -> str:
        """One line of Chinese for the user."""
        if self.rebuilt:
            return f"已全部重建：{self.note}"
        if not self.changed:
            return "文档没有变化，索引无需更新"
        parts = [f"{label} {len(ids)} 份（{'、'.join(ids[:5])}{'等' if len(ids) > 5 else ''}）" for label, ids in (("新增", self.added), ("更新", self.replaced), ("删除", self.removed)) if ids]
        line = "索引已增量更新：" + "，".join(parts) + f"（{self.seconds:.1f} 秒）"
        return line + (f"；{self.note}" if self.note else "")


# ---------------------------------------------------------------------------------------
# Vocabulary drift


def vocabulary_drift(embedder, texts: list[str]) -> float | None:
    """Share of the texts' character 1–2-gram occurrences the corpus embedder's vocabulary lacks
    (None for an embedder without a fitted vocabulary, such as a pretrained model)."""
    counts = unknown_ngrams(embedder, texts)
    return None if counts is None else (counts[0] / counts[1] if counts[1] else 0.0)


def unknown_ngrams(embedder, texts: list[str]) -> tuple[int, int] | None:
    """(unknown, all) character 1–2-gram occurrences of the texts for the corpus embedder."""
    vocab = getattr(embedder, "vocab", None)
    if not vocab:
        return None
    total = unknown = 0
    for t in texts:
        t = _WS.sub(" ", t)
        for i, ch in enumerate(t):
            total += 1
            unknown += ch not in vocab
            if i + 1 < len(t):
                total += 1
                unknown += t[i : i + 2] not in vocab
    return unknown, total


# ---------------------------------------------------------------------------------------
# The update


def _changes(manifest: dict, seeds: Path):
    """(files to load, document ids to drop, files gone, fingerprint now) — or None when the manifest cannot tell."""
    from .index import seeds_fingerprint

    doc_files, entries_then = manifest.get("doc_files"), manifest.get("catalog_entries")
    if doc_files is None or entries_then is None:
        return None
    now, then = seeds_fingerprint(seeds), manifest.get("seeds", {})
    entries_now = file_records(seeds, {})["catalog_entries"]
    special = ("catalog.toml", LEXICON)
    files_now = [k for k in now if k not in special]
    touched = [rel for rel in files_now if now[rel] != then.get(rel) or entries_now.get(rel) != entries_then.get(rel)]
    gone = [rel for rel in then if rel not in special and rel not in now]
    drop = {doc_files[rel] for rel in touched + gone if rel in doc_files}
    return touched, drop, gone, now


def update_index(folder: Path, seeds: Path | None = None, log=None, load: bool = True):
    """Bring an index up to date with its documents, touching only what changed.

    Returns (index, Update); the index is None with load=False when nothing had to be rebuilt
    (a local update then reads no clause it keeps). Falls back to a full build (and says why)
    when the program or settings changed, when the index predates incremental updates, when
    the corpus embedder's vocabulary drifts past DRIFT_LIMIT, or when the update segments and
    deleted rows pass COMPACT_FRACTION of the index (compaction).
    """
    folder = Path(folder)
    with indexdir.build_lock(folder):  # one update at a time, each starting from the version the last one made
        return _update(folder, seeds, log or (lambda msg: None), load)


def _update(folder: Path, seeds: Path | None, log, load: bool):
    from .dense import load_embedder
    from .text import Skipped, load_file

    t0 = time.perf_counter()
    real = indexdir.resolve(folder)  # one version throughout
    manifest = read_manifest(real)
    if seeds is None and manifest.get("seeds_dir"):
        candidate = Path(manifest["seeds_dir"])
        seeds = candidate if candidate.is_absolute() else repo_root() / candidate
    seeds = Path(seeds or default_seeds_dir())
    store = manifest.get("store") or {}
    settings = Settings(**manifest["settings"])

    def rebuild(why: str):
        log(f"正在重建索引：{why}")
        index = build_index(folder, seeds, settings, log=log, backend=store.get("backend", "local"), milvus_uri=store.get("uri"))
        return index, Update(rebuilt=True, seconds=round(time.perf_counter() - t0, 2), note=why)

    reason = stale_reason(manifest, None, settings)
    if reason:
        return rebuild(reason)
    plan = _changes(manifest, seeds)
    if plan is None:
        return rebuild("索引由旧版程序建立，没有增量更新所需的文件记录")
    touched, drop, gone, fingerprint = plan
    if fingerprint.get(LEXICON) != manifest.get("seeds", {}).get(LEXICON):  # every text tokenizes differently
        return rebuild(f"语料词表 {LEXICON} 已改变")
    if not touched and not gone:
        if fingerprint != manifest.get("seeds"):  # only catalog.toml's unrelated lines changed
            from .index import _write_json_atomic

            _write_json_atomic(real / "manifest.json", {**manifest, "seeds": fingerprint})
        return (load_index(folder) if load else None), Update(seconds=round(time.perf_counter() - t0, 2))

    # Load and segment the new and changed files only.
    catalog = read_catalog(seeds)
    docs = [DocInfo(**d) for d in json.loads((real / "docs.json").read_text(encoding="utf-8"))]
    kept_docs = [d for d in docs if d.id not in drop]
    taken = {d.id for d in kept_docs}
    # catalog entries without a file are listed again below, as the loader lists them: after the files
    skipped = [Skipped(x["path"], x["reason"]) for x in manifest["skipped"] if x["path"] not in set(touched) | set(gone) and x["reason"] != _NO_FILE]
    segmenter = Segmenter(settings.topic_max, settings.split_min)
    new_docs, new_clauses, doc_files = [], [], {k: v for k, v in manifest["doc_files"].items() if k not in set(touched) | set(gone)}
    for rel in touched:
        doc = load_file(seeds, seeds / rel, catalog, settings.max_doc_mb)
        if not admit(doc, rel, taken, skipped):
            continue
        doc_files[rel] = doc.id
        new_docs.append(info(doc))
        new_clauses.extend(segment_document(segmenter, doc))
    skipped += [Skipped(name, _NO_FILE) for name in catalog if not (seeds / name).exists()]
    old_ids = {d.id for d in docs}
    new_ids = {d.id for d in new_docs}
    added = tuple(sorted(new_ids - old_ids))
    replaced = tuple(sorted(new_ids & drop))
    removed = tuple(sorted(drop - new_ids))
    if not kept_docs and not new_docs:
        raise QAError(f"{seeds} 中已没有可用的文档：索引保持原样")

    from .index import dense_text

    embedder = load_embedder(real / "embedder")
    counts = unknown_ngrams(embedder, [dense_text(c) for c in new_clauses])
    drift = None
    if counts is not None:  # everything added since the embedder was fitted counts
        before = manifest.get("embedder_drift") or {"unknown": 0, "total": 0}
        counts = (before["unknown"] + counts[0], before["total"] + counts[1])
        drift = counts[0] / counts[1] if counts[1] else 0.0
    if drift is not None and drift > DRIFT_LIMIT:
        return rebuild(f"新增文档有 {drift:.0%} 的字和词组不在语料向量器的词表中（阈值 {DRIFT_LIMIT:.0%}），已重新训练向量器并重算全部向量")
    records = file_records(seeds, doc_files)
    note = "" if drift is None else f"训练以来新增文本的词表变化 {drift:.0%}，未超过阈值 {DRIFT_LIMIT:.0%}，语料向量器沿用原有训练"
    change = {"added": added, "replaced": replaced, "removed": removed, "drift": None if drift is None else round(drift, 4), "note": note, "counts": counts}
    all_docs = tuple(kept_docs) + tuple(new_docs)
    if store.get("backend") != "milvus":  # in the order of their files, as a full build lists them
        rank = {rel: i for i, rel in enumerate(fingerprint)}
        file_rank = {doc_id: rank.get(rel, len(rank)) for rel, doc_id in doc_files.items()}
        all_docs = tuple(sorted(all_docs, key=lambda d: file_rank.get(d.id, len(rank))))
    if store.get("backend") == "milvus":
        index = load_index(folder)
        kept_ids = {d.id for d in kept_docs}
        keep = np.fromiter((c.doc_id in kept_ids for c in index.corpus.clauses), dtype=bool, count=len(index.corpus.clauses))
        clauses = [c for c, k in zip(index.corpus.clauses, keep) if k] + new_clauses
        corpus = Corpus(all_docs, tuple(clauses), tuple(skipped))
        index = _update_milvus(index, folder, corpus, keep, new_clauses, drop, manifest, fingerprint, records, change)
    else:
        why = compaction_due(manifest, drop, len(new_clauses))
        if why:
            return rebuild(why)
        _update_local(folder, real, manifest, all_docs, skipped, new_clauses, drop, embedder, fingerprint, records, change)
        index = load_index(folder) if load else None
    update = Update(added, replaced, removed, False, change["drift"], round(time.perf_counter() - t0, 2), note)
    if index is not None:
        index.manifest["update"]["seconds"] = update.seconds
    return index, update


def compaction_due(manifest: dict, drop: set[str], new_rows: int) -> str:
    """Why the update should be a full build instead of one more segment ('' when it need not be)."""
    segments = manifest.get("segments")
    if not segments:
        return "索引没有分段记录（由旧版程序建立）"
    dropped = sum(r[1] - r[0] for seg in segments for d, r in seg["docs"].items() if d in drop)
    extra = sum(seg["rows"] for seg in segments[1:]) + new_rows + int(manifest.get("deleted", 0)) + dropped
    base = segments[0]["rows"]
    if extra > max(COMPACT_FRACTION * base, COMPACT_MIN_ROWS) or len(segments) >= MAX_SEGMENTS:
        return (
            f"增量段与已删除的条款共 {extra} 条（基础段 {base} 条，{len(segments)} 段），超过合并阈值"
            f"（基础段的 {COMPACT_FRACTION:.0%} 且至少 {COMPACT_MIN_ROWS} 条，或 {MAX_SEGMENTS} 段），合并为新的完整索引"
        )
    return ""


def _new_tokens(tokenizer, new_clauses):
    """Token ids of the new clauses and of their paragraphs, and their paragraph of each clause."""
    from .index import paragraph_units
    from .lexical import tokenize

    ptexts, para_of = paragraph_units(new_clauses)
    tok = tokenize(tokenizer, [c.text for c in new_clauses] + ptexts)
    n = len(new_clauses)
    return _rows(tok, np.arange(n)), _rows(tok, np.arange(n, n + len(ptexts))), np.asarray(para_of, dtype=np.int64)


def _counts(corpus: Corpus) -> dict:
    from .index import paragraph_units

    return {
        "documents": len(corpus.docs),
        "clauses": len(corpus.clauses),
        "paragraphs": len(paragraph_units(corpus.clauses)[0]),
        "facts": sum(len(c.facts) for c in corpus.clauses),
        "skipped": len(corpus.skipped),
    }


def _updated_manifest(manifest: dict, files: dict, counts: dict, skipped, fingerprint: dict, records: dict, change: dict, extra: dict) -> dict:
    return {
        **manifest,
        **extra,
        **records,
        "seeds": fingerprint,
        "counts": counts,
        "skipped": [asdict(s) for s in skipped],
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "update": {k: list(v) if isinstance(v, tuple) else v for k, v in change.items() if k != "counts"},
        **({"embedder_drift": {"unknown": change["counts"][0], "total": change["counts"][1]}} if change.get("counts") else {}),
        "files": files,
    }


def _link_tree(src: Path, dst: Path, skip: set[str]) -> None:
    """dst holds src's files as hard links (copies where links are refused): they are never
    written again, so two versions may share them. `skip`: top-level names left out (with
    everything under them)."""
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src).as_posix()
        if rel.split("/", 1)[0] in skip:
            continue
        if p.is_dir():
            (dst / rel).mkdir(parents=True, exist_ok=True)
            continue
        try:
            os.link(p, dst / rel)
        except OSError:
            shutil.copy2(p, dst / rel)


def _tombstones(manifest: dict, real: Path, drop: set[str]) -> tuple[list[dict], list[int], dict]:
    """The segments with the dropped documents taken out of their records, every deleted row
    (numbered through the segments; the earlier ones and theirs), and the counts less theirs."""
    segments = [dict(seg, docs=dict(seg["docs"])) for seg in manifest["segments"]]
    offsets = np.cumsum([0] + [seg["rows"] for seg in segments])
    deleted = np.load(real / "deleted.npy", allow_pickle=False).tolist() if (real / "deleted.npy").exists() else []
    counts = dict(manifest["counts"])
    for k, seg in enumerate(segments):
        for doc_id in sorted(drop & set(seg["docs"])):
            r0, r1, p0, p1, n_facts = seg["docs"].pop(doc_id)
            deleted.extend(range(int(offsets[k]) + r0, int(offsets[k]) + r1))
            counts["clauses"] -= r1 - r0
            counts["paragraphs"] -= p1 - p0
            counts["facts"] -= n_facts
    return segments, deleted, counts


def _add_segment(tmp: Path, manifest: dict, new_clauses, para_of, segments: list[dict], counts: dict, extra: dict) -> Path:
    """A new segment folder holding the new clauses (clauses.jsonl), recorded in `segments`,
    `counts` and `extra` (next_segment); returns the folder, for the local store's search files."""
    from .index import segment_record

    number = int(manifest.get("next_segment", 1))
    path = f"segments/{number:04d}"
    seg_dir = tmp / path
    seg_dir.mkdir(parents=True)
    write_clauses(seg_dir, new_clauses)
    segments.append(segment_record(path, new_clauses, para_of))
    extra["next_segment"] = number + 1
    counts["clauses"] += len(new_clauses)
    counts["paragraphs"] += int(para_of[-1]) + 1
    counts["facts"] += sum(len(c.facts) for c in new_clauses)
    return seg_dir


def _update_local(folder: Path, real: Path, manifest: dict, docs, skipped, new_clauses, drop: set[str], embedder, fingerprint, records, change) -> None:
    """One new segment for the new documents' clauses and tombstones for the dropped ones' rows;
    the build's files and earlier segments are linked into the new version unchanged."""
    import faiss

    from .dense import VectorIndex
    from .index import HASH_LIMIT, _DenseTexts, _sha256, _write_json_atomic
    from .lexical import LexicalIndex, Tokenizer

    s = manifest["settings"]
    segments, deleted, counts = _tombstones(manifest, real, drop)
    extra: dict = {"segments": segments, "deleted": len(deleted)}
    build = indexdir.Build(folder)  # the build lock and a fresh folder; published by switching the link
    tmp = build.dir
    written = ["docs.json"]
    try:
        _link_tree(real, tmp, skip={"manifest.json", "manifest.json.part", "docs.json", "deleted.npy"})
        if new_clauses:
            lexicon = (real / LEXICON).read_text(encoding="utf-8") if (real / LEXICON).exists() else ""
            tokenizer = Tokenizer(bigrams=s["bigrams"], lexicon=lexicon)
            c_tok, p_tok, para_of = _new_tokens(tokenizer, new_clauses)
            seg_dir = _add_segment(tmp, manifest, new_clauses, para_of, segments, counts, extra)
            lexical = LexicalIndex(s["k1"], s["b"], s["context_weight"])
            lexical.build(c_tok, p_tok, para_of)
            lexical.save(seg_dir / "lexical")
            flat = VectorIndex(faiss.IndexFlatIP(embedder.dim))  # exact: an update's segment is small
            texts = _DenseTexts(list(new_clauses))
            for a in range(0, len(texts), 16_384):
                flat.add(embedder.encode_documents(texts[a : a + 16_384]))
            flat.save(seg_dir / "dense.faiss")
            written += [p.relative_to(tmp).as_posix() for p in seg_dir.rglob("*") if p.is_file()]
        if deleted:
            np.save(tmp / "deleted.npy", np.asarray(sorted(deleted), dtype=np.int64), allow_pickle=False)
            written.append("deleted.npy")
        write_docs(tmp, docs)
        counts.update(documents=len(docs), skipped=len(skipped))
        files = {rel: meta for rel, meta in manifest["files"].items() if rel not in ("docs.json", "deleted.npy")}
        for rel in written:
            size = (tmp / rel).stat().st_size
            files[rel] = {"size": size, "sha256": _sha256(tmp / rel) if size <= HASH_LIMIT else None}
        new = _updated_manifest(manifest, dict(sorted(files.items())), counts, skipped, fingerprint, records, change, extra)
        _write_json_atomic(tmp / "manifest.json", new)
        build.publish()
    except OSError as e:
        raise build.write_error(e) from e
    finally:
        build.close()


def _update_milvus(index, folder: Path, corpus: Corpus, keep: np.ndarray, new_clauses, drop: set[str], manifest, fingerprint, records, change):
    """Upsert the new rows and delete the dropped ones in the live collection, adjust the
    document frequencies in sparse/; the clause files change as a local index's do: the new
    documents' clauses are one more segment, the dropped rows are tombstones, and every other
    file is linked into the new version unchanged (an index from before Milvus had segments, or
    one past the compaction threshold, has its clauses written again as one segment — the
    collection is never rebuilt for that)."""
    from . import indexdir
    from . import milvus_store as ms
    from .index import Index, _DenseTexts, _file_list, _write_corpus, _write_json_atomic, paragraph_units, segment_record
    from .lexical import tokenize

    store = manifest["store"]
    real = indexdir.resolve(folder)
    terms = ms.Terms.load(real / "sparse")
    # Frequencies of the dropped documents' clauses and paragraphs come off.
    gone = [c for c, k in zip(index.corpus.clauses, keep) if not k]
    gone_ptexts, _ = paragraph_units(gone)
    old_tok = tokenize(index.tokenizer, [c.text for c in gone] + gone_ptexts)
    for i in range(len(old_tok)):
        cols = [terms.ids[t] for t in set(old_tok.tokens(i)) if t in terms.ids]
        (terms.df_clause if i < len(gone) else terms.df_para)[cols] -= 1
    new_c, new_p, new_para_of = _new_tokens(index.tokenizer, new_clauses)
    st = terms.stats
    cvec, df_c = ms.saturation(new_c, terms.add_terms(new_c.terms), st["k1"], st["b"], st["avgdl_clause"])
    pvec, df_p = ms.saturation(new_p, terms.add_terms(new_p.terms), st["k1"], st["b"], st["avgdl_paragraph"])
    terms.df_clause[: len(df_c)] += df_c
    terms.df_para[: len(df_p)] += df_p
    st["clauses"] = len(corpus.clauses)
    st["paragraphs"] = len(paragraph_units(corpus.clauses)[0])
    uri = ms.resolve_uri(real, store.get("uri"))
    client = ms.connect(uri)
    docs_by_id = corpus.by_doc
    texts = _DenseTexts(list(new_clauses))
    new_ids = {c.id for c in new_clauses}
    try:
        # New rows first (upsert replaces a clause whose id stayed), then the dropped ones go.
        for a in range(0, len(new_clauses), ms.BATCH):
            dense = index.embedder.encode_documents(texts[a : a + ms.BATCH])
            client.upsert(store["alias"], ms.rows_of(new_clauses[a : a + ms.BATCH], docs_by_id, cvec, pvec, new_para_of, dense, a))
        stale = [c.id for c in gone if c.id not in new_ids]
        for a in range(0, len(stale), 1000):
            client.delete(store["alias"], ids=stale[a : a + 1000])
        client.flush(store["alias"])
    except Exception as e:
        raise ms.StoreError(f"更新 Milvus 集合失败：{ms._one_line(e)}") from e
    build = indexdir.Build(folder)  # the build lock and a fresh folder; published by switching the link
    tmp = build.dir
    moved = False
    rewritten = {"manifest.json", "manifest.json.part", "docs.json", "deleted.npy", "sparse", "milvus"}
    try:
        if compaction_due(manifest, drop, len(new_clauses)):
            _link_tree(real, tmp, skip=rewritten | {"clauses.jsonl", "segments"})
            _write_corpus(tmp, corpus, list(corpus.clauses))
            counts = _counts(corpus)
            extra = {"segments": [segment_record("", corpus.clauses, paragraph_units(corpus.clauses)[1])], "deleted": 0}
        else:
            segments, deleted, counts = _tombstones(manifest, real, drop)
            extra = {"segments": segments, "deleted": len(deleted)}
            _link_tree(real, tmp, skip=rewritten)
            if new_clauses:
                _add_segment(tmp, manifest, new_clauses, new_para_of, segments, counts, extra)
            if deleted:
                np.save(tmp / "deleted.npy", np.asarray(sorted(deleted), dtype=np.int64), allow_pickle=False)
            write_docs(tmp, corpus.docs)
            counts.update(documents=len(corpus.docs), skipped=len(corpus.skipped))
        terms.save(tmp / "sparse")
        new = _updated_manifest(manifest, _file_list(tmp), counts, corpus.skipped, fingerprint, records, change, extra)
        _write_json_atomic(tmp / "manifest.json", new)
        if not store.get("uri"):  # the Lite database moves into the new version
            ms.disconnect(uri)
            os.replace(real / "milvus", tmp / "milvus")
            moved = True
        build.publish()
        moved = False
    except OSError as e:
        raise build.write_error(e) from e
    finally:
        if moved and not (real / "milvus").exists():  # never lose the database with the unpublished folder
            os.replace(tmp / "milvus", real / "milvus")
        build.close()
    return Index(folder, new, corpus, index.tokenizer, None, None, index.embedder, index.notes, ms.MilvusStore.open(indexdir.resolve(folder), new, corpus))


# ---------------------------------------------------------------------------------------
# Opening an index


def open_index(
    folder: Path | None = None,
    seeds: Path | None = None,
    settings: Settings | None = None,
    rebuild: bool = True,
    log=None,
) -> Index:
    """The index in `folder`: updated when only documents changed, built or rebuilt from `seeds`
    when missing, stale or corrupt.

    With rebuild=False a missing, stale or corrupt index raises BadIndex instead.
    """
    folder = Path(folder or default_index_dir())
    seeds = Path(seeds) if seeds else None
    log = log or (lambda msg: print(msg, file=sys.stderr))
    reason = ""
    store: dict = {}
    try:
        manifest = read_manifest(folder)
        store = manifest.get("store") or {}
        if seeds is None and manifest.get("seeds_dir"):
            candidate = Path(manifest["seeds_dir"])
            candidate = candidate if candidate.is_absolute() else repo_root() / candidate
            seeds = candidate if candidate.is_dir() else None
        reason = stale_reason(manifest, seeds, settings)
        if not reason:
            return load_index(folder)
        if rebuild and seeds is not None and reason.startswith("文档已改变"):
            indexdir.check_writable(folder)
            log(f"正在更新索引 {indexdir.shown(folder)}：{reason}")
            index, update = update_index(folder, seeds, log=log)
            log(update.describe())
            return index
    except BadIndex as e:
        reason = str(e)
    if not rebuild:
        raise BadIndex(f"{reason}；请运行 qa index 重建")
    seeds = seeds or default_seeds_dir()
    if not Path(seeds).is_dir():
        raise BadIndex(f"{reason}；也找不到可用来重建的文档目录 {seeds}")
    indexdir.check_target(folder, seeds)  # a folder the program did not make is refused, untouched
    indexdir.check_writable(folder)
    log(f"正在重建索引 {indexdir.shown(folder)}：{reason}")
    return build_index(folder, seeds, settings or Settings(), log=log, backend=store.get("backend", "local"), milvus_uri=store.get("uri"))
