"""Adding documents to a seeds folder, and removing the ones added that way.

    draft = guess(Path("upload/关于….docx"))            # title, date, 今年, issuer, kind read from the text
    path = add_document(seeds, Path("upload/…"), draft)  # a new file in seeds/ and its catalog entry
    remove_document(seeds, path.name)                     # only what add_document added

A user's files are never overwritten or changed: a new document gets a name no file in the
folder has, and its catalog entry is appended to catalog.toml between two marker comments.
Removing a document deletes only a file that was added this way, and only its own marked
block of the catalog; anything else is refused with a message.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import InputError
from .text import (
    SUFFIXES,
    CatalogEntry,
    _date_from_text,
    _slug,
    first_heading,
    load_document,
    read_catalog,
)

MAX_BYTES = 50 * 2**20  # the largest document accepted
KINDS = {"report": "工作报告", "communique": "公报", "plan": "规划", "regulation": "法规", "other": "其他"}
_KIND_WORDS = (("report", r"报告$"), ("communique", r"公报$"), ("plan", r"规划|纲要|计划$"), ("regulation", r"条例|办法|规定|细则$"))
_ISSUER = re.compile(r"([\u4e00-\u9fff]{2,24}?(?:人民政府办公厅|人民政府办公室|人民政府|委员会办公室|委员会|办公厅|办公室|局|厅))")
_BEGIN, _END = "# >>> 在网页中添加：", "# <<< 在网页中添加："


@dataclass(frozen=True)
class Draft:
    """A document's catalog fields, guessed from its text for a person to confirm."""

    title: str
    issuer: str = ""
    date: str = ""  # YYYY, YYYY-MM or YYYY-MM-DD
    this_year: int | None = None
    kind: str = "other"
    region: str = ""  # the jurisdiction it speaks for (呼和浩特市, 全国); empty: read from the issuer when loading


def check_upload(path: Path, name: str | None = None, max_bytes: int = MAX_BYTES) -> None:
    """Raise InputError (one Chinese line) for a file that cannot be added: type, size, emptiness."""
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"不支持的文件类型 {suffix or '（无扩展名）'}，请上传 {'、'.join(SUFFIXES)} 文件")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"文件太大（{size / 2**20:.1f} MB），上限是 {max_bytes / 2**20:.0f} MB")
    if size == 0:
        raise InputError("文件是空的")


def guess(path: Path, name: str | None = None, max_bytes: int = MAX_BYTES) -> Draft:
    """Catalog fields read from a document: title from its heading, date from its text, 今年 from the date."""
    name = name or path.name
    check_upload(path, name, max_bytes)
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:
        probe = Path(tmp) / ("probe" + Path(name).suffix.lower())
        shutil.copyfile(path, probe)
        try:
            doc = load_document(probe)
        except ValueError as e:
            raise InputError(f"无法读取这个文件：{e}") from e
    title = doc.title if doc.title != probe.stem else ""
    # The raw lines, not the normalized paragraphs: a title line may have been joined to the next one.
    lines = [line.strip() for line in doc.raw.splitlines() if line.strip()][:3]
    spans, pos = [], 0
    for line in lines:
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    title = title or first_heading("\n".join(lines), spans, loose=True) or Path(name).stem
    date = doc.date or _date_from_text(doc.text)
    this_year = int(date[:4]) if date else _main_year(doc.text)
    # The issuer signs at the end (a notice's opening line names whom it is sent to, not who sends it).
    signed = [m for line in doc.raw.splitlines()[-6:] if (m := _ISSUER.fullmatch(line.strip()))]
    issuer = signed[-1].group(1) if signed else ""
    kind = next((k for k, pattern in _KIND_WORDS if re.search(pattern, title)), "other")
    return Draft(title=title, issuer=issuer, date=date, this_year=this_year, kind=kind)


def _main_year(text: str) -> int | None:
    """The year a text's plans are for, when it gives no date: the latest year its headings or 今年 name."""
    years = [int(y) for y in re.findall(r"((?:19|20)\d{2})年(?:工作安排|工作任务|的?主要目标|预期目标|重点工作)", text)]
    return max(years) if years else None


def validate(draft: Draft) -> Draft:
    """The draft as it will be written, or InputError naming the field that is wrong."""
    title = " ".join((draft.title or "").split())
    if not title:
        raise InputError("请填写文件标题")
    if len(title) > 200:
        raise InputError("标题太长（超过 200 个字符）")
    date = (draft.date or "").strip()
    if date and not re.fullmatch(r"\d{4}(-\d{1,2}(-\d{1,2})?)?", date):
        raise InputError(f"日期应写成 2024、2024-01 或 2024-01-15，现在是“{date}”")
    this_year = draft.this_year
    if this_year is not None and not 1900 <= int(this_year) <= 2100:
        raise InputError(f"“今年”应是一个年份，例如 2024，现在是 {this_year}")
    if draft.kind not in KINDS:
        raise InputError(f"文件类型应是 {'、'.join(KINDS)} 之一")
    region = (draft.region or "").strip()
    if len(region) > 40:
        raise InputError("地区名称太长（超过 40 个字符）")
    return replace(
        draft, title=title, issuer=(draft.issuer or "").strip(), date=date, this_year=int(this_year) if this_year else None, region=region
    )


def free_name(folder: Path, name: str) -> str:
    """`name`, or name-2, name-3, … : a file name no file in the folder (or the catalog) uses."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", Path(name).name).strip(" .") or "document"
    stem, suffix = Path(safe).stem or "document", Path(safe).suffix.lower()
    taken = {p.name.lower() for p in folder.iterdir()} | {n.lower() for n in read_catalog(folder)}
    candidate, i = f"{stem}{suffix}", 1
    while candidate.lower() in taken:
        i += 1
        candidate = f"{stem}-{i}{suffix}"
    return candidate


def add_document(seeds: Path, upload: Path, draft: Draft, name: str | None = None, max_bytes: int = MAX_BYTES) -> Path:
    """Copy an uploaded file into the seeds folder under a new name and append its catalog entry.

    The file is checked first (type, size, readable text); nothing is written when it fails.
    Returns the new file's path.
    """
    seeds = Path(seeds)
    if not seeds.is_dir():
        raise InputError(f"文档目录不存在：{seeds}")
    name = name or upload.name
    check_upload(upload, name, max_bytes)
    draft = validate(draft)
    catalog = read_catalog(seeds)
    target = seeds / free_name(seeds, name)
    ids = {e.id for e in catalog.values()} | {_slug(p.stem) for p in seeds.iterdir() if p.is_file()}
    doc_id, i = _slug(target.stem), 1
    while doc_id in ids:
        i += 1
        doc_id = f"{_slug(target.stem)}-{i}"
    entry = CatalogEntry(doc_id, draft.title, draft.issuer, draft.date, draft.kind, draft.this_year)
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:  # not inside seeds: an index build would see it
        staged = Path(tmp) / target.name
        shutil.copyfile(upload, staged)
        try:
            load_document(staged, entry)
        except ValueError as e:
            raise InputError(f"无法读取这个文件：{e}") from e
        # The name was free a moment ago; link() fails rather than replace a file that appeared since.
        try:
            os.link(staged, target)
        except FileExistsError as e:
            raise InputError(f"文件名 {target.name} 刚被占用，请重试") from e
        except OSError:
            with open(target, "xb") as out, open(staged, "rb") as src:
                shutil.copyfileobj(src, out)
    _append_entry(seeds, target.name, entry, region=draft.region)
    return target


def _toml(value) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def _append_entry(seeds: Path, name: str, entry: CatalogEntry, region: str = "") -> None:
    """Append a marked catalog block for `name` to catalog.toml (created when missing); other lines stay as they are."""
    lines = [f"{_BEGIN}{name}（{time.strftime('%Y-%m-%d %H:%M')}）", f"[{_toml(name)}]", f"id = {_toml(entry.id)}",
             f"title = {_toml(entry.title)}"]
    for key in ("issuer", "date"):
        if getattr(entry, key):
            lines.append(f"{key} = {_toml(getattr(entry, key))}")
    if entry.this_year:
        lines.append(f"this_year = {entry.this_year}")
    if region:
        lines.append(f"region = {_toml(region)}")
    lines += [f"kind = {_toml(entry.kind)}", 'added_by = "app"', f"{_END}{name}"]
    path = seeds / "catalog.toml"
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    sep = "" if not before or before.endswith("\n\n") else ("\n" if before.endswith("\n") else "\n\n")
    with open(path, "a", encoding="utf-8") as f:
        f.write(sep + "\n".join(lines) + "\n")
    read_catalog(seeds)  # the appended block parses (raises CatalogError otherwise)


def added_in_app(seeds: Path) -> set[str]:
    """File names whose catalog blocks add_document wrote."""
    path = Path(seeds) / "catalog.toml"
    if not path.exists():
        return set()
    text = path.read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(rf"^{re.escape(_BEGIN)}(.+?)（[^）]*）$", text, re.MULTILINE)} & {
        m.group(1) for m in re.finditer(rf"^{re.escape(_END)}(.+)$", text, re.MULTILINE)
    }


def remove_document(seeds: Path, name: str) -> None:
    """Delete a document that add_document added, and its catalog block; refuse anything else."""
    seeds = Path(seeds)
    if name not in added_in_app(seeds):
        raise InputError(f"{name} 不是在网页中添加的文件，为避免误删，请到文档目录中手动移除")
    path = seeds / "catalog.toml"
    text = path.read_text(encoding="utf-8")
    block = re.compile(rf"\n?^{re.escape(_BEGIN)}{re.escape(name)}（[^）]*）$.*?^{re.escape(_END)}{re.escape(name)}\n?", re.MULTILINE | re.DOTALL)
    kept, n = block.subn("\n", text, count=1)
    if n != 1:
        raise InputError(f"catalog.toml 中找不到 {name} 的条目")
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=seeds, delete=False, prefix=".catalog-") as f:
        f.write(kept.rstrip("\n") + "\n" if kept.strip() else "")
    os.replace(f.name, path)
    (seeds / name).unlink(missing_ok=True)
