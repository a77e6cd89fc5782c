"""Where an index lives on disk, and the rules that keep a user's files safe (DESIGN invariant 8).

An index folder `DIR` is a symbolic link to a versioned sibling, `.DIR.v-<stamp>`, which holds
the files. A build

1. refuses a DIR that the program did not make (`check_target`): a non-empty folder that is
   not an index, a file, a foreign symbolic link, the seeds folder, a folder inside it, or any
   folder that holds the seeds, the repository or the home folder — nothing is touched;
2. takes a lock (`build_lock`, flock on `.DIR.lock` beside it), so two builds of one index run
   one after the other instead of tearing each other's files;
3. removes what killed builds left (`.DIR.tmp-*`), writes into a fresh `.DIR.tmp-<pid>`
   (`new_build_dir`) — or, for a build of the same documents and settings (the signature in
   its `progress.json`), takes over the folder a killed build left and continues it — and
4. publishes it (`publish`): renames it to a new version folder and switches the link with
   one rename(2), so a reader sees the old index or the new one and never a missing one. The
   previous version is kept (a reader may still be reading it) and older ones are removed.

Readers resolve the link once (`resolve`) and read every file from that one version.
An index folder written by older code (a plain folder holding exactly the index files and a
manifest) is still recognized, and becomes a version folder on its next rebuild.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import QAError

MARK_KEY, MARK = "made_by", "policy-qa index"  # in every manifest the program writes
# What an index folder of the previous layout holds (nothing else is ever deleted with it).
LEGACY_NAMES = {"manifest.json", "manifest.json.part", "docs.json", "clauses.jsonl", "lexical", "dense.faiss", "embedder", "lexicon.txt"}


class UnsafeFolder(QAError):
    """The folder given for an index holds something the program did not make."""


class IndexWriteError(QAError):
    """The index folder (or its parent) cannot be written."""


def _abs(folder: Path) -> Path:
    """An absolute path with its parent resolved and its last part kept (a link stays a link)."""
    folder = Path(os.path.abspath(os.path.expanduser(folder)))
    return folder.parent.resolve() / folder.name if folder.name else folder.resolve()


def _prefix(folder: Path, kind: str) -> str:
    return f".{folder.name}.{kind}-"


def _is_our_link(folder: Path) -> bool:
    if not folder.is_symlink():
        return False
    target = os.readlink(folder)
    return os.sep not in target and target.startswith(_prefix(folder, "v"))


def _is_legacy_index(folder: Path) -> bool:
    names = {p.name for p in folder.iterdir()}
    if not names <= LEGACY_NAMES or "manifest.json" not in names:
        return False
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "format" in manifest and "files" in manifest


def is_index_folder(folder: Path) -> bool:
    """A folder this program made: its link to a version folder, or an index of the older layout."""
    folder = _abs(folder)
    if _is_our_link(folder):
        return True
    if folder.is_symlink() or not folder.is_dir():
        return False
    return _is_legacy_index(folder)


def shown(path: Path) -> str:
    """The folder as the user named it (a link is not followed): relative to the repository when inside it."""
    from .text import repo_root

    path = _abs(path)
    try:
        return path.relative_to(repo_root().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


_shown = shown


def check_target(folder: Path, seeds: Path | None = None) -> None:
    """Raise UnsafeFolder unless building an index at `folder` can only replace what the program made."""
    from .text import repo_root

    target = _abs(folder)
    real = target.resolve()
    protected = [(Path(seeds), "文档目录")] if seeds is not None else []
    protected += [(repo_root(), "项目目录"), (Path.home(), "用户主目录")]
    for path, what in protected:
        p = _abs(path).resolve()
        if real == p or real in p.parents or target == p or target in _abs(path).parents:
            holds = "就是" if real == p else "包含"
            raise UnsafeFolder(f"拒绝把 {_shown(target)} 用作索引目录：它{holds}{what} {_shown(p)}，重建索引会删除其中的文件；请用 --index 指定一个新的目录")
    if seeds is not None and _abs(seeds).resolve() in real.parents:
        raise UnsafeFolder(f"拒绝把 {_shown(target)} 用作索引目录：它在文档目录 {_shown(Path(seeds))} 之内；请把索引放在文档目录之外")
    if _is_our_link(target):
        return
    if target.is_symlink():
        raise UnsafeFolder(f"拒绝把 {_shown(target)} 用作索引目录：它是指向 {os.readlink(target)} 的符号链接，不是本程序建立的索引")
    if not target.exists():
        return
    if not target.is_dir():
        raise UnsafeFolder(f"拒绝把 {_shown(target)} 用作索引目录：它是一个文件，不是目录")
    try:
        empty = not any(target.iterdir())
    except OSError as e:
        raise IndexWriteError(f"无法读取索引目录 {_shown(target)}（{e.strerror or e}）") from e
    if empty or _is_legacy_index(target):
        return
    raise UnsafeFolder(f"拒绝把 {_shown(target)} 用作索引目录：其中有不是本程序建立的文件，重建索引会删除它们；请用 --index 指定一个空目录或新的目录")


def check_writable(folder: Path) -> None:
    """Raise IndexWriteError now, before a long rebuild starts, when the index cannot be written."""
    folder = _abs(folder)
    probe = folder.parent / f"{_prefix(folder, 'tmp')}probe-{os.getpid()}-{threading.get_ident()}"
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        probe.mkdir()
        probe.rmdir()
    except OSError as e:
        raise IndexWriteError(f"无法写入索引目录 {shown(folder)}（{e.strerror or e}），索引需要重建；请检查权限或用 --index 换一个目录") from e


def resolve(folder: Path) -> Path:
    """The version folder a reader reads from (the folder itself for the older layout)."""
    folder = Path(folder)
    return folder.resolve() if folder.is_symlink() else folder


# ---------------------------------------------------------------------------------------
# Lock


_held = threading.local()


@contextmanager
def build_lock(folder: Path):
    """An exclusive lock for building `folder` (blocks while another build holds it); re-entrant in a thread."""
    folder = _abs(folder)
    key = str(folder)
    held = getattr(_held, "locks", None)
    if held is None:
        held = _held.locks = {}
    if key in held:
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder.parent / f".{folder.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise IndexWriteError(f"无法写入索引目录 {_shown(folder)} 所在的目录（{e.strerror or e}）") from e
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held[key] = 1
        try:
            yield
        finally:
            del held[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------
# Build folders and publishing


def _siblings(folder: Path, kind: str) -> list[Path]:
    prefix = _prefix(folder, kind)
    try:
        return [p for p in folder.parent.iterdir() if p.name.startswith(prefix)]
    except FileNotFoundError:
        return []


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def remove_leftovers(folder: Path, keep: tuple[Path, ...] = ()) -> list[Path]:
    """Remove what killed or older builds left beside `folder` (call with the build lock held)."""
    folder = _abs(folder)
    keep_names = {p.name for p in keep}
    current = resolve(folder) if _is_our_link(folder) else None
    if current is not None:
        keep_names.add(current.name)
    gone = []
    for kind in ("tmp", "old", "link", "v"):
        for p in _siblings(folder, kind):
            if p.name not in keep_names:
                _remove(p)
                gone.append(p)
    return gone


PROGRESS = "progress.json"  # in a build folder: what a build has finished, and for which documents and settings


def resumable(folder: Path, signature: str) -> Path | None:
    """The build folder a killed build of the same documents and settings left (call with the
    build lock held: then no other build is writing one), the most advanced first."""
    best, done = None, -1
    for p in _siblings(_abs(folder), "tmp"):
        try:
            progress = json.loads((p / PROGRESS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(progress, dict) and progress.get("signature") == signature and len(progress.get("done", ())) > done:
            best, done = p, len(progress["done"])
    return best


def new_build_dir(folder: Path, resume: str | None = None) -> tuple[Path, bool]:
    """A folder to build into, beside `folder` (call with the build lock held): a fresh one, or
    with `resume` (a build signature) the folder a killed build of the same signature left,
    taken over to continue. Other leftovers are removed. Returns (folder, resumed)."""
    folder = _abs(folder)
    tmp = folder.parent / f"{_prefix(folder, 'tmp')}{os.getpid()}-{threading.get_ident()}"
    found = resumable(folder, resume) if resume else None
    if found is not None and found != tmp:
        _remove(tmp)
        os.rename(found, tmp)
    remove_leftovers(folder, keep=tuple(_siblings(folder, "v")) + ((tmp,) if found is not None else ()))
    if found is None:
        _remove(tmp)
        tmp.mkdir(parents=True)
    return tmp, found is not None


def publish(built: Path, folder: Path) -> Path:
    """Make the finished build `built` the index at `folder`, atomically; returns its version folder."""
    folder = _abs(folder)
    version = folder.parent / f"{_prefix(folder, 'v')}{time.time_ns()}"
    os.rename(built, version)
    previous: Path | None = None
    if _is_our_link(folder):
        previous = resolve(folder)
    elif folder.is_dir() and not folder.is_symlink():
        if any(folder.iterdir()):  # an index of the older layout: it becomes the previous version
            previous = folder.parent / f"{_prefix(folder, 'v')}{time.time_ns()}-legacy"
            os.rename(folder, previous)
        else:
            folder.rmdir()
    link = folder.parent / f"{_prefix(folder, 'link')}{os.getpid()}-{threading.get_ident()}"
    _remove(link)
    os.symlink(version.name, link)
    os.replace(link, folder)  # the switch: one rename(2)
    remove_leftovers(folder, keep=(version,) + ((previous,) if previous else ()))
    return version


class Build:
    """One build of the index at `folder`: holds the build lock from creation to close().

        build = Build(folder)      # waits for another build of the same folder to finish
        ... write into build.dir ...
        build.publish()            # the switch
        build.close()              # removes build.dir if unpublished, releases the lock
    """

    def __init__(self, folder: Path, resume: str | None = None):
        self.folder = Path(folder)
        self._lock = build_lock(self.folder)
        self._lock.__enter__()
        try:
            self.dir, self.resumed = new_build_dir(self.folder, resume)
        except OSError as e:
            self._lock.__exit__(None, None, None)
            raise self.write_error(e) from e
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise

    def publish(self) -> Path:
        return publish(self.dir, self.folder)

    def write_error(self, e: OSError) -> IndexWriteError:
        return IndexWriteError(f"无法写入索引目录 {_shown(_abs(self.folder))}（{e.strerror or e}）")

    def close(self) -> None:
        try:
            _remove(self.dir)
        finally:
            self._lock.__exit__(None, None, None)
