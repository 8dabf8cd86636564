"""`healthcrawl demo`: the whole job on the bundled offline site.

Takes the output folder's lock, serves `crawler.demo` on 127.0.0.1 (fixed port, default 8765,
so that URLs — and with them the seen-store — stay the same from one run to the next),
renders the demo source specs (`crawler/demo_specs/*.toml`, `{{BASE}}` → the server's URL)
into `OUT/.demo-specs/`, and runs the ordinary harvest over them: the same spiders, pipeline,
WARC capture, dedup and report as a real harvest. Run twice into one folder, the second run
requests no article again; started twice at once, the second exits with "skipped".
With `redis_url`, `workers` worker processes share the crawl through Redis
(`crawler.runs.workers`), each writing into `OUT/workers/<worker id>/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.runs.lock import LockHeld, output_lock
from crawler.runs.harvest import EXIT_FAILURES, RunOutcome, run_crawl

DEMO_SPECS = Path(__file__).parents[1] / "demo_specs"
DEMO_PORT = 8765


def render_specs(base_url: str, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.toml"):
        old.unlink()
    for template in sorted(DEMO_SPECS.glob("*.toml")):
        (target / template.name).write_text(template.read_text(encoding="utf-8").replace("{{BASE}}", base_url),
                                            encoding="utf-8")
    return target


def run_demo(out: Path, *, overrides: dict[str, Any] | None = None, generation: int = 1,
             redis_url: str | None = None, workers: int | None = None, port: int = DEMO_PORT) -> RunOutcome:
    from crawler.demo.server import DemoServer

    settings = {
        "GUARD_ALLOW_PRIVATE": True,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    }
    settings.update(overrides or {})
    try:
        with output_lock(out):
            try:
                server = DemoServer(port=port, generation=generation).start()
            except OSError as exc:
                return RunOutcome(EXIT_FAILURES, summary=f"healthcrawl demo: cannot serve the demo site on "
                                                         f"127.0.0.1:{port}: {exc.strerror}")
            base_url = server.base_url
            try:
                specs = render_specs(server.base_url, out / ".demo-specs")
                settings["SOURCES_DIR"] = str(specs)
                if redis_url:  # distributed: N worker processes share the crawl through Redis
                    from crawler.runs.workers import run_workers

                    outcome = run_workers(out, redis_url=redis_url, workers=workers or 1,
                                          spider_kwargs={"sources_dir": str(specs)}, overrides=settings, kind="demo")
                else:
                    outcome = run_crawl(out_dir=out, spider_kwargs={"sources_dir": str(specs)}, overrides=settings,
                                        kind="demo", take_lock=False)
            finally:
                server.stop()
    except LockHeld as exc:
        return RunOutcome(0, skipped=True, summary=f"skipped: {exc}")
    if redis_url:
        outcome.summary += f"demo site served at {base_url}"
    else:
        outcome.summary += (f"\ndemo site served at {base_url}; files: WARC {out / 'warc'}, items "
                            f"{out / 'items.jsonl'}, reports {out / 'reports'}")
    return outcome
