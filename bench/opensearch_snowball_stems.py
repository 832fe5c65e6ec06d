"""Write search/engine/opensearch/snowball_stems.txt: for English and each
language routed to fields of its own (French, Spanish, Russian, …), the commonest
words of its wordfreq list that OpenSearch's Snowball stemmer stems
otherwise than the embedded engine's PyStemmer, each with the embedded
engine's stem (see `search.engine.opensearch.snowball`). Run it again after
upgrading PyStemmer, wordfreq or OpenSearch; tests/test_opensearch_snowball.py
says when.

    python bench/opensearch_cluster.py --data /tmp/os --port 9200 &
    python bench/opensearch_snowball_stems.py http://127.0.0.1:9200
"""

from __future__ import annotations

import sys
from importlib import resources

from search.engine.opensearch import snowball
from search.engine.opensearch.bulk import connect
from search.text.analysis_lang import SNOWBALL

HEADER = """\
# Words (as the stemmer sees them) that OpenSearch's Snowball stemmer stems
# otherwise than PyStemmer, with PyStemmer's stem, a line "algorithm: rule":
# stemmer_override filters in the mapping. Made by
# bench/opensearch_snowball_stems.py; do not edit.
"""


def main(url: str) -> None:
    client = connect(url)
    lines = []
    for algorithm in sorted({snowball.ENGLISH} | {SNOWBALL[c] for c in snowball.routed()}):
        rules = snowball.differing_rules(client, algorithm)
        print(f"{algorithm}: {len(rules)} rules of {len(snowball.our_stems(algorithm))} words")
        lines.extend(f"{algorithm}: {rule}\n" for rule in rules)
    target = resources.files("search.engine.opensearch").joinpath(snowball.STEMS_FILE)
    with open(str(target), "w", encoding="utf-8") as out:
        out.write(HEADER + "".join(lines))
    print(f"{len(lines)} rules written to {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9200")
