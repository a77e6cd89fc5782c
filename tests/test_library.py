"""Adding documents to a seeds folder from the app, and removing them: nothing of the user's is ever overwritten."""

from __future__ import annotations

import shutil

import pytest

from qa.corpus import load_corpus
from qa.errors import InputError
from qa.library import Draft, add_document, added_in_app, guess, remove_document
from qa.text import read_catalog

from .conftest import MINI_POLICY

NOTICE = """关于进一步加强城市停车设施建设的通知
各旗县区人民政府，市各委、办、局：
为缓解停车难问题，现就有关事项通知如下。
一、工作目标
2024年新增公共停车泊位1.2万个，新建智慧停车场20处。
二、保障措施
各地要加强组织领导。
呼和浩特市人民政府办公室
2024年3月15日
"""


def test_guess_reads_title_date_and_this_year_from_the_text(tmp_path):
    f = tmp_path / "upload_123.txt"
    f.write_text(NOTICE, encoding="utf-8")
    d = guess(f)
    assert d.title == "关于进一步加强城市停车设施建设的通知"
    assert d.date == "2024-03-15" and d.this_year == 2024
    assert d.issuer == "呼和浩特市人民政府办公室"


def test_guess_without_a_date_takes_the_year_the_plans_are_for(tmp_path):
    f = tmp_path / "mini.txt"
    f.write_text(MINI_POLICY, encoding="utf-8")
    d = guess(f)
    assert d.date == "" and d.this_year == 2024


def test_added_document_gets_a_new_name_and_an_appended_entry(mini_folder, tmp_path):
    catalog_before = (mini_folder / "catalog.toml").read_text(encoding="utf-8")
    mine = (mini_folder / "mini.txt").read_bytes()
    upload = tmp_path / "mini.txt"  # the same name as the user's file
    upload.write_text(NOTICE, encoding="utf-8")
    path = add_document(mini_folder, upload, guess(upload))
    assert path.name == "mini-2.txt"
    assert (mini_folder / "mini.txt").read_bytes() == mine  # never clobbered
    catalog_after = (mini_folder / "catalog.toml").read_text(encoding="utf-8")
    assert catalog_after.startswith(catalog_before)  # appended, nothing else changed
    entry = read_catalog(mini_folder)["mini-2.txt"]
    assert entry.title == "关于进一步加强城市停车设施建设的通知" and entry.this_year == 2024 and entry.id != "mini"
    corpus, _ = load_corpus(mini_folder)
    assert {d.title for d in corpus.docs} == {"测试工作报告", "关于进一步加强城市停车设施建设的通知"}
    assert any("1.2万个" in c.text for c in corpus.clauses)

    remove_document(mini_folder, "mini-2.txt")
    assert not (mini_folder / "mini-2.txt").exists()
    assert (mini_folder / "catalog.toml").read_text(encoding="utf-8").strip() == catalog_before.strip()


def test_only_documents_added_in_the_app_can_be_removed(mini_folder):
    with pytest.raises(InputError, match="不是在网页中添加的"):
        remove_document(mini_folder, "mini.txt")
    assert (mini_folder / "mini.txt").exists()
    assert added_in_app(mini_folder) == set()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evil.exe", b"MZ\x00\x00", "不支持的文件类型"),
        ("empty.txt", b"", "文件是空的"),
        ("blob.txt", bytes(range(256)) * 40, "无法读取"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_written(mini_folder, tmp_path, name, content, message):
    before = sorted(p.name for p in mini_folder.iterdir())
    catalog = (mini_folder / "catalog.toml").read_bytes()
    upload = tmp_path / name
    upload.write_bytes(content)
    with pytest.raises(InputError, match=message):
        add_document(mini_folder, upload, Draft(title="测试"), name=name)
    assert sorted(p.name for p in mini_folder.iterdir()) == before
    assert (mini_folder / "catalog.toml").read_bytes() == catalog


def test_bad_catalog_fields_are_refused(mini_folder, tmp_path):
    upload = tmp_path / "n.txt"
    upload.write_text(NOTICE, encoding="utf-8")
    for draft, message in ((Draft(title=""), "标题"), (Draft(title="通知", date="2024年3月"), "日期"), (Draft(title="通知", this_year=24), "年份")):
        with pytest.raises(InputError, match=message):
            add_document(mini_folder, upload, draft)
    assert not (mini_folder / "n.txt").exists()


def test_too_large_upload_is_refused(mini_folder, tmp_path):
    from qa.library import check_upload

    upload = tmp_path / "big.txt"
    upload.write_text(NOTICE * 10, encoding="utf-8")
    with pytest.raises(InputError, match="文件太大"):
        check_upload(upload, max_bytes=100)


def test_title_with_quotes_round_trips_through_the_catalog(mini_folder, tmp_path):
    upload = tmp_path / "q.md"
    shutil.copyfile(mini_folder / "mini.txt", upload)
    add_document(mini_folder, upload, Draft(title='关于"温暖工程"的\\通知', this_year=2024))
    assert read_catalog(mini_folder)["q.md"].title == '关于"温暖工程"的\\通知'


def test_region_is_written_when_given(mini_folder, tmp_path):
    import tomllib

    upload = tmp_path / "n.txt"
    upload.write_text(NOTICE, encoding="utf-8")
    add_document(mini_folder, upload, Draft(title="通知", region="呼和浩特市"))
    data = tomllib.loads((mini_folder / "catalog.toml").read_text(encoding="utf-8"))
    assert data["n.txt"]["region"] == "呼和浩特市" and data["n.txt"]["added_by"] == "app"
