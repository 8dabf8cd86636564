"""crawler.urls.canonicalize_url: one spelling per address, idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.urls import article_id, canonicalize_url, site_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # case of scheme and host; path case is kept
        ("HTTP://WSJKW.ZJ.GOV.CN/Art/1.html", "http://wsjkw.zj.gov.cn/Art/1.html"),
        # default ports dropped, others kept
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        # fragments and user info dropped, empty path becomes /
        ("http://example.com/a#top", "http://example.com/a"),
        ("http://user:pw@example.com", "http://example.com/"),
        # tracking parameters dropped (any case), the rest sorted, blank values kept
        ("http://e.cn/a?utm_source=wx&id=3&SPM=a.b&from=timeline&b=", "http://e.cn/a?b=&id=3"),
        ("http://e.cn/a?UTM_Medium=x", "http://e.cn/a"),
        ("https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=ab12&chksm=8b&scene=21#wechat_redirect",
         "https://mp.weixin.qq.com/s?__biz=MzA5&idx=1&mid=2650&sn=ab12"),
        # percent-encoding: upper-case hex, unreserved decoded, raw non-ASCII encoded as UTF-8
        ("http://e.cn/%7euser/%e4%b8%ad", "http://e.cn/~user/%E4%B8%AD"),
        ("http://e.cn/新闻/医共体.html", "http://e.cn/%E6%96%B0%E9%97%BB/%E5%8C%BB%E5%85%B1%E4%BD%93.html"),
        # a GBK-escaped query value is not decoded as UTF-8 and mangled
        ("http://e.cn/search.asp?kw=%D2%BD%B9%B2%CC%E5", "http://e.cn/search.asp?kw=%D2%BD%B9%B2%CC%E5"),
        # dot segments, trailing dot on host, IDN host
        ("http://e.cn./a/../b/./c.html", "http://e.cn/b/c.html"),
        ("http://卫健委.中国/", "http://xn--nyq96ey2h.xn--fiqs8s/"),
    ],
)
def test_canonical_forms(raw: str, expected: str) -> None:
    assert canonicalize_url(raw) == expected


def test_spellings_of_one_address_agree() -> None:
    spellings = [
        "http://www.hzwsjkw.cn/art/2024/3/1/art_1.html?utm_campaign=x#p2",
        "HTTP://WWW.HZWSJKW.CN:80/art/2024/3/1/art_1.html",
        "http://www.hzwsjkw.cn/art/2024/3/./1/art_1.html?spm=1.2.3",
    ]
    assert len({canonicalize_url(u) for u in spellings}) == 1
    assert len({article_id(canonicalize_url(u)) for u in spellings}) == 1


@pytest.mark.parametrize("bad", ["/art/1.html", "example.com/a", "", "http://e.cn:port/"])
def test_bad_url_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot canonicalise"):
        canonicalize_url(bad)


_segment = st.lists(st.sampled_from(list("abcXYZ019-._~%/中医") + ["%2F", "%e4%b8%ad", "%7e"]), max_size=12).map("".join)
_query_key = st.sampled_from(["id", "page", "utm_source", "spm", "from", "kw", "A", "b"])
_query = st.lists(st.tuples(_query_key, _segment), max_size=4).map(
    lambda pairs: "&".join(f"{k}={v.replace('&', '').replace('#', '')}" for k, v in pairs)
)


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["http", "HTTPS", "Http"]),
    host=st.sampled_from(["Example.COM", "wsjkw.zj.gov.cn.", "卫健委.中国", "127.0.0.1"]),
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    path=_segment,
    query=_query,
    fragment=st.sampled_from(["", "#x", "#中"]),
)
def test_idempotent(scheme: str, host: str, port: str, path: str, query: str, fragment: str) -> None:
    url = f"{scheme}://{host}{port}/{path}" + (f"?{query}" if query else "") + fragment
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert "#" not in once
    assert "utm_source" not in once and "spm=" not in once


def test_article_id_and_site() -> None:
    canonical = canonicalize_url("http://E.cn:8080/a")
    assert article_id(canonical) == article_id("http://e.cn:8080/a")
    assert len(article_id(canonical)) == 16
    assert site_of("http://WWW.E.cn:8080/a") == "www.e.cn"
