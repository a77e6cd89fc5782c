"""Text of scanned PDF pages, recognized with Tesseract (chi_sim) through pytesseract and pdf2image.

Both wrappers drive programs that come from the system, not from pip: `tesseract` with its
Simplified Chinese data (Debian: tesseract-ocr, tesseract-ocr-chi-sim) and poppler's `pdftoppm`
(poppler-utils). Without them a scanned page is reported (OCRUnavailable), never read as empty.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

LANG = "chi_sim"
DPI = 300
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’"
# Tesseract puts spaces between the CJK characters (and punctuation) it recognizes; they are not in the page.
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t]+|[ \t]+(?=[{_CJK}])")
# ...and often reads Chinese punctuation as its ASCII look-alike; beside a CJK character it is the full-width one.
_HALF = str.maketrans("();:,?!", "（）；：，？！")
_HALF_BESIDE_CJK = re.compile(rf"(?<=[{_CJK}\d])[();:,?!]|[();:,?!](?=[{_CJK}])")


class OCRUnavailable(RuntimeError):
    """Tesseract, its Chinese data or pdftoppm is missing; the message says what to install."""


def missing() -> str:
    """What is missing for OCR, in Chinese, or '' when everything is there."""
    try:
        import pdf2image  # noqa: F401
        import pytesseract
    except ImportError:
        return "缺少 pytesseract / pdf2image（pip install pytesseract pdf2image）"
    if not shutil.which("pdftoppm"):
        return "缺少 pdftoppm（apt-get install poppler-utils）"
    try:
        langs = pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, OSError):
        return "缺少 Tesseract（apt-get install tesseract-ocr tesseract-ocr-chi-sim）"
    if LANG not in langs:
        return "Tesseract 缺少简体中文数据（apt-get install tesseract-ocr-chi-sim）"
    return ""


def recognize_pages(path: Path, pages: list[int]) -> dict[int, str]:
    """The recognized text of the given 1-based pages of a PDF. Raises OCRUnavailable."""
    why = missing()
    if why:
        raise OCRUnavailable(why)
    import pytesseract
    from pdf2image import convert_from_path

    out = {}
    for page in pages:
        images = convert_from_path(str(path), dpi=DPI, first_page=page, last_page=page, grayscale=True)
        text = "\n".join(pytesseract.image_to_string(img, lang=LANG) for img in images)
        out[page] = tidy(text)
    return out


def tidy(text: str) -> str:
    """Tesseract's output without the spaces it puts between CJK characters, and without blank lines."""
    lines = (_HALF_BESIDE_CJK.sub(lambda m: m.group().translate(_HALF), _CJK_GAP.sub("", line)).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
