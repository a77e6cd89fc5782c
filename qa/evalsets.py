"""The named question sets `qa eval --set` runs, each over the documents it was written for.

A set pairs a question file with the seeds folders indexed together for it:

- `seeds`: eval/dev.jsonl over the project's seeds (the Hohhot report and communique);
- `state_council`: eval/state_council.jsonl over ../shared/corpora/state_council_reports;
- `cpc`: eval/cpc.jsonl over ../shared/corpora/cpc_congress_reports;
- `mixed`: the Hohhot questions (eval/dev.jsonl) over the seeds and the State Council reports
  in one index, to show what documents of another jurisdiction and other years do to them.

Several folders are indexed as one through a merged folder: a symbolic link to every document
and one catalog.toml holding every folder's entries. Each document keeps its own catalog entry,
and citations name the real file (paths are resolved), so line numbers are those of the original.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .text import LEXICON, read_lexicon, repo_root, seed_files


def corpora_dir() -> Path:
    """../shared/corpora beside the repository, or the folder $QA_CORPORA names."""
    env = os.environ.get("QA_CORPORA")
    return Path(env) if env else repo_root().parent / "shared" / "corpora"


@dataclass(frozen=True)
class EvalSet:
    name: str
    questions: Path
    folders: tuple[Path, ...]

    def missing(self) -> list[Path]:
        """Folders or files of this set that are not on this machine."""
        return [p for p in (self.questions, *self.folders) if not p.exists()]


def eval_sets() -> dict[str, EvalSet]:
    root, corpora = repo_root(), corpora_dir()
    dev, seeds = root / "eval" / "dev.jsonl", root / "seeds"
    state_council = corpora / "state_council_reports"
    return {
        "seeds": EvalSet("seeds", dev, (seeds,)),
        "state_council": EvalSet("state_council", root / "eval" / "state_council.jsonl", (state_council,)),
        "cpc": EvalSet("cpc", root / "eval" / "cpc.jsonl", (corpora / "cpc_congress_reports",)),
        "mixed": EvalSet("mixed", dev, (seeds, state_council)),
    }


def pick_sets(names: list[str]) -> list[EvalSet]:
    """The sets named (comma-separated names allowed; `all` is every set), in a fixed order."""
    sets = eval_sets()
    wanted: list[str] = []
    for chunk in names:
        for name in (n.strip() for n in chunk.split(",")):
            if not name:
                continue
            if name == "all":
                wanted.extend(sets)
            elif name in sets:
                wanted.append(name)
            else:
                raise InputError(f"没有名为 {name!r} 的问题集，可选：{'、'.join(sets)}、all")
    return [sets[n] for n in dict.fromkeys(wanted)]


MARK = "# Written by qa eval: the catalogs of "


def merged_folder(folders: tuple[Path, ...], dest: Path) -> Path:
    """One seeds folder holding every folder's documents (as links) and catalog entries.

    `dest` is created, or refreshed when it is a merged folder made earlier; a folder holding
    anything else is left alone and reported.
    """
    dest = Path(dest)
    if dest.exists():
        catalog, lexicon = dest / "catalog.toml", dest / LEXICON
        stray = [p for p in dest.rglob("*") if not p.is_symlink() and p.is_file() and p not in (catalog, lexicon)]
        if stray or (catalog.exists() and not catalog.read_text(encoding="utf-8").startswith(MARK)):
            raise InputError(f"{dest} 不是 qa eval 建立的合并目录，未改动；请换一个索引目录")
        for p in sorted(dest.rglob("*"), reverse=True):
            if p.is_symlink() or p in (catalog, lexicon):
                p.unlink()
            elif p.is_dir():
                p.rmdir()
    dest.mkdir(parents=True, exist_ok=True)
    parts = [MARK + ", ".join(Path(f).resolve().as_posix() for f in folders) + "\n"]
    lexicons = []
    for folder in folders:
        folder = Path(folder).resolve()
        for path in seed_files(folder):
            rel = path.relative_to(folder)
            link = dest / rel
            if link.exists() or link.is_symlink():
                raise InputError(f"合并目录时文件名重复：{rel.as_posix()}（{folder}）")
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
        if read_lexicon(folder):
            lexicons.append(f"# {folder / LEXICON}\n" + read_lexicon(folder))
        catalog = folder / "catalog.toml"
        if catalog.exists():
            parts.append(f"\n# {catalog}\n" + catalog.read_text(encoding="utf-8"))
    (dest / "catalog.toml").write_text("".join(parts), encoding="utf-8")
    if lexicons:  # each folder's own words, for the one index over all of them
        (dest / LEXICON).write_text("\n".join(lexicons), encoding="utf-8")
    return dest


def seeds_for(evset: EvalSet, index_dir: Path) -> Path:
    """The seeds folder to index for a set: its one folder, or a merged folder beside the index."""
    if len(evset.folders) == 1:
        return evset.folders[0]
    return merged_folder(evset.folders, Path(index_dir).with_name(Path(index_dir).name + ".seeds"))
