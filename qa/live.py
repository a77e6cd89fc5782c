"""An index that follows its documents while a program (the app) keeps serving.

    live = LiveIndex(index_dir, seeds)          # opens the index, building it when needed
    index = live.current()                      # the index to answer from (checks the seeds, cheaply)
    live.status().notice                        # "文件已更新，正在重建索引…" while a rebuild runs
    answerer = live.derived("answerer", Answerer)   # made once per index version
    answer = live.verified(answerer.answer(q))  # citations re-checked against the files as they are now

`current()` looks at the seeds folder at most every `check_seconds`: the names, sizes and
modification times of its files (no reading). When they changed it starts a rebuild in a
background thread and keeps answering from the index it has; when the rebuild is done the next
`current()` returns the new index. `refresh()` asks for that check now (an upload would call it
after writing a file into the seeds folder); `refresh(wait=True)` returns when the index is up
to date.

Citations are checked before they are shown (`holds`, `verified`): the quote, with whitespace
removed, must be inside the raw text of the cited lines of the file as it is now, whitespace
removed (DESIGN invariant 1). A citation that fails is dropped, and an answer whose text leans on
a dropped citation is replaced by a notice.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from .errors import QAError
from .index import Index, Settings, build_index, default_index_dir, open_index, stale_reason
from .text import read_raw, repo_root, seed_files

REBUILDING = "文件已更新，正在重建索引…"
STALE_ANSWER = "文件已更新，这个答案引用的原文已经改变，暂不显示；正在重建索引，请稍后再问一次。"
_WS = re.compile(r"\s+")


def seeds_signature(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, modification time in ns) of every file of a seeds folder, the catalog included; cheap."""
    folder = Path(folder)
    out = {}
    if not folder.is_dir():
        return out
    for p in seed_files(folder) + [folder / "catalog.toml"]:
        try:
            st = p.stat()
        except OSError:
            continue
        out[p.relative_to(folder).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


@dataclass(frozen=True)
class Status:
    state: str  # ready | rebuilding | failed
    generation: int  # +1 each time a new index is switched in
    notice: str = ""  # for people: shown beside answers while not ready
    changed: tuple[str, ...] = ()  # files that differ from the index in use
    error: str = ""  # why the last rebuild failed


def _nows(text: str) -> str:
    return _WS.sub("", text)


class SourceLines:
    """The raw lines of source files as they are now, re-read when a file's size or time changes."""

    def __init__(self, limit: int = 64):
        self._cache: OrderedDict[Path, tuple[tuple[int, int], list[str] | None]] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    @staticmethod
    def path_of(source: str) -> Path:
        p = Path(source)
        return p if p.is_absolute() else repo_root() / p

    def lines(self, source: str) -> list[str] | None:
        path = self.path_of(source)
        try:
            st = path.stat()
        except OSError:
            return None
        key = (st.st_size, st.st_mtime_ns)
        with self._lock:
            hit = self._cache.get(path)
            if hit is not None and hit[0] == key:
                self._cache.move_to_end(path)
                return hit[1]
        try:
            raw, _ = read_raw(path)
            lines = raw.split("\n")
        except (OSError, ValueError):
            lines = None
        with self._lock:
            self._cache[path] = (key, lines)
            while len(self._cache) > self._limit:
                self._cache.popitem(last=False)
        return lines

    def holds(self, citation) -> bool:
        """DESIGN invariant 1 against the file as it is now: the cited lines contain the quote."""
        lines = self.lines(citation.source)
        a, b = citation.line_start, citation.line_end
        if lines is None or not 1 <= a <= b <= len(lines):
            return False
        quote = _nows(citation.quote)
        return bool(quote) and quote in _nows("\n".join(lines[a - 1 : b]))


class LiveIndex:
    """The index in use, rebuilt in the background when its seeds change. Thread-safe."""

    def __init__(
        self,
        folder: Path | None = None,
        seeds: Path | None = None,
        settings: Settings | None = None,
        check_seconds: float = 3.0,
        log=None,
        index: Index | None = None,
    ):
        self.folder = Path(folder or default_index_dir())
        self.log = log or (lambda msg: None)
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._signature = {}
        seeds = Path(seeds) if seeds else None
        if index is None:
            before = seeds_signature(seeds) if seeds else {}
            index = open_index(self.folder, seeds, settings, log=self.log)
        else:
            before = None
        self.seeds = seeds or self._recorded_seeds(index)
        self._signature = before if before is not None and seeds else seeds_signature(self.seeds) if self.seeds else {}
        self.settings = settings or self._recorded_settings(index)
        self._index = index
        self._generation = 0
        self._checked = time.monotonic()
        self._thread: threading.Thread | None = None
        self._changed: tuple[str, ...] = ()
        self._error = ""
        self._forced: dict | None = None
        self._derived: dict[str, tuple[int, object]] = {}
        self.sources = SourceLines()

    @staticmethod
    def _recorded_seeds(index: Index) -> Path | None:
        recorded = index.manifest.get("seeds_dir")
        if not recorded:
            return None
        p = Path(recorded)
        return p if p.is_absolute() else repo_root() / p

    @staticmethod
    def _recorded_settings(index: Index) -> Settings:
        saved = index.manifest.get("settings", {})
        known = {f.name for f in dataclasses.fields(Settings)}
        return Settings(**{k: v for k, v in saved.items() if k in known})

    # -- the index in use ---------------------------------------------------------------

    def current(self) -> Index:
        """The index to answer from; looks at the seeds when `check_seconds` have passed."""
        if time.monotonic() - self._checked >= self.check_seconds:
            self._check()
        return self._index

    @property
    def generation(self) -> int:
        return self._generation

    def status(self) -> Status:
        with self._lock:
            if self._thread is not None:
                return Status("rebuilding", self._generation, REBUILDING, self._changed)
            if self._error:
                return Status("failed", self._generation, f"文件已更新，但重建索引失败：{self._error}；仍按旧索引回答", self._changed, self._error)
            return Status("ready", self._generation)

    def refresh(self, wait: bool = False, timeout: float | None = None) -> Status:
        """Look at the seeds now (rebuilding when they changed); with wait=True return when done."""
        self._check()
        if wait:
            thread = self._thread
            if thread is not None:
                thread.join(timeout)
        return self.status()

    def derived(self, name: str, factory):
        """factory(index), made once per index version (answerers, views, tables)."""
        index, generation = self._index, self._generation
        with self._lock:
            hit = self._derived.get(name)
            if hit is not None and hit[0] == generation:
                return hit[1]
        value = factory(index)
        with self._lock:
            if generation == self._generation:
                self._derived[name] = (generation, value)
        return value

    # -- citations ----------------------------------------------------------------------

    def holds(self, citation) -> bool:
        return self.sources.holds(citation)

    def verified(self, answer):
        """The answer with every citation that no longer holds removed (and the text, if it cites one)."""
        bad = {c.n for c in answer.citations if not self.holds(c)}
        if not bad:
            return answer
        self._check(force=True)  # the files changed under the index: look now, not in a few seconds
        kept = tuple(c for c in answer.citations if c.n not in bad)
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)} | {f.citation for f in answer.facts}
        if cited & bad:
            return dataclasses.replace(answer, answer=STALE_ANSWER, abstained=True, citations=kept, facts=(), conflicts=())
        return dataclasses.replace(answer, citations=kept)

    def verified_verdict(self, verdict):
        """A claim check whose evidence all still holds, else None (the caller shows the notice)."""
        if all(self.holds(c) for c in verdict.evidence):
            return verdict
        self._check(force=True)
        return None

    # -- rebuilding ---------------------------------------------------------------------

    def _check(self, force: bool = False) -> None:
        """Start a rebuild when the seeds' names, sizes or times changed (force: also when they did not,
        once per state of the folder: a quote failed, so the content changed within one time tick)."""
        with self._lock:
            if self._thread is not None or self.seeds is None:
                return
            self._checked = time.monotonic()
            signature = seeds_signature(self.seeds)
            if signature == self._signature and not (force and self._forced != signature):
                return
            if force:
                self._forced = signature
            self._changed = tuple(sorted(k for k in set(signature) | set(self._signature) if signature.get(k) != self._signature.get(k)))
            self._thread = threading.Thread(target=self._rebuild, args=(signature,), name="qa-rebuild", daemon=True)
            self._thread.start()

    def _rebuild(self, signature: dict) -> None:
        try:
            reason = stale_reason(self._index.manifest, self.seeds, self.settings)
            if reason:
                self.log(f"正在重建索引 {self.folder}：{reason}")
                index = build_index(self.folder, self.seeds, self.settings, log=self.log)
            else:
                index = None  # touched, not changed
            with self._lock:
                if index is not None:
                    self._index = index
                    self._generation += 1
                    self._derived.clear()
                self._signature = signature
                self._error = ""
        except (QAError, OSError, ValueError) as e:
            with self._lock:
                self._signature = signature  # tried for this state of the folder; a further change retries
                self._error = str(e) if isinstance(e, QAError) else f"{type(e).__name__}: {e}"
            self.log(f"重建索引失败：{self._error}")
        finally:
            with self._lock:
                self._thread = None


__all__ = ["LiveIndex", "Status", "SourceLines", "seeds_signature", "REBUILDING", "STALE_ANSWER"]
