"""The measure model: what kind of value a figure is, Chinese numerals, comparison by fields,
jurisdiction — on sentences stating each pattern, on the seeds and on a State Council report."""

from __future__ import annotations

import pytest

from qa.facts import AVERAGE, CUMULATIVE, DELTA, LEVEL, RANGE_FROM, RANGE_TO, RATE, SHARE, extract
from qa.jurisdiction import NATIONAL, from_issuer, named
from qa.measure import opposite, scope_difference
from qa.timescope import NONE


def read(text: str):
    return [(f.indicator, f.value, f.value_kind, f.action, f.polarity) for f in extract(text, 0, len(text), lambda pos: NONE)]


@pytest.mark.parametrize(
    "text,value,kind",
    [
        ("今年拟安排财政赤字2万亿元，比上年增加2000亿元", "2000亿元", DELTA),  # not last year's level
        ("今年拟安排财政赤字2万亿元，比上年增加2000亿元", "2万亿元", LEVEL),
        ("农村贫困人口从9899万人减少到3046万人", "9899万人", RANGE_FROM),
        ("农村贫困人口从9899万人减少到3046万人", "3046万人", RANGE_TO),  # the figure reached
        ("起征点从月销售额3万元提高到10万元", "10万元", RANGE_TO),
        ("五年累计新增城镇就业6600万人以上", "6600万人", CUMULATIVE),
        ("居民人均可支配收入年均增长7.4%", "7.4%", AVERAGE),
        ("中央预算内投资安排5000亿元，其中用于保障性安居工程600亿元", "600亿元", SHARE),
        ("国内生产总值增长6.9%", "6.9%", RATE),
        ("国内生产总值增长6.5%－7%", "6.5%－7%", RATE),  # a range is one value
    ],
)
def test_value_kinds(text, value, kind):
    found = {v: k for _, v, k, _, _ in read(text)}
    assert found[value] == kind, read(text)


def test_a_range_end_keeps_the_measure_and_a_delta_its_subject():
    assert [i for i, *_ in read("农村贫困人口从9899万人减少到3046万人")] == ["农村贫困人口", "农村贫困人口"]
    assert read("城镇新增就业1100万人以上，比去年多100万人")[1][0] == "城镇新增就业"


@pytest.mark.parametrize(
    "text,value,number",
    [
        ("新建学校十所", "十所", 10),
        ("新建充电桩一万个", "一万个", 1),  # 1 万个 → 10000 in base units
        ("增长百分之八", "百分之八", 8),
        ("新增就业四万四千人", "四万四千人", 44000),
        ("六千多万贫困人口稳定脱贫", "六千多万", 6000),
        ("粮食生产能力达到一万二千亿斤", "一万二千亿斤", 1.2e12),
    ],
)
def test_chinese_numerals_are_read_and_kept_verbatim(text, value, number):
    facts = extract(text, 0, len(text), lambda pos: NONE)
    f = next(f for f in facts if f.value == value)
    assert f.value in text and (f.number == number or f.base()[0] == number * (1e4 if "万个" in value else 1))


def test_words_that_are_names_not_amounts():
    for text in ("严格执行中央八项规定", "实施“四个一”工程", "办好两件实事", "十年来取得历史性成就", "制定实施大气污染防治“十条”"):
        assert read(text) == [], (text, read(text))


def test_polarity_and_actions():
    (_, _, _, action, polarity), = read("2024年计划不新建充电桩1万个")
    assert action == "新建" and polarity == -1
    (_, value, _, _, polarity), = read("新增停车位-4.4万个")
    assert value == "-4.4万个" and polarity == -1
    assert read("S43-1高速，新增停车位4.4万个")[0][1] == "4.4万个"  # a code's dash is no minus sign
    (_, _, _, action, _), = read("2024年拆除充电桩1万个")
    assert action == "拆除"


def _fact(text: str, value: str):
    return next(f for f in extract(text, 0, len(text), lambda pos: NONE) if f.value == value)


def test_comparison_by_fields():
    new = _fact("新建中小学、幼儿园61所", "61所")
    both = _fact("新建续建中小学、幼儿园61所", "61所")
    assert "新建续建" in scope_difference(new, both)  # a part and its whole: 口径不同, not the same figure
    delta = _fact("赤字规模比上年增加2000亿元", "2000亿元")
    level = _fact("赤字规模2000亿元", "2000亿元")
    assert "比上年的增减量" in scope_difference(delta, level)
    assert "地区不同" in scope_difference(level, level, "全国", "呼和浩特市")
    assert scope_difference(level, level, "全国", "全国") is None
    assert opposite(_fact("不新建充电桩1万个", "1万个"), _fact("新建充电桩1万个", "1万个"))
    assert opposite(_fact("拆除充电桩1万个", "1万个"), _fact("新建充电桩1万个", "1万个"))
    assert not opposite(_fact("新增充电桩1万个", "1万个"), _fact("新建充电桩1万个", "1万个"))


def test_jurisdiction_from_issuer_and_from_questions():
    assert from_issuer("国务院") == ("全国", NATIONAL)
    assert from_issuer("中国共产党中央委员会") == ("全国", NATIONAL)
    assert from_issuer("中共呼和浩特市委员会") == ("呼和浩特市", "city")
    assert from_issuer("内蒙古自治区人民政府") == ("内蒙古自治区", "province")
    regions = {"全国": NATIONAL, "呼和浩特市": "city"}
    assert named("呼和浩特2024年新增停车位", regions) == "呼和浩特市"
    assert named("全国2024年新增就业", regions) == "全国"
    assert named("北京市2019年城镇新增就业目标", regions) == "北京市"
    assert named("创新能力指数全国排名第30位", regions) is None  # a ranking, not a place
    assert named("国家高新技术企业有多少家", regions) is None


def test_catalog_region_and_level(corpus, state_council_corpus):
    assert {(d.region, d.level) for d in corpus.docs} == {("呼和浩特市", "city")}  # stated in seeds/catalog.toml
    assert {(d.region, d.level) for d in state_council_corpus.docs} == {("全国", NATIONAL)}  # read from 国务院


def test_a_state_council_report_reads_its_figures(state_council_corpus):
    facts = {(f.value, f.value_kind) for f, c in state_council_corpus.facts(doc="gov2019")}
    assert ("5776亿元", LEVEL) in facts and ("400亿元", DELTA) in facts  # 安排5776亿元，比去年增加400亿元
    assert ("6%－6.5%", RATE) in facts
    periods = {f.period for f, c in state_council_corpus.facts(doc="gov2018") if f.value_kind == AVERAGE}
    assert "2013—2017" in periods  # 过去五年 … 年均增长


def test_the_seeds_read_as_before(corpus):
    schools = {(f.value, f.action, f.year, f.kind) for f, c in corpus.facts() if "幼儿园" in f.indicator}
    assert ("61所", "新建续建", 2024, "target") in schools and ("14所", "新建", 2024, "target") in schools
    assert ("47所", "续建", 2024, "target") in schools
    assert all(f.polarity == 1 for f, _ in corpus.facts())


def test_lcs_is_the_longest_common_substring():
    """difflib's longest match with no junk heuristic is exact: the longest k for which some k
    characters of a stand in b, checked by brute force on random strings (repeated characters,
    long b where difflib's autojunk would have ignored common ones)."""
    import random

    from qa.measure import lcs

    rng = random.Random(3)
    for _ in range(400):
        a = "".join(rng.choice("国内增长，的ab") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("国内增长，的ab") for _ in range(rng.randint(0, 260)))
        best = max((k for i in range(len(a)) for k in range(1, len(a) - i + 1) if a[i : i + k] in b), default=0)
        assert lcs(a, b) == best, (a, b)
