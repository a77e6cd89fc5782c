"""Incremental ingest: a new, changed or removed document updates the index without rebuilding the rest.

The manifest records which file became which document and a hash of each file's catalog
entry. An update compares them with the folder now, loads and segments only the files that
are new or changed, and replaces their documents' clauses in the store:

- local: the kept clauses' token ids (saved at build, lexical/tokens) and the new documents'
  tokens make the BM25 arrays again (numpy, no re-tokenizing); the FAISS index keeps its
  trained cells and receives the kept vectors and the new ones.
- milvus: the new documents' rows are upserted and the removed ones deleted in the live
  collection; document frequencies in sparse/ are adjusted.

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

import os
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import indexdir
from .corpus import Corpus, file_records, info
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
)
from .lexical import _rows, concat, load_tokens, save_tokens
from .segment import Segmenter
from .text import LEXICON, admit, read_catalog, repo_root

DRIFT_LIMIT = 0.20  # refit the corpus embedder when more than this share of added n-grams is unknown to it
_WS = re.compile(r"\s\s+")


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


def update_index(folder: Path, seeds: Path | None = None, log=None):
    """Bring an index up to date with its documents, touching only what changed.

    Returns (index, Update). Falls back to a full build (and says why) when the program or
    settings changed, when the index predates incremental updates, or when the corpus
    embedder's vocabulary drifts past DRIFT_LIMIT.
    """
    from .index import (
        Settings,
        build_index,
        default_seeds_dir,
        load_index,
        read_manifest,
        stale_reason,
    )
    from .text import load_file, repo_root

    folder = Path(folder)
    log = log or (lambda msg: None)
    t0 = time.perf_counter()
    manifest = read_manifest(folder)
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
    index = load_index(folder)
    if not touched and not gone:
        if fingerprint != manifest.get("seeds"):  # only catalog.toml's unrelated lines changed
            manifest = {**manifest, "seeds": fingerprint}
            from .index import _write_json_atomic

            _write_json_atomic(folder / "manifest.json", manifest)
            index.manifest = manifest
        return index, Update(seconds=round(time.perf_counter() - t0, 2))

    # Load and segment the new and changed files only.
    catalog = read_catalog(seeds)
    kept_docs = [d for d in index.corpus.docs if d.id not in drop]
    taken = {d.id for d in kept_docs}
    skipped = [s for s in index.corpus.skipped if s.path not in set(touched) | set(gone)]
    segmenter = Segmenter(settings.topic_max, settings.split_min)
    new_docs, new_clauses, doc_files = [], [], {k: v for k, v in manifest["doc_files"].items() if k not in set(touched) | set(gone)}
    for rel in touched:
        doc = load_file(seeds, seeds / rel, catalog, settings.max_doc_mb)
        if not admit(doc, rel, taken, skipped):
            continue
        doc_files[rel] = doc.id
        new_docs.append(info(doc))
        new_clauses.extend(segmenter.segment(doc))
    old_ids = {d.id for d in index.corpus.docs}
    new_ids = {d.id for d in new_docs}
    added = tuple(sorted(new_ids - old_ids))
    replaced = tuple(sorted(new_ids & drop))
    removed = tuple(sorted(drop - new_ids))
    kept_docs_ids = {d.id for d in kept_docs}
    if not kept_docs and not new_docs:
        raise QAError(f"{seeds} 中已没有可用的文档：索引保持原样")

    from .index import dense_text

    counts = unknown_ngrams(index.embedder, [dense_text(c) for c in new_clauses])
    drift = None
    if counts is not None:  # everything added since the embedder was fitted counts
        before = manifest.get("embedder_drift") or {"unknown": 0, "total": 0}
        counts = (before["unknown"] + counts[0], before["total"] + counts[1])
        drift = counts[0] / counts[1] if counts[1] else 0.0
    if drift is not None and drift > DRIFT_LIMIT:
        return rebuild(f"新增文档有 {drift:.0%} 的字和词组不在语料向量器的词表中（阈值 {DRIFT_LIMIT:.0%}），已重新训练向量器并重算全部向量")
    keep = np.fromiter((c.doc_id in kept_docs_ids for c in index.corpus.clauses), dtype=bool, count=len(index.corpus.clauses))
    clauses = [c for c, k in zip(index.corpus.clauses, keep) if k] + new_clauses
    corpus = Corpus(tuple(kept_docs) + tuple(new_docs), tuple(clauses), tuple(skipped))
    records = file_records(seeds, doc_files)
    note = "" if drift is None else f"训练以来新增文本的词表变化 {drift:.0%}，未超过阈值 {DRIFT_LIMIT:.0%}，语料向量器沿用原有训练"
    change = {"added": added, "replaced": replaced, "removed": removed, "drift": None if drift is None else round(drift, 4), "note": note, "counts": counts}
    if store.get("backend") == "milvus":
        index = _update_milvus(index, folder, corpus, keep, new_clauses, drop, manifest, fingerprint, records, change)
    else:
        index = _update_local(index, folder, corpus, keep, new_clauses, manifest, fingerprint, records, change)
    update = Update(added, replaced, removed, False, change["drift"], round(time.perf_counter() - t0, 2), note)
    index.manifest["update"]["seconds"] = update.seconds
    return index, update


def _new_tokens(tokenizer, new_clauses):
    """Token ids of the new clauses and of their paragraphs, and their paragraph of each clause."""
    from .index import paragraph_units
    from .lexical import tokenize

    ptexts, para_of = paragraph_units(new_clauses)
    tok = tokenize(tokenizer, [c.text for c in new_clauses] + ptexts)
    n = len(new_clauses)
    return _rows(tok, np.arange(n)), _rows(tok, np.arange(n, n + len(ptexts))), np.asarray(para_of, dtype=np.int64)


def _finish(index, folder: Path, tmp: Path, corpus: Corpus, manifest: dict, fingerprint: dict, records: dict, change: dict, extra: dict):
    """Write the corpus files and the manifest into tmp and swap it in."""
    from .index import _file_list, _write_corpus, _write_json_atomic, paragraph_units

    _write_corpus(tmp, corpus, list(corpus.clauses))
    from . import indexdir

    real = indexdir.resolve(folder)
    shutil.copytree(real / "embedder", tmp / "embedder")
    if (real / LEXICON).exists():  # the corpus's own words, unchanged (a change rebuilds)
        shutil.copy2(real / LEXICON, tmp / LEXICON)
    counts = {
        "documents": len(corpus.docs),
        "clauses": len(corpus.clauses),
        "paragraphs": len(paragraph_units(corpus.clauses)[0]),
        "facts": sum(len(c.facts) for c in corpus.clauses),
        "skipped": len(corpus.skipped),
    }
    new = {
        **manifest,
        **extra,
        **records,
        "seeds": fingerprint,
        "counts": counts,
        "skipped": [asdict(s) for s in corpus.skipped],
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "update": {k: list(v) if isinstance(v, tuple) else v for k, v in change.items() if k != "counts"},
        **({"embedder_drift": {"unknown": change["counts"][0], "total": change["counts"][1]}} if change.get("counts") else {}),
    }
    new["files"] = _file_list(tmp)
    _write_json_atomic(tmp / "manifest.json", new)
    return new


def _update_local(index, folder: Path, corpus: Corpus, keep: np.ndarray, new_clauses, manifest, fingerprint, records, change):
    import faiss

    from . import indexdir
    from .dense import VectorIndex
    from .index import Index, _DenseTexts
    from .lexical import LexicalIndex

    tokens_dir = indexdir.resolve(folder) / "lexical" / "tokens"
    if not tokens_dir.is_dir():
        raise QAError("索引缺少增量更新所需的分词记录（由旧版程序建立）")
    old_c, old_p = load_tokens(tokens_dir)
    keep_rows = np.flatnonzero(keep)
    old_para_of = index.lexical.para_of
    kept_paras = np.unique(old_para_of[keep_rows])
    remap = np.full(int(old_para_of.max(initial=-1)) + 1, -1, dtype=np.int64)
    remap[kept_paras] = np.arange(len(kept_paras))
    new_c, new_p, new_para_of = _new_tokens(index.tokenizer, new_clauses)
    clause_tokens = concat(_rows(old_c, keep_rows), new_c)
    para_tokens = concat(_rows(old_p, kept_paras), new_p)
    para_of = np.concatenate([remap[old_para_of[keep_rows]], len(kept_paras) + new_para_of])
    s = manifest["settings"]
    lexical = LexicalIndex(s["k1"], s["b"], s["context_weight"])
    lexical.build(clause_tokens, para_tokens, para_of)
    # Same cells (an IVF index stays trained): the kept vectors as stored, then the new ones.
    old = index.vectors.index
    fresh = faiss.clone_index(old)
    fresh.reset()
    for a in range(0, len(keep_rows), 65_536):
        fresh.add(old.reconstruct_batch(keep_rows[a : a + 65_536].astype(np.int64)))
    texts = _DenseTexts(list(new_clauses))
    for a in range(0, len(texts), 16_384):
        fresh.add(np.ascontiguousarray(index.embedder.encode_documents(texts[a : a + 16_384]), dtype=np.float32))
    vectors = VectorIndex(fresh)
    build = indexdir.Build(folder)  # the build lock and a fresh folder; published by switching the link
    tmp = build.dir
    try:
        lexical.save(tmp / "lexical")
        save_tokens(tmp / "lexical" / "tokens", clause_tokens, para_tokens)
        vectors.save(tmp / "dense.faiss")
        new = _finish(index, folder, tmp, corpus, manifest, fingerprint, records, change, {"faiss": vectors.describe()})
        build.publish()
    except OSError as e:
        raise build.write_error(e) from e
    finally:
        build.close()
    return Index(folder, new, corpus, index.tokenizer, lexical, vectors, index.embedder, index.notes)


def _update_milvus(index, folder: Path, corpus: Corpus, keep: np.ndarray, new_clauses, drop: set[str], manifest, fingerprint, records, change):
    from . import indexdir
    from . import milvus_store as ms
    from .index import Index, _DenseTexts, paragraph_units
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
    try:
        terms.save(tmp / "sparse")
        new = _finish(index, folder, tmp, corpus, manifest, fingerprint, records, change, {})
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
