"""Run extraction over a folder of pages and write predictions that score.py reads.

    python bench/eval_extract.py PAGES_DIR PRED_DIR [--baseline] [--score] [--json OUT]

For every PAGES_DIR/NAME.html writes PRED_DIR/NAME.json `{"text", "title", "date"}`.
`NAME.headers.json` next to a page, when present, gives its response headers (a dict).
Default mode runs `crawler.extract.extract_page` with `Extractor(convert_script=False)`: the
gold keeps each page's own script, so Traditional pages are scored before t2s (`--simplified`
scores the default Simplified output instead). `--baseline`
writes plain trafilatura output (favor_precision off, raw bytes) for comparison. `--score`
then runs the scorer (`score.py` next to PAGES_DIR, i.e. PAGES_DIR/../score.py) and prints
its summary. A page that is not an article gets an empty prediction.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.extract import Extractor, extract_page  # noqa: E402
from crawler.extract.result import NotAnArticle  # noqa: E402


def page_headers(path: Path) -> dict[str, str]:
    """Headers stored beside a page as NAME.headers.json, or none."""
    side = path.with_name(path.stem + ".headers.json")
    if not side.exists():
        return {}
    data = json.loads(side.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{side}: expected a JSON object of headers")
    return {str(k).lower(): str(v) for k, v in data.items()}


def page_url(path: Path) -> str:
    """URL from the gold NAME.json beside the page when it has one."""
    side = path.with_suffix(".json")
    if side.exists():
        try:
            url = json.loads(side.read_text(encoding="utf-8")).get("url")
            if isinstance(url, str):
                return url
        except ValueError:
            pass
    return f"http://localhost/{path.name}"


def predict_ours(path: Path, extractor: Extractor) -> dict[str, str | None]:
    try:
        result = extract_page(path.read_bytes(), url=page_url(path), headers=page_headers(path),
                              extractor=extractor)
    except NotAnArticle:
        return {"text": "", "title": None, "date": None}
    return {"text": result.text, "title": result.title, "date": result.published}


def predict_baseline(path: Path) -> dict[str, str | None]:
    import trafilatura

    doc = trafilatura.bare_extraction(path.read_bytes(), url=page_url(path), with_metadata=True)
    if doc is None:
        return {"text": "", "title": None, "date": None}
    return {"text": doc.text or "", "title": doc.title, "date": doc.date}


def run(pages_dir: Path, pred_dir: Path, baseline: bool = False, simplified: bool = False) -> int:
    """Write one prediction per page; returns the number of pages."""
    pages = sorted(pages_dir.glob("*.html"))
    if not pages:
        raise SystemExit(f"no *.html pages in {pages_dir}")
    pred_dir.mkdir(parents=True, exist_ok=True)
    # The gold keeps each page's own script (HK pages are Traditional), so the text is scored
    # before Traditional -> Simplified conversion unless `simplified` is asked for.
    extractor = Extractor() if simplified else Extractor(convert_script=False)
    for path in pages:
        pred = predict_baseline(path) if baseline else predict_ours(path, extractor)
        (pred_dir / (path.stem + ".json")).write_text(json.dumps(pred, ensure_ascii=False), encoding="utf-8")
    return len(pages)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pages_dir", type=Path)
    ap.add_argument("pred_dir", type=Path)
    ap.add_argument("--baseline", action="store_true", help="plain trafilatura instead of ours")
    ap.add_argument("--simplified", action="store_true",
                    help="score the Simplified text (default: original script, as the gold is)")
    ap.add_argument("--score", action="store_true", help="run PAGES_DIR/../score.py afterwards")
    ap.add_argument("--quiet", action="store_true", help="with --score: summary only")
    ap.add_argument("--json", type=Path, help="with --score: write the full score here")
    args = ap.parse_args(argv)
    count = run(args.pages_dir, args.pred_dir, baseline=args.baseline, simplified=args.simplified)
    print(f"wrote {count} predictions to {args.pred_dir}", file=sys.stderr)
    if args.score:
        scorer = args.pages_dir.resolve().parent / "score.py"
        if not scorer.exists():
            raise SystemExit(f"score.py not found at {scorer}")
        cmd = [sys.executable, str(scorer), str(args.pages_dir), str(args.pred_dir)]
        if args.quiet:
            cmd.append("--quiet")
        if args.json:
            cmd += ["--json", str(args.json)]
        return subprocess.call(cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
