"""The incremental layer: memoised stages, recorded page inputs, ``--explain``.

The stages (reader, markdown, model, render, feeds, scholarly) are plain functions of their
inputs and never import this package; :func:`digestif.build.build` wraps them with it.
"""

from .layer import Incremental, Source, StoredBody, describe_input, feed_args, page_args
from .store import CACHE_DIR, CacheState, load_cache, save_cache

__all__ = ["CACHE_DIR", "CacheState", "Incremental", "Source", "StoredBody", "describe_input",
           "feed_args", "load_cache", "page_args", "save_cache"]
