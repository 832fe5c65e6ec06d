"""Make docs/screenshot.png: the results page for a query on the test
articles (tests/test_server.py), in headless Chromium.

    python docs/make_screenshot.py [QUERY-STRING]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_browser import chromium, running_server  # noqa: E402
from tests.test_server import build_news_index  # noqa: E402

DEFAULT = "/?q=ferry&filter.source=Northshore+Post&filter.source=Coastline+Wire"


def main(path: str = DEFAULT) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        index = build_news_index(Path(tmp) / "index")
        with running_server(index) as url, chromium() as browser:
            page = browser.new_page(viewport={"width": 1200, "height": 900},
                                    device_scale_factor=1)
            page.goto(url + path)
            out = ROOT / "docs" / "screenshot.png"
            page.screenshot(path=str(out), full_page=False)
            print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
