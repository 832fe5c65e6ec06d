"""End to end in headless Chromium: the search page served by uvicorn on
loopback, driven by Playwright with the system browser (Debian's `chromium`;
Playwright never downloads one here).

Skips cleanly when /usr/bin/chromium or the playwright package is missing;
`.ci/run` installs both.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.test_server import XSS_ID, XSS_TITLE, build_news_index

CHROMIUM = os.environ.get("NEWSSEARCH_CHROMIUM", "/usr/bin/chromium")
#: Flags for a closed network: no background connections, no first-run work.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 10_000


@contextmanager
def running_server(index_path: Path):
    """uvicorn serving create_app(index_path) in a background thread on a
    free loopback port (the socket is bound first, so no port race)."""
    import uvicorn

    from search.web.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(index_path), log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a bound for a stuck start, not an expectation
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def chromium():
    """A headless Chromium (Playwright's own launch gives it a fresh, empty
    temporary --user-data-dir, removed on close)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


def _require_browser() -> None:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium chromium-driver)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    _require_browser()
    index = build_news_index(tmp_path_factory.mktemp("browser") / "news-index")
    with running_server(index) as url:
        yield url


@pytest.fixture(scope="module")
def browser(site):
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def result_titles(page) -> list[str]:
    return page.locator("ol.hits h2 a").all_inner_texts()


def facet_count(page, facet: str, value: str) -> int:
    link = page.locator(f'a.fv[data-facet="{facet}"]', has_text=value).first
    return int(link.locator(".count").inner_text().replace(",", ""))


def test_type_a_query_facet_page_and_open_an_article(page, site):
    page.goto(site + "/")
    box = page.get_by_label("Search the news archive")
    box.fill("ferry")
    box.press("Enter")
    page.wait_for_url("**/?q=ferry")
    assert page.locator("#summary").inner_text().startswith("16 results for")
    assert len(result_titles(page)) == 10
    assert page.locator("ol.hits mark").first.inner_text().lower() == "ferry"
    gazette = facet_count(page, "source", "Alder Gazette")
    local_before = facet_count(page, "section", "Local")

    # a facet value: the chip shows, the total and the other facets' counts follow
    page.locator('a.fv[data-facet="source"]', has_text="Alder Gazette").click()
    page.wait_for_url("**filter.source=Alder+Gazette**")
    chip = page.locator("a.chip")
    assert chip.count() == 1 and "Source: Alder Gazette" in chip.inner_text()
    assert page.locator("#summary strong").inner_text() == str(gazette)
    assert facet_count(page, "section", "Local") < local_before
    # multi-select: the other sources keep their counts and can be added
    page.locator('a.fv[data-facet="source"]', has_text="Coastline Wire").click()
    page.wait_for_url("**filter.source=Coastline+Wire**")
    assert page.locator("a.chip").count() == 2
    # removing a chip goes back
    page.locator("a.chip", has_text="Coastline Wire").click()
    page.locator("a.chip", has_text="Alder Gazette").click()
    page.wait_for_url("**/?q=ferry")
    assert page.locator("a.chip").count() == 0

    # page 2
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**page=2**")
    assert len(result_titles(page)) == 6
    assert page.locator(".pages a.on").inner_text() == "2"

    # open an article: highlighted terms and similar articles
    page.locator("ol.hits h2 a").first.click()
    page.wait_for_url("**/article/**")
    assert "q=ferry" in page.url
    assert page.locator(".body mark").count() >= 1
    assert page.locator(".body mark").first.inner_text().lower() == "ferry"
    assert page.locator("aside.similar li").count() >= 1
    page.locator("aside.similar li a").first.click()
    page.wait_for_url("**/article/**")
    assert page.locator("h1").inner_text()
    assert page.dialogs == []


def test_histogram_bar_narrows_the_dates(page, site):
    page.goto(site + "/?q=ferry")
    bar = page.locator(".histogram a[aria-label^='Feb 2024']")
    label = bar.get_attribute("aria-label")
    bar.click()
    page.wait_for_url("**since=2024-02&until=2024-02**")
    assert page.locator("#summary strong").inner_text() == label.split(": ")[1].split()[0]
    assert "Date: 2024-02" in page.locator("a.chip").inner_text()


def test_sort_switch_and_bookmarkable_state(page, site):
    page.goto(site + "/?q=ferry&filter.tags=Environment&sort=oldest")
    titles = result_titles(page)
    assert titles[0] == "New electric ferry arrives from the yard"
    page.get_by_role("link", name="Newest").click()
    page.wait_for_url("**sort=newest**")
    assert result_titles(page)[0] == "Electric ferry enters passenger service"
    assert "filter.tags=Environment" in page.url
    # the form keeps the filters for a new query
    box = page.get_by_label("Search the news archive")
    box.fill("electric")
    box.press("Enter")
    page.wait_for_url("**q=electric**")
    assert "filter.tags=Environment" in page.url


def test_script_and_onerror_payloads_render_as_text(page, site):
    page.goto(site + "/?q=timetable")
    hit = page.locator("ol.hits li", has_text="Reader asks")
    assert hit.locator("h2").inner_text() == XSS_TITLE
    assert '<img src=x onerror="alert(1)">' in hit.locator(".snippet").inner_text()
    page.locator("ol.hits h2 a", has_text="Reader asks").click()
    page.wait_for_url("**/article/opinion/letters-007.txt**")
    assert page.locator("h1").inner_text() == XSS_TITLE
    body = page.locator(".body").inner_text()
    assert '<img src=x onerror="alert(1)">' in body and "<script>alert(1)</script>" in body
    assert page.locator(".body img, .body script, h1 script").count() == 0
    assert page.get_by_text("javascript:alert(1)").count() == 1  # a link it is not
    assert page.locator("a[href^='javascript:']").count() == 0
    page.wait_for_load_state("networkidle")  # every script has run: an alert would be in
    assert page.dialogs == []
    assert XSS_ID in page.locator(".meta-list code").inner_text()


def test_keyboard_slash_focuses_search_and_suggestions_load(page, site):
    page.goto(site + "/article/local/ferry-strike.txt")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    with page.expect_response(lambda r: "/api/suggest" in r.url and r.status == 200):
        page.keyboard.type("electric fer")
    # (a locator, not wait_for_function: the page's CSP forbids string eval)
    page.locator("#q-completions option").first.wait_for(state="attached")
    options = page.eval_on_selector_all("#q-completions option", "els => els.map(e => e.value)")
    assert "electric ferry" in options


def test_works_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(site + "/")
        page.fill("#q", "harbour")
        page.click("button[type=submit]")
        page.wait_for_url("**q=harbour**")
        assert len(result_titles(page)) >= 5
        page.locator('a.fv[data-facet="section"]', has_text="Business").click()
        page.wait_for_url("**filter.section=Business**")
        assert page.locator("a.chip").count() == 1
    finally:
        context.close()


def test_ids_with_percent_signs_over_real_http(tmp_path):
    """No browser needed: uvicorn decodes a path once (the test client twice)."""
    import json
    from urllib.request import urlopen

    from search import Article, NewsIndex
    from search.web.views import article_url

    ids = ["wire/a b?c#d%20e.txt", "100%/sure.txt"]
    with NewsIndex.create(tmp_path / "ix") as ix:
        ix.add([Article(id=i, title=f"Odd {n}", body=f"Body {n}") for n, i in enumerate(ids)])
    with running_server(tmp_path / "ix") as url:
        for article_id in ids:
            with urlopen(url + "/api" + article_url(article_id), timeout=10) as response:
                assert json.load(response)["id"] == article_id
            with urlopen(url + article_url(article_id), timeout=10) as response:
                assert f"Odd {ids.index(article_id)}" in response.read().decode()
