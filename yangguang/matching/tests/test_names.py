"""The name columns the probabilistic pass compares."""

from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from yangguang.matching import names

# Common name characters, polyphones and the phrases pypinyin reads as one word
# (单于, 尉迟, 长孙, 曾, 解, 乐, 朝, 行), variant characters, and non-Han characters.
POOL = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
        "单于尉迟长孙无忌曾国藩解放乐朝阳银行重庆大夫薄柏查仇区朴繁覃" + "".join(names.variants())
        + "·. AaＢ1１　-")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=POOL, max_size=6))
def test_pinyin_is_lazy_pinyin_of_the_whole_standard_name(name):
    expected = "".join(lazy_pinyin(names.standard_name(name), style=Style.NORMAL, errors="default"))
    assert names.pinyin(name) == expected


def test_phrases_are_read_as_pypinyin_reads_them():
    assert names.pinyin("单于") == "chanyu"
    assert names.pinyin("张喆") == names.pinyin("张哲") == "zhangzhe"
