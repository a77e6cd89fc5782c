"""Loading and normalizing: encodings, bad files, PDF/DOCX, and the offset map."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.corpus import load_corpus
from qa.text import decode, load_folder, normalize

from .conftest import MINI_POLICY, nows


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("新增停车位 1.8万个", "新增停车位1.8万个"),
        ("新增创新平台 20 个", "新增创新平台20个"),
        ("新增奶牛 6 万头", "新增奶牛6万头"),
        ("占比 89%，", "占比89%，"),
        ("　　建设 Smart City 项目 ", "建设 Smart City 项目"),  # edges go; other spaces stay
    ],
)
def test_normalize_spaces(raw, expected):
    assert normalize(raw)[0] == expected


def test_wrapped_lines_are_joined():
    wrapped = "中国共产党某市委员会全体会议于 2023年 12\n\n月 28日召开。全会听取\n\n" + "并讨论了常委会的工作报告和有关文件内容\n\n" * 6 + "全会号召全市上下团结奋斗。\n\n某市委员会全体会议公报\n"
    text, _, paras = normalize(wrapped)
    assert text.startswith("中国共产党某市委员会全体会议于2023年12月28日召开。全会听取并讨论了")
    assert [text[a:b] for a, b in paras][-1] == "某市委员会全体会议公报"


def test_communique_is_repaired(documents):
    doc = documents["communique2023"]
    assert "于2023年12月28日召开" in doc.text
    assert "新增停车位1.8万个" in doc.text
    assert "新增创新平台20个" in doc.text
    assert "充电桩10000个" in doc.text
    # The title printed last is recognized, and the paragraphs before it keep their ends.
    assert doc.text[doc.title_span[0] : doc.title_span[1]] == "中国共产党呼和浩特市第十三届委员会第七次全体会议公报"
    assert len(doc.paragraphs) == 10


def test_report_lines_are_paragraphs(documents):
    doc = documents["report2024"]
    assert len(doc.paragraphs) == 62  # one paragraph a non-empty line
    assert doc.title_span is None


_cjk = st.sampled_from(list("新增停车位万个年月日。，、；“”第全会强调要"))
_chars = st.one_of(_cjk, st.sampled_from(list(string.digits + " \n\t\u3000.%ab")))


@settings(max_examples=300, deadline=None)
@given(st.lists(_chars, max_size=200).map("".join))
def test_normalization_only_removes_whitespace(raw):
    text, offsets, paras = normalize(raw)
    assert nows(text) == nows(raw)
    assert len(offsets) == len(text)
    for i, ch in enumerate(text):
        if ch.isspace():
            assert raw[offsets[i]].isspace()
        else:
            assert raw[offsets[i]] == ch
    assert list(offsets) == sorted(offsets)
    for a, b in paras:
        assert 0 <= a <= b <= len(text)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_decode_encodings(encoding):
    assert decode(MINI_POLICY.encode(encoding)) == MINI_POLICY


def test_bad_files_are_reported_and_the_rest_load(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(MINI_POLICY, encoding="utf-8")
    (folder / "gbk.txt").write_bytes(MINI_POLICY.replace("停车位", "泊位").encode("gbk"))
    (folder / "empty.txt").write_text("   \n\n", encoding="utf-8")
    (folder / "blob.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    docs, skipped = load_folder(folder)
    assert sorted(d.id for d in docs) == ["gbk", "good"]
    gbk = next(d for d in docs if d.id == "gbk")
    assert "新增泊位4.4万个" in gbk.text
    reasons = {s.path: s.reason for s in skipped}
    assert set(reasons) == {"empty.txt", "blob.txt", "image.png", "broken.pdf"}
    assert "为空" in reasons["empty.txt"]
    assert "二进制" in reasons["blob.txt"]
    assert "不支持" in reasons["image.png"]
    assert "PDF" in reasons["broken.pdf"]


def test_document_without_catalog_entry(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "某市工作报告.txt").write_text(MINI_POLICY, encoding="utf-8")
    corpus, docs = load_corpus(folder)
    (doc,) = corpus.docs
    assert doc.id == "某市工作报告" and doc.title == "某市工作报告" and not doc.cataloged
    # Explicit years still give clauses their time scope.
    parking = [c for c in corpus.clauses if "4.4万个" in c.text][0]
    assert (parking.year, parking.scope) == (2024, "plan")


def test_catalog_errors_are_clear(tmp_path):
    from qa.errors import CatalogError

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(MINI_POLICY, encoding="utf-8")
    (folder / "catalog.toml").write_text('["a.txt"]\ndate = "yesterday"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="date"):
        load_folder(folder)


def test_docx_is_read(tmp_path):
    import docx

    folder = tmp_path / "docs"
    folder.mkdir()
    d = docx.Document()
    for line in MINI_POLICY.strip().split("\n"):
        d.add_paragraph(line)
    d.save(folder / "policy.docx")
    corpus, docs = load_corpus(folder)
    clause = [c for c in corpus.clauses if "新增停车位4.4万个" in c.text][0]
    assert clause.heading_path[:2] == ("二、2024年工作安排", "（一）城市建设")
    assert docs[0].raw_lines(clause.line_start, clause.line_end).find("新增停车位4.4万个") >= 0


def test_pdf_is_read_with_pages(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    folder = tmp_path / "docs"
    folder.mkdir()
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(folder / "policy.pdf"))
    lines = MINI_POLICY.strip().split("\n")
    for page in (lines[:3], lines[3:]):
        c.setFont("STSong-Light", 11)
        for i, line in enumerate(page):
            c.drawString(40, 800 - 20 * i, line.replace("4.4万个", "4.4 万个"))
        c.showPage()
    c.save()
    corpus, docs = load_corpus(folder)
    clause = [c for c in corpus.clauses if "新增停车位4.4万个" in c.text][0]
    assert clause.page == 2
    assert "新增停车位4.4万个" in nows(docs[0].raw_lines(clause.line_start, clause.line_end))


CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def scanned_pdf(path, lines: list[str]) -> None:
    """An image-only PDF (no text layer), as a scanner makes: the lines drawn into a picture."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(CJK_FONT, 34, index=2)  # index 2: Simplified Chinese
    page = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((120, 150 + 60 * i), line, font=font, fill=0)
    page.save(path, "PDF", resolution=200)


needs_ocr = pytest.mark.skipif(
    not Path(CJK_FONT).exists() or bool(__import__("qa.ocr", fromlist=["missing"]).missing()),
    reason="OCR needs tesseract-ocr, tesseract-ocr-chi-sim, poppler-utils and fonts-noto-cjk (make browser installs them)",
)


@needs_ocr
def test_scanned_pdf_is_read_with_ocr_and_cited_as_a_scan(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    scanned_pdf(folder / "scan.pdf", MINI_POLICY.strip().split("\n"))
    corpus, docs = load_corpus(folder)
    assert not corpus.skipped
    assert docs[0].ocr_pages == (1,)
    clause = [c for c in corpus.clauses if "停车位4.4万个" in c.text][0]
    assert "新增停车位4.4万个" in clause.text
    assert corpus.cite(clause, 1).scanned
    assert clause.heading_path[:2] == ("二、2024年工作安排", "（一）城市建设")


def test_scanned_pdf_without_tesseract_says_it_needs_ocr(tmp_path, monkeypatch):
    if not Path(CJK_FONT).exists():
        pytest.skip("fonts-noto-cjk is not installed")
    import qa.ocr

    folder = tmp_path / "docs"
    folder.mkdir()
    scanned_pdf(folder / "scan.pdf", ["新增停车位4.4万个。"])
    monkeypatch.setattr(qa.ocr, "missing", lambda: "缺少 Tesseract（apt-get install tesseract-ocr tesseract-ocr-chi-sim）")
    corpus, _ = load_corpus(folder)
    assert not corpus.docs
    (skipped,) = corpus.skipped
    assert skipped.reason.startswith("扫描件，需要OCR") and "文件为空" not in skipped.reason


def test_docx_is_titled_by_its_heading(tmp_path):
    import docx

    folder = tmp_path / "docs"
    folder.mkdir()
    d = docx.Document()
    d.add_heading("关于加快推进停车设施建设的实施意见", level=1)
    for line in MINI_POLICY.strip().split("\n"):
        d.add_paragraph(line)
    d.save(folder / "draft-v3.docx")
    _, docs = load_corpus(folder)
    assert docs[0].title == "关于加快推进停车设施建设的实施意见"


def test_scanned_is_in_the_json_only_for_a_scanned_quote():
    from qa.corpus import Citation

    plain = Citation(1, "d", "t", "s", "", "新增停车位4.4万个。", 1, 1, 0, 10)
    assert "scanned" not in plain.to_dict()
    assert Citation(1, "d", "t", "s", "", "新增停车位4.4万个。", 1, 1, 0, 10, scanned=True).to_dict()["scanned"] is True


def test_a_second_file_with_the_same_id_is_skipped_and_reported(tmp_path):
    from qa.corpus import load_corpus

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("一、总体要求\n今年新增停车位1万个。\n", encoding="utf-8")
    (tmp_path / "catalog.toml").write_text('["a.txt"]\nid = "same"\n["b.txt"]\nid = "same"\n', encoding="utf-8")
    docs, skipped = load_folder(tmp_path)
    assert [d.id for d in docs] == ["same"]
    assert [s.path for s in skipped] == ["b.txt"] and "重复" in skipped[0].reason
    corpus, _ = load_corpus(tmp_path)  # the (parallel-capable) loader the index uses says the same
    assert [d.id for d in corpus.docs] == ["same"] and [s.path for s in corpus.skipped] == ["b.txt"]
