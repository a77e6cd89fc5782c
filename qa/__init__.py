"""政策条款问答 — grounded, cited question answering over Chinese policy documents.

    from qa import open_index, Answerer
    answer = Answerer(open_index()).answer("2024年新增停车位目标")
"""

from .answer import Answer, Answerer, normalize_question
from .corpus import Citation, Corpus, load_corpus
from .errors import BadIndex, CatalogError, InputError, ModelError, QAError
from .facts import Fact
from .index import Index, Settings, build_index, load_index
from .ingest import Update, open_index, update_index
from .retrieve import Hit, Retriever
from .segment import Clause
from .store import Where
from .text import Document

__all__ = [
    "Answer", "Answerer", "BadIndex", "CatalogError", "Citation", "Clause", "Corpus", "Document", "Fact", "Hit",
    "Index", "InputError", "ModelError", "QAError", "Retriever", "Settings", "build_index", "load_corpus",
    "Update", "Where", "load_index", "normalize_question", "open_index", "update_index",
]
