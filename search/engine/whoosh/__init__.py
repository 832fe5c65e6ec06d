"""The Whoosh engine: schema, on-disk format, segments, generations."""

import sys
import types


def _urlretrieve(*args, **kwargs):
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


def _import_compat_without_urllib() -> None:
    """Import whoosh.compat without urllib.request.

    whoosh.compat does `from urllib.request import urlretrieve` (a Python 2
    shim nothing in Whoosh calls), and urllib.request pulls in http.client,
    ssl and email: a fifth of a cold `newssearch query`'s imports. A stand-in
    module serves that one import and is taken out again at once, so a later
    `import urllib.request` anywhere gets the real module; the name whoosh.compat
    keeps calls the real function on first use."""
    if "whoosh.compat" in sys.modules or "urllib.request" in sys.modules:
        return
    stand_in = types.ModuleType("urllib.request")
    stand_in.urlretrieve = _urlretrieve
    sys.modules["urllib.request"] = stand_in
    try:
        import whoosh.compat  # noqa: F401
    finally:
        if sys.modules.get("urllib.request") is stand_in:
            del sys.modules["urllib.request"]


_import_compat_without_urllib()
