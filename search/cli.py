"""The `newssearch` command: a thin Typer layer over :class:`search.NewsIndex`.

Each command parses options, calls the API, and hands the typed result to
`render`. Errors we expect become one line on stderr and exit code 2; anything
else is exit 1 with a one-line message (the traceback only with --debug).
"""

from __future__ import annotations

import functools
import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

# Only what every command needs is imported here: a cold `newssearch --help`
# or `query` should not pay for Whoosh, the readers or the web stack. The API,
# the renderers and the engine are imported inside the commands that use them
# (docs/performance.md, "Cold start").
from . import defaults
from .defaults import DEFAULT_WAIT
from .errors import IndexNotFoundError, NewsSearchError

if TYPE_CHECKING:
    from .api import NewsIndex
    from .results import IndexReport

DEFAULT_INDEX = Path("index")
SEED_DIR = Path("seeds")

QUERY_HELP = """Search the index.

The query language: words are ANDed (every word must match); OR, NOT and parentheses combine them; +word requires and -word excludes; "exact phrase"; field:term on title, body, source, section, author, tags, url, id (quote values with spaces: source:"Iran Press"); dates: published:2020, published:[2020-01-01 TO 2020-03-31], published:>=2020-02; prefix, wildcard and fuzzy words match words as written: missil*, m?nister, goverment~1.

U.S., US and u.s. are one word. If no article has every word, the words are searched as an OR, articles with more of them first (said in one line). An empty query matches every article (useful with --facet and --limit 0). Exclusions alone (-Idlib) match every other article. A query that starts with "-" goes after "--":  newssearch query -- "-Idlib Patriot"

Examples:

  newssearch query "Patriot Idlib"

  newssearch query '"Patriot missile systems" OR S-400' --json

  newssearch query Idlib --facet source --facet year --sort newest
"""


class Sort(str, Enum):
    relevance = "relevance"
    newest = "newest"
    oldest = "oldest"
    recent = "recent"


class Highlight(str, Enum):
    auto = "auto"
    ansi = "ansi"
    marks = "marks"
    html = "html"
    none = "none"


app = typer.Typer(
    help="Full-text search for news archives on disk: fielded, faceted, ranked, "
         "with highlighted snippets.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
_state = {"debug": False}

IndexOption = typer.Option(None, "--index", "-i", envvar="NEWSSEARCH_INDEX",
                           help="Index directory (default: index/), or opensearch://HOST:PORT/INDEX "
                                "(every command but check).", show_default=False)
JsonOption = typer.Option(False, "--json", help="Print one JSON document.")
SynonymsOption = typer.Option(
    None, "--synonyms", metavar="FILE",
    help="Synonyms in Solr's format (\"car, automobile\" or \"colour => color\" per line), "
         "applied to the query's words and quoted phrases.")
WaitOption = typer.Option(DEFAULT_WAIT, "--wait", min=0,
                          help="Seconds to wait for another writer to finish.")


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"newssearch: error: {message}", err=True)
    return typer.Exit(code)


def handle_errors(command):
    """Turn our exceptions into one-line messages and exit codes."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except NewsSearchError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
        except (typer.Exit, typer.Abort, SystemExit, BrokenPipeError):
            raise  # (a reader that stopped reading is main()'s to handle)
        except Exception as exc:  # last resort: still no traceback by default
            if _state["debug"]:
                import traceback  # (only here: not worth its import on every start)

                traceback.print_exc()
            damage = _diagnose(kwargs.get("index"))
            if damage:  # a damaged file is the likely cause: say which
                raise fail(damage, 2) from None
            raise fail(f"unexpected {type(exc).__name__}: {exc} "
                       f"(run with --debug for details)", 1) from None

    return wrapper


def _diagnose(index: Optional[Path]) -> Optional[str]:
    """"index damaged: …" if the index a command used fails a full check."""
    from .engine.whoosh import directory

    path = index if isinstance(index, Path) else DEFAULT_INDEX
    if is_opensearch(path) or not directory.exists(path):
        return None
    from .ingest.check import diagnose

    return diagnose(path)


def print_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"newssearch {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for unexpected errors."),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=print_version,
                                 help="Print the version and exit."),
) -> None:
    _state["debug"] = debug or bool(os.environ.get("NEWSSEARCH_DEBUG"))


# --- opening the index ---------------------------------------------------------

def open_index(index: Optional[Path], *, for_rebuild: bool = False) -> NewsIndex:
    """Open the index. With no --index (and no NEWSSEARCH_INDEX) on a fresh
    checkout, build the default index from seeds/ first. An opensearch://
    index is opened as it is (`check` refuses one before opening)."""
    from .api import NewsIndex
    from .engine.whoosh import directory

    if is_opensearch(index):
        return NewsIndex.open(index)

    if index is None:
        index = DEFAULT_INDEX
        if not directory.exists(index) and SEED_DIR.is_dir():
            bootstrap(index)
    if not directory.exists(index):
        raise IndexNotFoundError(
            f"no index at {index}/ (build one with: newssearch index PATH --index {index})")
    return NewsIndex.open(index, for_rebuild=for_rebuild)


def is_opensearch(index: Optional[Path]) -> bool:
    # (--index is a Path, which turns opensearch://h:p/x into opensearch:/h:p/x.)
    return index is not None and str(index).startswith("opensearch:")


def refuse_opensearch(index: Optional[Path]) -> None:
    """One line, exit 2, for a command the OpenSearch engine cannot run yet."""
    if is_opensearch(index):
        raise NewsSearchError("this command is not supported on an OpenSearch index yet "
                              "(every other command is)")


def bootstrap(index: Path) -> None:
    from .api import NewsIndex

    typer.echo(f"newssearch: no index yet; building {index}/ from {SEED_DIR}/ …", err=True)
    with NewsIndex.create(index) as ix:
        report = ix.index_paths([SEED_DIR])
    for path, reason in report.failed:
        typer.echo(f"newssearch: failed: {path}: {reason}", err=True)


def load_synonyms(path: Optional[Path]):
    """The --synonyms table, or None without the option."""
    if not path:
        return None
    from .query.synonyms import Synonyms

    return Synonyms.load(path)


def highlight_style(choice: Highlight, as_json: bool) -> str:
    if choice != Highlight.auto:
        return choice.value
    if as_json:
        return "none"
    use_colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return "ansi" if use_colour else "marks"


# --- commands ------------------------------------------------------------------

@app.command(help=QUERY_HELP)
@handle_errors
def query(
    text: str = typer.Argument("", help="The query (see above). Quote it in the shell."),
    index: Optional[Path] = IndexOption,
    limit: int = typer.Option(10, "--limit", "-n", min=0, max=1000,
                              help="Hits per page; 0 prints totals and facets only."),
    page: int = typer.Option(1, "--page", "-p", min=1, help="Page of hits to show."),
    sort: Sort = typer.Option(Sort.relevance, "--sort",
                              help="Order of hits; recent = relevance that halves every "
                                   "--half-life days of age."),
    half_life: float = typer.Option(30.0, "--half-life", min=0.001,
                                    help="Days for --sort recent."),
    source: List[str] = typer.Option([], "--source", help="Only this source (repeatable)."),
    section: List[str] = typer.Option([], "--section", help="Only this section (repeatable)."),
    filter_: List[str] = typer.Option(
        [], "--filter", metavar="FIELD=VALUE",
        help="Only articles with this value in a facet field, e.g. --filter tags=Syria "
             "(repeatable; values of one field are ORed, fields ANDed)."),
    since: Optional[str] = typer.Option(None, "--since", help="Published on/after (YYYY[-MM[-DD]])."),
    until: Optional[str] = typer.Option(None, "--until", help="Published on/before (YYYY[-MM[-DD]])."),
    facet: List[str] = typer.Option([], "--facet", "-f",
                                    help="Count hits per value: source, section, authors, tags, "
                                         "language, topics, places, people, orgs, exchanges, "
                                         "year, month, day (repeatable). A facet that is also "
                                         "filtered counts as if its own filter were off."),
    facet_limit: int = typer.Option(10, "--facet-limit", min=1, help="Values shown per facet."),
    as_json: bool = JsonOption,
    highlight: Highlight = typer.Option(Highlight.auto, "--highlight",
                                        help="Snippet marks: ansi on a terminal, marks when piped."),
    strict: bool = typer.Option(False, "--strict",
                                help="Reject malformed queries instead of reading them leniently."),
    any_term: bool = typer.Option(False, "--any", help="Match any word instead of all."),
    collapse: bool = typer.Option(False, "--collapse",
                                  help="One hit per near-duplicate story (\"+N similar\")."),
    lang: Optional[str] = typer.Option(
        None, "--lang", help="Analyse the query for these languages only (de,en); "
                             "default: every language in the index."),
    synonyms: Optional[Path] = SynonymsOption,
) -> None:
    table = load_synonyms(synonyms)
    with open_index(index) as ix:
        results = ix.search(text, limit=limit, page=page, sort=sort.value, source=source,
                            section=section, filters=parse_filters(filter_),
                            half_life=half_life, since=since, until=until, facets=facet,
                            facet_limit=facet_limit, strict=strict, any_term=any_term,
                            collapse=collapse, synonyms=table,
                            languages=[lang] if lang else None)
    print_results(results, as_json, highlight)


def print_results(results, as_json: bool, highlight: Highlight) -> None:
    from . import render

    if as_json:
        data = results.to_dict()
        style = highlight_style(highlight, True)
        if style != "none":
            for hit, out in zip(results.hits, data["hits"]):
                out["snippets_marked"] = [render.mark(s.text, s.highlights, style)
                                          for s in hit.snippets]
        typer.echo(render.to_json(data))
        return
    for warning in results.warnings:
        typer.echo(f"newssearch: warning: {warning}", err=True)
    results.warnings = []
    style = highlight_style(highlight, False)
    # click strips ANSI codes when stdout is not a terminal; an explicit
    # --highlight ansi means the user wants them anyway.
    typer.echo(render.results_text(results, style), color=True if style == "ansi" else None)


@app.command()
@handle_errors
def similar(
    article_id: str = typer.Argument(..., metavar="ID", help="The article to match."),
    index: Optional[Path] = IndexOption,
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=1000, help="How many."),
    as_json: bool = JsonOption,
    highlight: Highlight = typer.Option(Highlight.auto, "--highlight",
                                        help="Snippet marks: ansi on a terminal, marks when piped."),
) -> None:
    """Articles like ID ("more like this"), from its most telling words."""
    with open_index(index) as ix:
        results = ix.similar(article_id, limit=limit)
    print_results(results, as_json, highlight)


@app.command("index")
@handle_errors
def index_cmd(
    paths: List[Path] = typer.Argument(..., help="Files or folders of articles."),
    index: Optional[Path] = IndexOption,
    wait: float = WaitOption,
    field_map: List[str] = typer.Option(
        [], "--map", metavar="FIELD=COLUMN",
        help="Read FIELD from COLUMN in JSON/CSV input (repeatable), by name or by "
             "1-based column number, e.g. --map body=story_text --map source=meta.outlet "
             "--map title=2. Remembered for later runs and rebuild; a run with another "
             "map (or none) reads the files again."),
    set_values: List[str] = typer.Option(
        [], "--set", metavar="FIELD=VALUE",
        help="Fill FIELD with VALUE where an article leaves it empty (repeatable), e.g. "
             '--set source="BBC News" --set language=en. Remembered like --map.'),
    follow_links: bool = typer.Option(False, "--follow-links",
                                      help="Follow symbolic links that lead out of the "
                                           "folders being indexed (skipped by default)."),
    prune: bool = typer.Option(False, "--prune",
                               help="Remove articles whose files under PATHS are gone."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                       help="Parsing processes; with 2 or more, as many "
                                            "text builder processes too (default: "
                                            "$NEWSSEARCH_JOBS, else all cores)."),
    as_json: bool = JsonOption,
) -> None:
    """Add or update articles from files and folders.

    Text, HTML, JSON Lines, JSON, CSV/TSV, RSS/Atom and Reuters SGML, chosen by extension. Files that did not change since the last run are not read again; exact duplicates are indexed once; bad files are reported and skipped (exit code 2)."""
    target = index or DEFAULT_INDEX
    missing = [p for p in paths if not p.exists()]
    if len(missing) == len(paths):
        raise NewsSearchError(f"no such file or folder: {', '.join(map(str, missing))}")
    mapping = parse_field_map(field_map)
    defaults = parse_pairs(set_values, "--set", "FIELD=VALUE")
    from .api import NewsIndex

    with NewsIndex.open_or_create(target) as ix:
        report = run_with_progress(lambda progress: ix.index_paths(
            paths, wait=wait, progress=progress, field_map=mapping, prune=prune, jobs=jobs,
            defaults=defaults, follow_links=follow_links))
    finish(report, as_json, "Indexed")


def parse_filters(pairs: List[str]) -> dict[str, list[str]]:
    """`--filter tags=Syria --filter tags=Iraq` → {"tags": ["Syria", "Iraq"]}."""
    filters: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise NewsSearchError(f'--filter needs FIELD=VALUE, got "{pair}"')
        filters.setdefault(name.strip(), []).append(value.strip())
    return filters


def parse_pairs(pairs: List[str], option: str, shape: str) -> dict[str, str]:
    """`--set source=BBC News` → {"source": "BBC News"}."""
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise NewsSearchError(f'{option} needs {shape}, got "{pair}"')
        values[name.strip()] = value.strip()
    return values


def parse_field_map(pairs: List[str]) -> dict[str, str]:
    """`--map body=story_text` → {"body": "story_text"}, checking field names."""
    from .article import FIELD_NAMES

    mapping = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise NewsSearchError(f'--map needs FIELD=COLUMN, got "{pair}"')
        if name not in FIELD_NAMES or name in ("content_hash", "cluster", "path", "extraction"):
            raise NewsSearchError(f'--map: unknown article field "{name}"')
        mapping[name] = column
    return mapping


@app.command()
@handle_errors
def rebuild(
    index: Optional[Path] = IndexOption,
    wait: float = WaitOption,
    drop_missing: bool = typer.Option(False, "--drop-missing",
                                      help="Remove articles whose source folder is gone."),
    as_json: bool = JsonOption,
) -> None:
    """Rebuild the whole index from the sources it was built from.

    The new index is written into a new directory, then swapped in atomically. Articles from a source folder that is gone are kept (and reported) unless --drop-missing."""
    with open_index(index, for_rebuild=True) as ix:
        report = run_with_progress(lambda progress: ix.rebuild(
            wait=wait, progress=progress, drop_missing=drop_missing))
    finish(report, as_json, "Rebuilt from")


@app.command()
@handle_errors
def check(
    index: Optional[Path] = IndexOption,
    repair: bool = typer.Option(False, "--repair",
                                help="Drop what is damaged and read its articles again from "
                                     "their source files (or rebuild from the sources)."),
    wait: float = WaitOption,
    as_json: bool = JsonOption,
) -> None:
    """Verify every file of the index; --repair mends what is damaged.

    Checksums, table of contents and ledger are checked per segment; the exit code is 2 if something is damaged."""
    from . import render
    from .ingest import check as checking

    refuse_opensearch(index)
    target = index or DEFAULT_INDEX
    report = checking.check_index(target)
    if repair and not report.ok:
        from .ingest.repair import repair as mend

        report = mend(target, wait)
    if as_json:
        typer.echo(render.to_json(report.to_dict()))
    else:
        typer.echo("\n".join(checking.report_lines(report)))
    if not report.ok:
        raise typer.Exit(2)


@app.command()
@handle_errors
def stats(index: Optional[Path] = IndexOption, as_json: bool = JsonOption) -> None:
    """Document count, sources, date range, fields and size on disk."""
    from . import render

    with open_index(index) as ix:
        summary = ix.stats()
    typer.echo(render.to_json(summary.to_dict()) if as_json else render.stats_text(summary))


@app.command()
@handle_errors
def show(
    article_id: str = typer.Argument(..., metavar="ID", help="The article id (see query output)."),
    index: Optional[Path] = IndexOption,
    as_json: bool = JsonOption,
) -> None:
    """Print one stored article in full."""
    from . import render

    with open_index(index) as ix:
        article = ix.get(article_id)
    if article is None:
        raise NewsSearchError(f'no article with id "{article_id}"')
    typer.echo(render.to_json(article.to_dict()) if as_json else render.article_text(article))


@app.command()
@handle_errors
def export(
    index: Optional[Path] = IndexOption,
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Write to this file instead of stdout."),
) -> None:
    """Write every stored article as JSON Lines (one object per line)."""
    from . import render

    with open_index(index) as ix:
        try:
            out = open(output, "w", encoding="utf-8") if output else sys.stdout
        except OSError as exc:
            raise NewsSearchError(f"cannot write {output} ({exc.strerror or exc})") from None
        try:
            count = 0
            for article in ix.articles():
                out.write(render.to_json(article.to_dict(), indent=None) + "\n")
                count += 1
        finally:
            if output:
                out.close()
    if output:
        typer.echo(f"Exported {count:,} articles to {output}", err=True)


@app.command()
@handle_errors
def serve(
    index: Optional[Path] = IndexOption,
    host: str = typer.Option("127.0.0.1", "--host",
                             help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    synonyms: Optional[Path] = SynonymsOption,
    allow_host: List[str] = typer.Option(
        [], "--allow-host", metavar="NAME",
        help="Also answer requests whose Host header is NAME (repeatable; '*' for any). "
             "Others are refused, so a hostile web page cannot reach the server through "
             "a DNS name it controls (DNS rebinding)."),
    api_key: Optional[str] = typer.Option(
        None, "--api-key", envvar="NEWSSEARCH_API_KEY", metavar="KEY",
        help="Require KEY on every request (Authorization: Bearer KEY, X-API-Key: KEY, "
             "or HTTP Basic with KEY as password). Use it when listening beyond loopback."),
) -> None:
    """Serve a search page and a JSON HTTP API.

    Routes: /api/search, /api/article/ID, /api/similar/ID, /api/stats, /api/suggest; OpenAPI at /openapi.json. The index is re-read when it changes: no restart after `newssearch index`."""
    import uvicorn

    from .web.front import Front
    from .web.guard import HostCheck, is_loopback
    from .web.server import Server

    if api_key is not None and not api_key.strip():
        raise NewsSearchError("--api-key is empty")
    defaults.ONE_SHOT = False  # a server searches many times: worth numpy's start-up
    # Opened once, here (it builds the default index on a fresh checkout and
    # errors clearly), and handed to the app, which closes it at shutdown.
    # The app answers plain searches itself and builds the FastAPI app for
    # everything else when first asked (search/web/front.py).
    ix = open_index(index)
    where = ix.path if is_opensearch(index) else f"{index or DEFAULT_INDEX}/"
    try:
        web_app = Front(Server(ix, synonyms=load_synonyms(synonyms)),
                        host_check=HostCheck(host, allow_host), api_key=api_key)
    except BaseException:
        ix.close()
        raise
    if not is_loopback(host) and not api_key:
        typer.echo(f"newssearch: warning: listening on {host} without --api-key: anyone who "
                   f"can reach it can search this index", err=True)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"newssearch: serving {where} at http://{shown}:{port}/ "
               f"(Ctrl+C stops)", err=True)
    uvicorn.run(web_app, host=host, port=port, log_level="warning")


@app.command("eval")
@handle_errors
def eval_cmd(
    queries: Path = typer.Option(..., "--queries", "-q", metavar="Q.tsv",
                                 help="Test queries, one 'query-id<TAB>query text' per line."),
    qrels: Path = typer.Option(..., "--qrels", metavar="QRELS",
                               help="TREC relevance judgments: 'query-id 0 article-id grade' "
                                    "per line (grade 1 or more is relevant)."),
    run: Optional[Path] = typer.Option(None, "--run", metavar="OUT",
                                       help="Also write the rankings as a TREC run file."),
    index: Optional[Path] = IndexOption,
    as_json: bool = JsonOption,
) -> None:
    """Measure ranking quality: MAP, P@10 and nDCG@10.

    Each query runs as `query --any` does (words OR-ed, the same BM25F ranking); the measures are averaged over the queries that have relevant judgments."""
    from . import render
    from .query.evaluation import evaluate, read_queries

    texts = read_queries(queries)
    with open_index(index) as ix:
        report = evaluate(ix, texts, qrels, run_path=run)
    if as_json:
        typer.echo(render.to_json(report.to_dict()))
        return
    typer.echo(report.to_text())
    for note in report.notes():
        typer.echo(f"newssearch: {note}", err=True)


# --- helpers -------------------------------------------------------------------

def run_with_progress(job):
    """Run an indexing job with a progress bar on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return job(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
               TextColumn("{task.fields[articles]:,} articles"),
               TextColumn("{task.fields[rate]:,.0f}/s"), TimeRemainingColumn())
    started = time.perf_counter()

    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("index", total=None, articles=0, rate=0.0)

        def update(done: int, total: int, articles: int) -> None:
            rate = articles / max(time.perf_counter() - started, 1e-6)
            bar.update(task, completed=done, total=total, articles=articles, rate=rate)

        return job(update)


def finish(report: IndexReport, as_json: bool, verb: str) -> None:
    """Print the run's summary; exit 2 if any file failed (the rest is indexed)."""
    from . import render, reporting

    if as_json:
        typer.echo(render.to_json(report.to_dict()))
        for line in reporting.notice_lines(report, kinds=("failed",)):
            typer.echo(line, err=True)
    else:
        typer.echo(render.report_text(report, verb))
        for line in reporting.notice_lines(report):
            typer.echo(line, err=True)
    if report.failed:
        raise typer.Exit(2)


def main() -> None:
    """Console-script entry point. A reader that stops reading (``| head``)
    is not an error: the rest of the output is dropped without a message
    (click's own handling, exit status 1), including output still buffered
    when the command ends."""
    defaults.ONE_SHOT = True  # (`serve` undoes it: it searches many times)
    try:
        app(prog_name="newssearch")
    except SystemExit:
        _flush_or_quiet()
        raise
    _flush_or_quiet()


def _flush_or_quiet() -> None:
    """Flush stdout now, so that a closed pipe shows up here and not as
    Python's "Exception ignored" note at exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()


def _quiet_broken_pipe() -> None:
    # Point stdout at /dev/null so the interpreter's final flush is silent.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(1)


if __name__ == "__main__":
    main()
