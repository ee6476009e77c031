// Search for digestif sites, on Pagefind's JavaScript API (docs/search.md).
// The header box shows the best few results as the reader types; the /search/ page shows them
// all, with category and year filters. Pagefind and its index load from this site only, from the
// bundle URL the page gives (base path included), and only once the reader starts to search.

const PAGE_SIZE = 10;
const POPUP_SIZE = 5;
const DEBOUNCE_MS = 200;

let engine = null;

function loadEngine(bundle, base) {
  engine ??= (async () => {
    const pagefind = await import(bundle + "pagefind.js");
    await pagefind.options({ baseUrl: base, excerptLength: 24 });
    await pagefind.init();
    await mergeOtherLanguages(pagefind, bundle, base);
    const recent = await mergeRecent(pagefind, bundle, base);
    return {
      filters: () => pagefind.filters(),
      debouncedSearch: async (term, options, wait) => {
        const search = await pagefind.debouncedSearch(term, options, wait);
        return search && withoutSuperseded(search, recent);
      },
    };
  })();
  return engine;
}

// Notes edited since the full index was made are indexed into a small second bundle,
// recent/ (search_delta.py); its digestif-recent.json lists the full index's records it
// supersedes (edited and deleted notes), by Pagefind page id, with their filter values.
async function mergeRecent(pagefind, bundle, base) {
  const listed = await fetch(bundle + "recent/digestif-recent.json", { cache: "no-cache" });
  if (!listed.ok) return null;  // no delta: the full index is current
  const recent = await listed.json();
  const entry = await fetch(bundle + "recent/pagefind-entry.json", { cache: "no-cache" });
  const languages = entry.ok ? (await entry.json()).languages || {} : {};  // none: deletions only
  for (const language of Object.keys(languages)) {
    await pagefind.mergeIndex(bundle + "recent/", { language, baseUrl: base });
  }
  return { superseded: recent.superseded || {}, own: new Set(recent.pages || []) };
}

// Drop the superseded records, and a record found twice (a page whose record came out the
// same in both bundles), taking them out of the filter counts too.
function withoutSuperseded(search, recent) {
  if (!recent) return search;
  const seen = new Set();
  const filters = structuredClone(search.filters || {});
  const results = search.results.filter((result) => {
    const replaced = Object.hasOwn(recent.superseded, result.id) && !recent.own.has(result.id);
    const stale = replaced || seen.has(result.id);
    seen.add(result.id);
    for (const [name, values] of Object.entries(stale ? recent.superseded[result.id] || {} : {})) {
      for (const value of values) if (filters[name]?.[value]) filters[name][value] -= 1;
    }
    return !stale;
  });
  return { ...search, results, filters };
}

// Pagefind keeps one index per page language and searches only the one matching this page's
// lang; a digest mixes languages, so the others are merged in. Pagefind skips a merge whose path
// starts its own bundle path, hence "./" on the same bundle (the browser resolves it away).
async function mergeOtherLanguages(pagefind, bundle, base) {
  const response = await fetch(bundle + "pagefind-entry.json", { cache: "no-cache" });
  const languages = (await response.json()).languages || {};
  const primary = primaryLanguage(languages);
  for (const language of Object.keys(languages)) {
    if (language !== primary) {
      await pagefind.mergeIndex(bundle + "./", { language, baseUrl: base });
    }
  }
}

// The index Pagefind itself picks for this page: exact lang, then its prefix, then the biggest.
function primaryLanguage(languages) {
  const lang = (document.documentElement.getAttribute("lang") || "unknown").toLowerCase();
  if (languages[lang]) return lang;
  const prefix = lang.split("-")[0];
  if (languages[prefix]) return prefix;
  const biggest = Object.entries(languages).sort((a, b) => b[1].page_count - a[1].page_count);
  return biggest.length ? biggest[0][0] : null;
}

function element(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

// Pagefind escapes the indexed text and adds <mark> around matches; keep only the marks anyway.
function excerptNodes(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  for (const node of template.content.querySelectorAll("*")) {
    if (node.localName !== "mark") node.replaceWith(node.textContent);
  }
  return template.content;
}

const EXCERPT_WORDS = 30;

// Each note's indexed text ends with a hidden copy of its header (title first, then venue,
// authors, categories, tags: _search_tail.html), so that it is found by them. When every match
// is in there, Pagefind's excerpt would repeat the title and labels the result already shows:
// show the start of the note instead. Pagefind counts words as the text split at white space.
function excerptOf(data) {
  const words = (data.content || "").split(/[\r\n\s]+/g);
  const title = data.meta.title || "";
  const at = title ? (data.content || "").lastIndexOf(title) : -1;
  if (at < 0 || !data.locations || !data.locations.length) return data.excerpt || "";
  const tailStart = data.content.slice(0, at).split(/[\r\n\s]+/g).length - 1;
  if (data.locations.some((location) => location < tailStart)) return data.excerpt || "";
  const start = words.slice(0, Math.min(EXCERPT_WORDS, tailStart)).join(" ");
  return tailStart > EXCERPT_WORDS ? start + " …" : start;
}

function resultItem(data) {
  const item = element("li", "search-result");
  const title = element("a", "search-result-title", data.meta.title || data.url);
  title.href = data.url;
  const meta = element("p", "meta");
  if (data.meta.venue) meta.append(element("span", "venue", data.meta.venue), " ");
  if (data.meta.date) meta.append(element("time", "", data.meta.date));
  const excerpt = element("p", "search-excerpt");
  excerpt.append(excerptNodes(excerptOf(data)));
  item.append(title, meta, excerpt);
  return item;
}

// The page's words come from the theme's translations (theme/i18n/*.toml), as JSON in the
// element's data-i18n; the English ones here serve a template that gives none.
const ENGLISH = {
  "search.results": { one: "{count} result", other: "{count} results" },
  "search.notes": { one: "{count} note", other: "{count} notes" },
  "search.found_for": "{found} for “{term}”",
  "search.all_results": "All {results}, with filters →",
  "search.no_match": "No notes match “{term}”",
  "search.first_below": "{results}, the first {shown} below",
  "search.unavailable":
    "Search is not available on this copy of the site; every note is on the digest page.",
};

function translator(root) {
  let strings = {};
  try { strings = JSON.parse(root.dataset.i18n || "{}"); } catch (error) { /* English */ }
  return (key, values = {}) => {
    let text = strings[key] ?? ENGLISH[key] ?? key;
    if (typeof text === "object") text = (values.count === 1 && text.one) || text.other;
    return text.replace(/\{(\w+)\}/g, (whole, name) => String(values[name] ?? whole));
  };
}

function setUpSearchPage(root) {
  const form = root.querySelector("form");
  const input = form.querySelector("input[type=search]");
  const status = root.querySelector(".search-status");
  const list = root.querySelector(".search-results");
  const more = root.querySelector(".search-more");
  const boxes = [...form.querySelectorAll("input[type=checkbox]")];
  const say = translator(root);
  let results = [];
  let shown = 0;
  let generation = 0;
  let filtersLoaded = null;

  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  for (const box of boxes) box.checked = params.getAll(box.name).includes(box.value);

  function selectedFilters() {
    const filters = {};
    for (const box of boxes.filter((b) => b.checked)) {
      (filters[box.name] ??= { any: [] }).any.push(box.value);
    }
    return filters;
  }

  function remember(term) {
    const query = new URLSearchParams();
    if (term) query.set("q", term);
    for (const box of boxes.filter((b) => b.checked)) query.append(box.name, box.value);
    const search = query.toString();
    history.replaceState(null, "", search ? `?${search}` : location.pathname);
  }

  function showCounts(counts) {
    for (const box of boxes) {
      const count = box.parentElement.querySelector(".search-count");
      if (!count) continue;
      count.dataset.total ??= count.textContent;
      count.textContent = counts ? String(counts[box.name]?.[box.value] ?? 0) : count.dataset.total;
    }
  }

  async function showMore(current) {
    const batch = results.slice(shown, shown + PAGE_SIZE);
    shown += batch.length;
    const data = await Promise.all(batch.map((result) => result.data()));
    if (current !== generation) return;
    list.append(...data.map(resultItem));
    more.hidden = shown >= results.length;
  }

  async function run() {
    const current = ++generation;
    const term = input.value.trim();
    const filters = selectedFilters();
    remember(term);
    if (!term && !Object.keys(filters).length) {
      results = [];
      list.replaceChildren();
      more.hidden = true;
      status.textContent = "";
      showCounts(null);
      return;
    }
    let pagefind;
    try {
      pagefind = await loadEngine(root.dataset.bundle, root.dataset.base);
      // Results carry per-filter counts only once the filter data is loaded.
      await (filtersLoaded ??= pagefind.filters());
    } catch (error) {
      status.textContent = say("search.unavailable");
      return;
    }
    const search = await pagefind.debouncedSearch(term || null, { filters }, DEBOUNCE_MS);
    if (search === null || current !== generation) return;  // a newer search replaced it
    results = search.results;
    shown = 0;
    list.replaceChildren();
    const found = say("search.notes", { count: results.length });
    status.textContent = term ? say("search.found_for", { found, term }) : found;
    showCounts(search.filters);
    await showMore(current);
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  input.addEventListener("input", run);
  for (const box of boxes) box.addEventListener("change", run);
  more.addEventListener("click", () => showMore(generation));
  if (!input.value) input.focus();
  run();
}

function setUpHeaderBox(box) {
  const form = box.querySelector("form");
  const input = form.querySelector("input[type=search]");
  const popup = box.querySelector(".search-popup");
  const fallback = box.querySelector(".search-fallback");
  const status = box.querySelector("[role=status]");
  const say = translator(box);
  let generation = 0;
  fallback.hidden = true;
  form.hidden = false;

  function close() {
    popup.hidden = true;
    status.textContent = "";
  }

  async function engineOrFallback() {
    try {
      return await loadEngine(box.dataset.bundle, box.dataset.base);
    } catch (error) {
      form.hidden = true;  // no index on this copy of the site: back to the digest link
      fallback.hidden = false;
      return null;
    }
  }

  async function run() {
    const current = ++generation;
    const term = input.value.trim();
    if (!term) return close();
    const pagefind = await engineOrFallback();
    if (!pagefind) return;
    const search = await pagefind.debouncedSearch(term, {}, DEBOUNCE_MS);
    if (search === null || current !== generation) return;
    const data = await Promise.all(search.results.slice(0, POPUP_SIZE).map((r) => r.data()));
    if (current !== generation) return;
    const list = element("ol", "search-results");
    list.append(...data.map(resultItem));
    const results = say("search.results", { count: search.results.length });
    const all = element("a", "search-all", search.results.length
      ? say("search.all_results", { results })
      : say("search.no_match", { term }));
    all.href = `${box.dataset.searchUrl}?q=${encodeURIComponent(term)}`;
    popup.replaceChildren(list, all);
    popup.hidden = false;
    status.textContent = search.results.length
      ? say("search.first_below", { results, shown: data.length })
      : all.textContent;
  }

  input.addEventListener("focus", engineOrFallback, { once: true });
  input.addEventListener("input", run);
  input.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  document.addEventListener("click", (event) => { if (!box.contains(event.target)) close(); });
}

for (const root of document.querySelectorAll("[data-search-page]")) setUpSearchPage(root);
for (const box of document.querySelectorAll("[data-search-box]")) setUpHeaderBox(box);
