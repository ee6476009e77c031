# Pelican settings for the benchmark corpus (copied into each generated Pelican site).
# Kept equivalent to digestif's defaults: pages for notes, categories and tags, a home page,
# 10 notes per list page, an Atom feed for the site and one per category, nothing else.
SITENAME = "Benchmark Paper Notes"
SITEURL = "https://bench.example.org"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
PATH = "content"
THEME = "theme"
DEFAULT_PAGINATION = 10
PAGINATED_TEMPLATES = {"index": None, "tag": None, "category": None}
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
# Cold builds only: no reading from or writing to Pelican's content cache.
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False

ARTICLE_URL = "papers/{slug}/"
ARTICLE_SAVE_AS = "papers/{slug}/index.html"
CATEGORY_URL = "categories/{slug}/"
CATEGORY_SAVE_AS = "categories/{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
CATEGORIES_SAVE_AS = "categories/index.html"
TAGS_SAVE_AS = "tags/index.html"
DIRECT_TEMPLATES = ["index", "tags", "categories"]
# Pelican's extras that the other two sites do not have.
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
PAGE_SAVE_AS = ""
STATIC_PATHS = []

FEED_MAX_ITEMS = 20
FEED_ALL_ATOM = "feed.xml"
CATEGORY_FEED_ATOM = "categories/{slug}/feed.xml"
FEED_ATOM = None
FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {"css_class": "highlight"},
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        # Heading ids, as Hugo and digestif give every heading an anchor.
        "markdown.extensions.toc": {},
    },
    "output_format": "html5",
}
