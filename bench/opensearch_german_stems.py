"""Write search/engine/opensearch/german_stems.txt: the German dictionary's
words that OpenSearch's Snowball ``german2`` stems otherwise than the
embedded engine's PyStemmer, each with the embedded engine's stem (see
`search.engine.opensearch.german`). Run it again after upgrading PyStemmer,
wordfreq or OpenSearch; tests/test_opensearch_languages.py says when.

    python bench/opensearch_cluster.py --data /tmp/os --port 9200 &
    python bench/opensearch_german_stems.py http://127.0.0.1:9200
"""

from __future__ import annotations

import sys
from importlib import resources

from search.engine.opensearch import german
from search.engine.opensearch.bulk import connect

HEADER = """\
# The German dictionary's words (folded) that OpenSearch's Snowball german2
# stems otherwise than PyStemmer, with PyStemmer's stem: a stemmer_override
# in mapping.json. Made by bench/opensearch_german_stems.py; do not edit.
"""


def main(url: str) -> None:
    rules = german.differing_rules(connect(url))
    target = resources.files("search.engine.opensearch").joinpath(german.STEMS_FILE)
    with open(str(target), "w", encoding="utf-8") as out:
        out.write(HEADER + "".join(rule + "\n" for rule in rules))
    print(f"{len(rules)} rules written to {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9200")
