"""`healthcrawl demo`: the whole job on the bundled offline site.

Takes the output folder's lock, serves `crawler.demo` on 127.0.0.1 on one port per output
folder, so that URLs — and with them the seen-store — stay the same from one run to the next:
`--port`, else the port remembered in `OUT/.demo-port`, else 8765 or, when that is taken, a free
one; the port used is remembered in `OUT/.demo-port`,
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
PORT_FILE = ".demo-port"


def remembered_port(out: Path) -> int | None:
    """The port the demo of this output folder was served on before (`OUT/.demo-port`), if any."""
    try:
        return int((out / PORT_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _start_server(out: Path, port: int | None, generation: int) -> Any:
    """The demo server on `port`, else the remembered one, else DEMO_PORT or any free port."""
    from crawler.demo.server import DemoServer

    wanted = port if port is not None else remembered_port(out)
    if wanted is not None:
        return DemoServer(port=wanted, generation=generation).start()
    try:
        return DemoServer(port=DEMO_PORT, generation=generation).start()
    except OSError:
        return DemoServer(port=0, generation=generation).start()


def render_specs(base_url: str, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.toml"):
        old.unlink()
    for template in sorted(DEMO_SPECS.glob("*.toml")):
        (target / template.name).write_text(template.read_text(encoding="utf-8").replace("{{BASE}}", base_url),
                                            encoding="utf-8")
    return target


def run_demo(out: Path, *, overrides: dict[str, Any] | None = None, generation: int = 1,
             redis_url: str | None = None, workers: int | None = None, port: int | None = None) -> RunOutcome:
    settings = {
        "GUARD_ALLOW_PRIVATE": True,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    }
    settings.update(overrides or {})
    from crawler.runs.harvest import EXIT_USAGE, _usable_output

    problem = _usable_output(out)
    if problem is not None:
        return RunOutcome(EXIT_USAGE, summary=problem)
    try:
        with output_lock(out):
            try:
                server = _start_server(out, port, generation)
            except OSError as exc:
                wanted = port if port is not None else remembered_port(out)
                why = "given with --port" if port is not None else f"remembered in {out / PORT_FILE}"
                return RunOutcome(EXIT_FAILURES, summary=f"healthcrawl demo: cannot serve the demo site on "
                                                         f"127.0.0.1:{wanted} ({why}): {exc.strerror}")
            (out / PORT_FILE).write_text(f"{server.port}\n", encoding="ascii")
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
