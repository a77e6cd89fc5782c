"""Loading documents and normalizing their text, with an offset map back to the raw file.

The normalized text is the raw text with whitespace removed in three places only: line
breaks inside a paragraph of hard-wrapped (PDF-extracted) text, whitespace at the edges of a
line, and runs of spaces between a CJK character and a digit. Nothing else changes, so
`offsets[i]` (the raw index of normalized character i) always points at the same character,
or at the whitespace a paragraph break or a Latin word gap stands for.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import itertools
import os
import re
import tomllib
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import CatalogError
from .jurisdiction import LEVELS, from_issuer

SUFFIXES = (".txt", ".md", ".pdf", ".docx")
# Larger files are skipped and reported (qa index --max-doc-mb, or the QA_MAX_DOC_MB variable):
# a 50 MB text takes about 100 s (180 CPU seconds) and 3.2 GB to index on 2 cores (qa bench --doc-mb 50).
MAX_DOC_MB = float(os.environ.get("QA_MAX_DOC_MB") or 64)
UNREADABLE = "无法识别的编码"
TERMINALS = "。！？；：…!?;:"
CLOSERS = "”’）)》」』】"
WS = " \t\u3000\xa0\r\f\v"
_DOC_TYPES = "公报|报告|决定|决议|意见|通知|规划|纲要|条例|办法|方案|规定|细则|说明"
# A line that opens a new structural unit; wrapped text never joins across one.
HEADING_START = re.compile(
    r"^\s*(?:#+\s*)?(?:[一二三四五六七八九十百]+、|（[一二三四五六七八九十百]+）|\([一二三四五六七八九十百]+\)"
    r"|第[一二三四五六七八九十百零〇\d]+[章节条部分编]|\d{1,2}[.．、](?!\d)|（\d{1,2}）)"
)


def is_cjk(ch: str) -> bool:
    """CJK ideographs, CJK punctuation, full-width forms and the curly quotes Chinese text uses."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0x3000 <= o <= 0x303F
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x2FFFF
        or ch in "“”‘’…—·"
    )


# the characters is_cjk accepts, for counting them in C
_CJK_CHARS = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\u3000-\u303f\uff00-\uffef\U00020000-\U0002ffff“”‘’…—·]")


def _width(s: str) -> int:
    return 2 * len(s) - len(_CJK_CHARS.sub("", s))


@dataclass(frozen=True)
class Document:
    """A loaded source document: raw text as decoded, normalized text and the map between."""

    id: str
    title: str
    issuer: str
    date: str
    kind: str
    this_year: int | None
    source: str
    path: Path = field(repr=False, compare=False)
    raw: str = field(repr=False)
    text: str = field(repr=False)
    offsets: Sequence[int] = field(repr=False, compare=False)  # an int array (normalize)
    sha256: str = ""
    # Char spans in `text` of the paragraphs, and of a title line (start or end of file).
    paragraphs: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)
    title_span: tuple[int, int] | None = field(default=None, repr=False, compare=False)
    # Raw offsets where PDF pages start; empty for other formats.
    page_starts: tuple[int, ...] = field(default=(), repr=False, compare=False)
    cataloged: bool = True
    region: str = ""  # jurisdiction (qa.jurisdiction): from the catalog, else from the issuer
    level: str = ""
    # 1-based PDF pages whose text was recognized from a scan (OCR), not read from a text layer.
    ocr_pages: tuple[int, ...] = ()

    @property
    def year(self) -> int | None:
        m = re.match(r"(\d{4})", self.date or "")
        return int(m.group(1)) if m else None

    @property
    def month(self) -> int | None:
        m = re.match(r"\d{4}-(\d{1,2})", self.date or "")
        return int(m.group(1)) if m else None

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Raw char span [a, b) covering normalized text[start:end]."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span {start}:{end} outside the text (0..{len(self.text)})")
        return self.offsets[start], self.offsets[end - 1] + 1

    def line_span(self, start: int, end: int) -> tuple[int, int]:
        """1-based raw line numbers of normalized text[start:end] (lines of the extracted text, for PDFs)."""
        a, b = self.raw_span(start, end)
        return self._line_of(a), self._line_of(b - 1)

    def page_span(self, start: int, end: int) -> tuple[int, int] | None:
        """1-based PDF page numbers of normalized text[start:end], or None for other formats."""
        if not self.page_starts:
            return None
        a, b = self.raw_span(start, end)
        return bisect.bisect_right(self.page_starts, a), bisect.bisect_right(self.page_starts, b - 1)

    def raw_lines(self, line_start: int, line_end: int) -> str:
        """The raw text of lines line_start..line_end (1-based, inclusive)."""
        starts = self._line_starts
        a = starts[line_start - 1]
        b = starts[line_end] - 1 if line_end < len(starts) else len(self.raw)
        return self.raw[a:b]

    @property
    def _line_starts(self) -> list[int]:
        cached = self.__dict__.get("_ls")
        if cached is None:
            cached = [0] + [m.end() for m in re.finditer("\n", self.raw)]
            object.__setattr__(self, "_ls", cached)
        return cached

    def _line_of(self, raw_index: int) -> int:
        return bisect.bisect_right(self._line_starts, raw_index)


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why (in Chinese, for the user)."""

    path: str
    reason: str


# ---------------------------------------------------------------------------------------
# Decoding


def decode(data: bytes) -> str:
    """Decode bytes of a text file: UTF-8 (with or without BOM), UTF-16 with a BOM, GB18030.

    Raises ValueError with a Chinese reason for binary or undecodable content.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data:
        # UTF-16 without a BOM shows NULs at every other byte for ASCII-heavy text.
        for enc, zeros in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])):
            if zeros.count(0) > 0.3 * len(zeros):
                try:
                    text = data.decode(enc)
                except UnicodeDecodeError:
                    continue
                if _looks_textual(text):
                    return text
        raise ValueError("二进制文件（含空字节），不是文本")
    for enc in ("utf-8", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if not _looks_textual(text):
            raise ValueError("内容含大量控制字符，像是二进制文件")
        if _garbled(text, enc):
            raise ValueError(f"{UNREADABLE}（解码后大多不是文字，可能是二进制文件或未知编码）")
        return text
    raise ValueError(f"{UNREADABLE}（已尝试 UTF-8、UTF-16、GB18030）")


_CONTROL = re.compile("[\x00-\x08\x0e-\x1f]")  # below 32 and not \t \n \v \f \r


def _looks_textual(text: str) -> bool:
    limit = max(2, len(text) // 200)
    return sum(1 for _ in itertools.islice(_CONTROL.finditer(text), limit + 1)) <= limit


def _sample(text: str, size: int = 20_000) -> str:
    """The start, middle and end of a text (all of it when short): enough to judge its characters."""
    if len(text) <= 3 * size:
        return text
    mid = len(text) // 2
    return text[:size] + text[mid : mid + size] + text[-size:]


def _common_char(c: str, gb_decoded: bool) -> bool:
    if c.isascii():
        return c.isprintable() or c in "\n\r\t\f\v"
    cat = unicodedata.category(c)
    if cat in ("Co", "Cn", "Cs", "Cc") or c == "\ufffd":
        return False
    if not gb_decoded:
        return True
    # Bytes that are not GB18030 text still decode as GB18030, mostly to rare characters and
    # private-use code points; real GB18030 text is nearly all GB2312 (or Big5) characters.
    for enc in ("gb2312", "big5"):
        try:
            c.encode(enc)
            return True
        except UnicodeEncodeError:
            pass
    return False


def _garbled(text: str, encoding: str) -> bool:
    """Mostly characters no text is made of: decoded bytes that were not text in this encoding."""
    sample = _sample(text)
    if not sample:
        return False
    gb = encoding == "gb18030"
    common = sum(1 for c in sample if _common_char(c, gb))
    return common < (0.9 if gb else 0.7) * len(sample)


@dataclass(frozen=True)
class Raw:
    """A file's text as read: for PDFs also where pages start and which were OCRed; for .docx its heading."""

    text: str
    page_starts: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()
    heading: str = ""


def read_raw(path: Path) -> tuple[str, tuple[int, ...]]:
    """The raw text of a file and, for PDFs, the raw offsets where pages start."""
    r = read_source(path)
    return r.text, r.page_starts


def read_source(path: Path) -> Raw:
    """A file as read: its raw text (OCR for scanned PDF pages), page starts, OCRed pages, heading."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _read_pdf(path)
    if suffix == ".docx":
        return _read_docx(path)
    return Raw(decode(path.read_bytes()))


def _read_pdf(path: Path) -> Raw:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as e:  # pragma: no cover - pypdf is a dependency
        raise ValueError("读取 PDF 需要 pypdf：pip install pypdf") from e
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError, KeyError) as e:
        raise ValueError(f"PDF 无法解析（{type(e).__name__}）") from e
    scanned = [i + 1 for i, text in enumerate(pages) if not text.strip() and _has_images(reader.pages[i])]
    if scanned:
        from .ocr import OCRUnavailable, recognize_pages

        try:
            recognized = recognize_pages(path, scanned)
        except OCRUnavailable as e:
            raise ValueError(f"扫描件，需要OCR：{e}") from e
        for page, text in recognized.items():
            pages[page - 1] = text
        scanned = [p for p in scanned if pages[p - 1].strip()]
    starts, parts, pos = [], [], 0
    for text in pages:
        starts.append(pos)
        parts.append(text)
        pos += len(text) + 1
    return Raw("\n".join(parts), tuple(starts), tuple(scanned))


def _has_images(page) -> bool:
    """Whether a PDF page carries an image (a scan), as opposed to being blank."""
    try:
        return len(page.images) > 0
    except Exception:  # pypdf raises assorted errors for unusual image encodings; a scan is then likely
        return True


def _read_docx(path: Path) -> Raw:
    try:
        import docx
    except ImportError as e:  # pragma: no cover - python-docx is a dependency
        raise ValueError("读取 .docx 需要 python-docx：pip install python-docx") from e
    try:
        d = docx.Document(str(path))
    except Exception as e:  # python-docx raises several unrelated types for a bad zip
        raise ValueError(f"DOCX 无法解析（{type(e).__name__}）") from e
    lines = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return Raw("\n".join(lines), heading=_docx_heading(d))


def _docx_heading(d) -> str:
    """The document's title: its first paragraph styled Title or Heading 1 (any language's style name)."""
    for p in d.paragraphs[:20]:
        style = (p.style.name if p.style is not None else "") or ""
        sid = getattr(p.style, "style_id", "") or ""
        if p.text.strip() and re.match(r"(?i)title|heading ?1$|标题 ?1?$", style or sid):
            return re.sub(r"\s+", "", p.text) if _CJK_ONLY.search(p.text) else p.text.strip()
    return ""


_CJK_ONLY = re.compile(r"[\u4e00-\u9fff]")


# ---------------------------------------------------------------------------------------
# Normalization


def _line_spans(raw: str) -> list[tuple[int, int, int]]:
    """(start, end, newline_index) of each line's content with edge whitespace stripped."""
    spans, pos = [], 0
    for line in raw.split("\n"):
        a, b = pos, pos + len(line)
        while a < b and raw[a] in WS:
            a += 1
        while b > a and raw[b - 1] in WS:
            b -= 1
        spans.append((a, b, pos + len(line)))
        pos += len(line) + 1
    return spans


def _is_wrapped(lines: list[str]) -> bool:
    """Hard-wrapped text (PDF extraction): most lines stop mid-sentence at a similar width."""
    if len(lines) < 6:
        return False
    ends = TERMINALS + CLOSERS
    if sum(1 for s in lines if s[-1] not in ends) <= 0.5 * len(lines):
        return False
    widths = sorted(_width(s) for s in lines)
    return widths[len(widths) // 2] <= 120


def normalize(raw: str) -> tuple[str, array, list[tuple[int, int]]]:
    """Normalize raw text: (text, offsets, paragraph spans in text).

    The text is built from slices of the raw text, never character by character, and the
    offsets from the raw start of each slice (an int array, not a list of Python ints): time
    and memory in proportion to the text, a few bytes a character.
    """
    spans = [s for s in _line_spans(raw) if s[1] > s[0]]
    contents = [raw[a:b] for a, b, _ in spans]
    paras: list[list[tuple[int, int, int]]] = []
    if _is_wrapped(contents):
        widths = sorted(_width(s) for s in contents)
        full = widths[min(len(widths) - 1, int(0.9 * len(widths)))] - 3
        prev = None
        for span, content in zip(spans, contents):
            if prev is None or _ends_paragraph(prev, full) or HEADING_START.match(content):
                paras.append([])
            paras[-1].append(span)
            prev = content
        # A closing line without end punctuation (a title printed last) stands alone.
        if len(paras[-1]) > 1 and contents[-1][-1] not in TERMINALS + CLOSERS and _width(contents[-1]) > full:
            paras.append([paras[-1].pop()])
    else:
        paras = [[s] for s in spans]
    del contents

    drops = _stray_spaces(raw)
    pieces: list[str] = []
    starts = array("q")  # a slice's first character: its index in the text and in the raw text
    raw_starts = array("q")
    pos = d = 0
    para_spans: list[tuple[int, int]] = []

    def add(piece: str, raw_start: int) -> None:
        nonlocal pos
        pieces.append(piece)
        starts.append(pos)
        raw_starts.append(raw_start)
        pos += len(piece)

    for p, lines in enumerate(paras):
        if p:
            add("\n", paras[p - 1][-1][2])  # the raw newline ending the previous paragraph
        start = pos
        for j, (a, b, _nl) in enumerate(lines):
            if j and raw[lines[j - 1][1] - 1].isascii() and raw[lines[j - 1][1] - 1].isalnum() and raw[a].isascii() and raw[a].isalnum():
                add(" ", lines[j - 1][2])  # a Latin word gap stands for the line break
            while d < len(drops) and drops[d][0] < a:
                d += 1
            while d < len(drops) and drops[d][1] <= b:
                ds, de = drops[d]
                if ds > a:
                    add(raw[a:ds], a)
                a, d = de, d + 1
            add(raw[a:b], a)
        para_spans.append((start, pos))
    lengths = np.diff(np.asarray(starts, dtype=np.int64), append=pos)
    offsets = np.repeat(np.asarray(raw_starts, dtype=np.int64) - np.asarray(starts, dtype=np.int64), lengths)
    offsets += np.arange(pos, dtype=np.int64)
    code = "i" if len(raw) < 2**31 else "q"
    return "".join(pieces), array(code, offsets.astype(np.int32 if code == "i" else np.int64).tobytes()), para_spans


def _ends_paragraph(line: str, full_width: int) -> bool:
    return line[-1] in TERMINALS + CLOSERS and _width(line) < full_width or bool(HEADING_START.match(line) and _width(line) < full_width)


_WS_RUN = re.compile("[" + re.escape(WS) + "]+")


def _stray_spaces(raw: str) -> list[tuple[int, int]]:
    """Raw spans of whitespace to remove: runs between a CJK character and a digit, inside a line.

    Character by character, as the text is built: a whitespace character goes when the last
    character kept (whitespace included) and the first one after the run are a CJK character
    and an ASCII digit, in either order; the rest of its run goes with it.
    """
    out = []
    n = len(raw)
    for m in _WS_RUN.finditer(raw):
        s, e = m.span()
        if s == 0 or e == n or raw[s - 1] == "\n" or raw[e] == "\n":
            continue  # at the edge of a line: stripped with it
        b = raw[e]
        b_digit, b_cjk = b.isdigit() and b.isascii(), is_cjk(b)
        if not (b_digit or b_cjk):
            continue
        last, k = raw[s - 1], s
        while k < e and not ((b_digit and is_cjk(last)) or (b_cjk and last.isdigit() and last.isascii())):
            last, k = raw[k], k + 1
        if k < e:
            out.append((k, e))
    return out


def first_heading(text: str, paras: list[tuple[int, int]], loose: bool = False) -> str:
    """A Markdown "# title" near the start, or with `loose` a short first line that reads as a title, or ''."""
    for a, b in paras[:3]:
        line = text[a:b].strip()
        m = re.match(r"^#{1,2}\s*(\S.{1,60})$", line)
        if m:
            return m.group(1).strip()
    if loose and paras:
        a, b = paras[0]
        line = text[a:b].strip()
        if 4 <= len(line) <= 40 and not re.search(f"[{TERMINALS}，,、]", line) and not HEADING_START.match(line):
            return line
    return ""


def find_title(text: str, paras: list[tuple[int, int]]) -> tuple[int, int] | None:
    """A title line at the end (PDF extractions often print it last) or at the start."""
    candidates = [paras[-1], paras[0]] if paras else []
    for a, b in candidates:
        line = text[a:b]
        if 4 <= b - a <= 60 and line[-1] not in TERMINALS + "，,、" and re.search(f"(?:{_DOC_TYPES})$", line):
            return a, b
    return None


# ---------------------------------------------------------------------------------------
# Catalog and loading


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    title: str = ""
    issuer: str = ""
    date: str = ""
    kind: str = "other"
    this_year: int | None = None
    region: str = ""  # the jurisdiction it speaks for (全国, 呼和浩特市); read from the issuer when absent
    level: str = ""  # national | province | city | county


def read_catalog(folder: Path) -> dict[str, CatalogEntry]:
    """catalog.toml in the folder, keyed by file name; {} when there is none."""
    path = folder / "catalog.toml"
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CatalogError(f"{path} 不是有效的 TOML：{e}") from e
    out = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise CatalogError(f"{path}：条目 {name!r} 应是一个表（[\"文件名\"]），实际是 {type(entry).__name__}")
        this_year = entry.get("this_year")
        if this_year is not None and not isinstance(this_year, int):
            raise CatalogError(f"{path}：{name} 的 this_year 应是整数年份，实际是 {this_year!r}")
        level = str(entry.get("level", ""))
        if level and level not in LEVELS:
            raise CatalogError(f"{path}：{name} 的 level 应是 {'、'.join(LEVELS)} 之一，实际是 {level!r}")
        date = str(entry.get("date", ""))
        if date and not re.fullmatch(r"\d{4}(-\d{1,2}(-\d{1,2})?)?", date):
            raise CatalogError(f"{path}：{name} 的 date 应写成 YYYY、YYYY-MM 或 YYYY-MM-DD，实际是 {date!r}")
        out[name] = CatalogEntry(
            id=str(entry.get("id") or _slug(Path(name).stem)),
            title=str(entry.get("title", "")),
            issuer=str(entry.get("issuer", "")),
            date=date,
            kind=str(entry.get("kind", "other")),
            this_year=this_year,
            region=str(entry.get("region", "")),
            level=level,
        )
    return out


def _slug(stem: str) -> str:
    return re.sub(r"[\s#:/\\]+", "_", stem).strip("_") or "doc"


def _date_from_text(text: str) -> str:
    """The first full date near the start or end of the text, as YYYY-MM-DD, or ''."""
    for chunk in (text[:400], text[-400:]):
        m = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", chunk)
        if m:
            return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return ""


def display_path(path: Path, root: Path | None = None) -> str:
    """A path relative to the repository root when it lies inside it, else absolute."""
    root = (root or repo_root()).resolve()
    path = path.resolve()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def load_document(path: Path, entry: CatalogEntry | None = None) -> Document:
    """Load and normalize one file. Raises ValueError (Chinese reason) when it cannot be used."""
    read = read_source(path)
    raw = read.text
    if not raw.strip():
        raise ValueError("文件为空")
    text, offsets, paras = normalize(raw)
    title_span = find_title(text, paras)
    detected = read.heading or (text[title_span[0] : title_span[1]] if title_span else "") or first_heading(text, paras)
    cataloged = entry is not None
    entry = entry or CatalogEntry(id=_slug(path.stem))
    date = entry.date or _date_from_text(text)
    this_year = entry.this_year
    if this_year is None and date:
        this_year = int(date[:4])
    region, level = entry.region, entry.level
    if not region or not level:
        derived = from_issuer(entry.issuer)
        region, level = region or derived[0], level or derived[1]
    return Document(
        id=entry.id,
        title=entry.title or detected or path.stem,
        issuer=entry.issuer,
        date=date,
        kind=entry.kind,
        this_year=this_year,
        source=display_path(path),
        path=path,
        raw=raw,
        text=text,
        offsets=offsets,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        paragraphs=tuple(paras),
        title_span=title_span,
        page_starts=read.page_starts,
        cataloged=cataloged,
        region=region,
        level=level,
        ocr_pages=read.ocr_pages,
    )


LEXICON = "lexicon.txt"  # a corpus's own words, beside its catalog (qa.lexical.Tokenizer)


def seed_files(folder: Path) -> list[Path]:
    """Every file in the folder (recursively) except the catalog, the lexicon and README, sorted."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("catalog.toml", LEXICON) and p.name.lower() != "readme.md" and not p.name.startswith(".")
    )


def read_lexicon(folder: Path) -> str:
    """The text of the folder's lexicon.txt, or "" when it has none."""
    path = Path(folder) / LEXICON
    return path.read_text(encoding="utf-8") if path.is_file() else ""


# The first line of a merged folder's catalog (made by qa eval from several folders): the
# folders its links point into, which are read like the folder's own files.
MERGED_MARK = "# Written by qa eval: the catalogs of "


def trusted_roots(folder: Path) -> tuple[Path, ...]:
    """The folder itself and, for a merged folder, the folders its catalog declares."""
    roots = [Path(folder).resolve()]
    try:
        with open(Path(folder) / "catalog.toml", encoding="utf-8") as f:
            first = f.readline()
    except (OSError, UnicodeDecodeError):
        first = ""
    if first.startswith(MERGED_MARK):
        roots += [Path(p.strip()) for p in first[len(MERGED_MARK) :].split(", ") if p.strip()]
    return tuple(roots)


def outside(path: Path, roots: tuple[Path, ...]) -> bool:
    """A file that (through a symbolic link) lies in none of the trusted roots (`trusted_roots`)."""
    real = path.resolve()
    return not any(real.is_relative_to(root) for root in roots)


def too_large(path: Path, max_doc_mb: float | None = None) -> str:
    """Why a file is over the size limit ('' when it is not)."""
    limit = MAX_DOC_MB if max_doc_mb is None else max_doc_mb
    size = path.stat().st_size
    if size <= limit * 2**20:
        return ""
    return f"文件过大（{size / 2**20:.3g} MB，上限 {limit:g} MB），未建索引；可用 --max-doc-mb 或环境变量 QA_MAX_DOC_MB 调高上限"


def load_file(folder: Path, path: Path, catalog: dict, max_doc_mb: float | None = None, roots=None) -> Document | Skipped:
    """One file of a documents folder, loaded — or why it is skipped (roots: trusted_roots(folder))."""
    rel = path.relative_to(folder).as_posix()
    if outside(path, roots if roots is not None else trusted_roots(folder)):
        return Skipped(rel, "符号链接指向文档目录之外，出于安全不读取")
    if path.suffix.lower() not in SUFFIXES:
        return Skipped(rel, f"不支持的文件类型 {path.suffix or '（无扩展名）'}，支持 {'、'.join(SUFFIXES)}")
    try:
        reason = too_large(path, max_doc_mb)
    except OSError as e:
        reason = f"无法读取（{e.strerror or e}）"
    if reason:
        return Skipped(rel, reason)
    try:
        return load_document(path, catalog.get(rel) or catalog.get(path.name))
    except (ValueError, OSError) as e:
        return Skipped(rel, str(e))


def admit(doc, rel: str, taken: set[str], skipped: list[Skipped]) -> bool:
    """Whether a loaded document (or a Skipped) joins the corpus; when not, why goes to `skipped`.

    `taken` holds the document ids already in the corpus; an admitted document's id is added.
    """
    if isinstance(doc, Skipped):
        skipped.append(doc)
        return False
    if doc.id in taken:
        skipped.append(Skipped(rel, f"文档 id {doc.id!r} 与另一文件重复，请在 catalog.toml 中改名"))
        return False
    taken.add(doc.id)
    return True


def load_folder(folder: Path, max_doc_mb: float | None = None) -> tuple[list[Document], list[Skipped]]:
    """Load every document in a folder; files that cannot be used are reported, not dropped silently."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"文档目录不存在：{folder}")
    catalog = read_catalog(folder)
    roots = trusted_roots(folder)
    docs, skipped, seen = [], [], set()
    for path in seed_files(folder):
        rel = path.relative_to(folder).as_posix()
        doc = load_file(folder, path, catalog, max_doc_mb, roots)
        if admit(doc, rel, seen, skipped):
            docs.append(doc)
    for name in catalog:
        if not (folder / name).exists():
            skipped.append(Skipped(name, "catalog.toml 中有此条目，但文件不存在"))
    return docs, skipped
