"""Source specs: every source is data, validated at start-up.

A spec is a TOML file `spiders/specs/<region>/<name>.toml` (or under the folder named by the
`SOURCES_DIR` setting / `--sources-dir`). `SourceSpec` validates it; `load_specs()` validates
every file and raises `SpecError` naming the file, the field and the bad value on the first
problem, so a bad spec stops the crawl before anything is fetched.

Spec entries say how to find articles: `[[listing]]` pages with pagination, `[[sitemap]]`
(plain, index or Google News sitemaps) and `[[feed]]` (RSS/Atom). See README "Source specs".
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from spiders.pagination import FAMILIES
from crawler.exceptions import SpecError

DEFAULT_SPECS_DIR = Path(__file__).parent / "specs"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PAGINATION_FAMILIES = ("auto", *FAMILIES)
TEMPLATE_RE = re.compile(r"^[^{}\s]*\{[ni]\}[^{}\s]*$")
DOMAIN_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _check_domain(value: str) -> str:
    """A host name as Scrapy's `allowed_domains` takes it: no scheme, port, path or spaces;
    DNS labels (IDN written in Unicode is turned into its ASCII form)."""
    if value != value.strip() or not value or any(c in value for c in "/:@?#* "):
        raise ValueError("must be a bare host name such as 'wjw.gz.gov.cn' (no scheme, port, path or spaces)")
    try:
        host = value.lower().encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"not a valid host name: {exc}") from None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 and host != "localhost" or not all(DOMAIN_LABEL_RE.match(x) for x in labels):
        raise ValueError("not a valid host name (dot-separated labels of letters, digits and '-')")
    return host


def _within(host: str | None, domains: list[str]) -> bool:
    return bool(host) and any(host == d or host.endswith("." + d) for d in domains)  # type: ignore[union-attr]


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    return value


def _check_compiles(value: str | None, compile: Any, error: type[Exception], what: str) -> str | None:
    if value is None:
        return None
    try:
        compile(value)
    except error as exc:
        raise ValueError(f"not a valid {what}: {exc}") from exc
    return value


def _check_regex(value: str | None) -> str | None:
    return _check_compiles(value, re.compile, re.error, "regular expression")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # no "3" -> 3, "yes" -> True
    url: str
    article_links: str | None = Field(
        None, description="regex an article URL must match (search); default: any same-site link"
    )

    _url = field_validator("url")(classmethod(lambda cls, v: _check_http_url(v)))
    _links = field_validator("article_links")(classmethod(lambda cls, v: _check_regex(v)))


def _check_pagination(value: str) -> str:
    if value in PAGINATION_FAMILIES or TEMPLATE_RE.match(value):
        return value
    raise ValueError(f"must be one of {', '.join(PAGINATION_FAMILIES)} or a URL template with one {{n}} "
                     "(page number, 2 = second page) or {i} (0-based index), e.g. 'index_{n}.html'")


def _check_xpath(value: str | None) -> str | None:
    from lxml import etree

    return _check_compiles(value, etree.XPath, etree.XPathSyntaxError, "XPath expression")


class ListingEntry(_Entry):
    """A listing page; follows its pagination up to `max_pages` (pages, counting this one).

    `pagination` is `auto` (read the page: see `spiders.pagination`), a CMS family whose
    schemes alone are tried (`trs`, `jcms`, `dedecms`, `empirecms`, `gkmlpt`, `wordpress`,
    `links`), or a URL template resolved against `url` (`index_{n}.html`: `{n}` is the page
    number, 2 for the second page; `{i}` the 0-based index, 1 for the second page).
    `next_page_xpath`, when given, is tried before anything else."""

    pagination: str = "auto"
    next_page_xpath: str | None = None
    max_pages: Annotated[int, Field(ge=1, le=1000)] = 5

    _pagination = field_validator("pagination")(classmethod(lambda cls, v: _check_pagination(v)))
    _xpath = field_validator("next_page_xpath")(classmethod(lambda cls, v: _check_xpath(v)))


class SitemapEntry(_Entry):
    """A sitemap, sitemap index or Google News sitemap."""


class FeedEntry(_Entry):
    """An RSS 2.0 or Atom feed."""


class Region(BaseModel):
    """Where the publisher is (GB/T 2260 code when known)."""

    model_config = ConfigDict(extra="forbid", strict=True)  # no "3" -> 3, "yes" -> True
    province: str
    city: str | None = None
    county: str | None = None
    code: Annotated[str | None, Field(pattern=r"^\d{6}$")] = None


class Politeness(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # no "3" -> 3, "yes" -> True
    download_delay: Annotated[float, Field(ge=0, le=600)] = 1.0
    concurrency: Annotated[int, Field(ge=1, le=32)] = 2


class SourceSpec(BaseModel):
    """One source: a site (or part of one) and how to find its articles."""

    model_config = ConfigDict(extra="forbid", strict=True)  # no "3" -> 3, "yes" -> True
    name: str
    title: str
    homepage: str
    region: Region
    enabled: bool = True
    verified_offline: bool = Field(
        False, description="true only for sources whose spec was checked against a live or archived copy"
    )
    notes: str = ""
    allowed_domains: list[Annotated[str, AfterValidator(_check_domain)]] = Field(default_factory=list)
    listing: list[ListingEntry] = Field(default_factory=list)
    sitemap: list[SitemapEntry] = Field(default_factory=list)
    feed: list[FeedEntry] = Field(default_factory=list)
    politeness: Politeness = Field(default_factory=Politeness)
    cutoff_days: Annotated[int | None, Field(ge=1)] = Field(
        None, description="first harvest: only articles published in the last N days"
    )
    min_relevance: Annotated[float | None, Field(ge=0, le=1)] = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_' (max 64)")
        return value

    _home = field_validator("homepage")(classmethod(lambda cls, v: _check_http_url(v)))

    @model_validator(mode="after")
    def _entries(self) -> "SourceSpec":
        if not (self.listing or self.sitemap or self.feed):
            raise ValueError("a source needs at least one [[listing]], [[sitemap]] or [[feed]] entry")
        if self.allowed_domains:
            outside = [e.url for e in self.entries() if not _within(urlsplit(e.url).hostname, self.allowed_domains)]
            if outside:
                raise ValueError(f"allowed_domains {self.allowed_domains} leave out the entry URL {outside[0]!r}")
        if not self.allowed_domains:
            hosts = {urlsplit(e.url).hostname for e in self.entries()} | {urlsplit(self.homepage).hostname}
            self.allowed_domains = sorted(h for h in hosts if h)
        return self

    def entries(self) -> list[_Entry]:
        return [*self.listing, *self.sitemap, *self.feed]


def _format_error(path: Path, exc: ValidationError, raw: dict[str, Any]) -> str:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        value = err.get("input")
        shown = repr(value) if not isinstance(value, dict) else "{…}"
        if len(shown) > 80:
            shown = shown[:77] + "…"
        problems.append(f"field '{loc}' = {shown}: {err['msg']}")
    return f"{path}: invalid source spec: " + "; ".join(problems)


def load_spec(path: Path, *, text: str | None = None) -> SourceSpec:
    """Load and validate one spec file. Raises SpecError naming file, field and value."""
    try:
        raw = tomllib.loads(text if text is not None else path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read source spec: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from exc
    try:
        spec = SourceSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(_format_error(path, exc, raw)) from exc
    if spec.name != path.stem:
        raise SpecError(f"{path}: field 'name' = {spec.name!r}: must equal the file name stem {path.stem!r}")
    return spec


def load_specs(directory: Path | str | None = None) -> dict[str, SourceSpec]:
    """Validate every `*.toml` under `directory` (recursively); names must be unique."""
    root = Path(directory) if directory else DEFAULT_SPECS_DIR
    if not root.is_dir():
        raise SpecError(f"{root}: source spec folder does not exist")
    specs: dict[str, SourceSpec] = {}
    where: dict[str, Path] = {}
    for path in sorted(root.rglob("*.toml")):
        spec = load_spec(path)
        if spec.name in specs:
            raise SpecError(f"{path}: field 'name' = {spec.name!r}: already used by {where[spec.name]}")
        specs[spec.name] = spec
        where[spec.name] = path
    return specs


def select_specs(specs: dict[str, SourceSpec], names: str | list[str] | None) -> list[SourceSpec]:
    """Pick sources by name (comma-separated or list); all enabled ones when `names` is empty."""
    if not names:
        return [s for s in specs.values() if s.enabled]
    wanted = [n.strip() for n in (names.split(",") if isinstance(names, str) else names) if n.strip()]
    unknown = [n for n in wanted if n not in specs]
    if unknown:
        raise SpecError(f"unknown source {', '.join(map(repr, unknown))}; known: {', '.join(sorted(specs)) or '(none)'}")
    return [specs[n] for n in wanted]


def adhoc_spec(urls: list[str], *, max_pages: int) -> SourceSpec:
    """A spec built from start URLs (`healthcrawl crawl URL…`): every start URL is a listing
    whose same-site links are followed; sitemaps and feeds found on the way are read too."""
    for url in urls:
        try:
            _check_http_url(url)
        except ValueError as exc:
            raise SpecError(f"start URL {url!r}: {exc}") from exc
    host = urlsplit(urls[0]).hostname or "adhoc"
    name = re.sub(r"[^a-z0-9_-]", "-", host.lower())[:64] or "adhoc"
    return SourceSpec(
        name=name,
        title=f"ad-hoc crawl of {host}",
        homepage=urls[0],
        region=Region(province="未知"),
        listing=[ListingEntry(url=u, max_pages=min(max(1, max_pages), 1000)) for u in urls],
        politeness=Politeness(download_delay=0.0, concurrency=8),
    )
