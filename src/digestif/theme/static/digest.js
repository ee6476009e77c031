// Filters for the digest page: category, task, venue, year and words in the title.
// The state lives in the URL query (?category=super-resolution&year=2025) so a filtered view
// can be shared. Without JavaScript the form stays hidden and every paper is listed.
(function () {
  "use strict";

  var form = document.getElementById("digest-filters");
  if (!form) return;
  var FACETS = ["category", "task", "venue", "year"];
  var PARAMS = ["q"].concat(FACETS);
  var entries = Array.prototype.slice.call(document.querySelectorAll(".digest-entry"));
  var sections = Array.prototype.slice.call(document.querySelectorAll(".digest-year"));
  var count = form.querySelector(".digest-count");
  var empty = document.getElementById("digest-empty");
  // The page's words (theme/i18n/*.toml) as JSON in data-i18n; English if the template has none.
  var strings = { "digest.count_all": { one: "All {count} paper", other: "All {count} papers" },
                  "digest.count_some": "{shown} of {total} papers" };
  try { Object.assign(strings, JSON.parse(form.getAttribute("data-i18n") || "{}")); }
  catch (error) { /* keep English */ }

  function say(key, values) {
    var text = strings[key];
    if (typeof text === "object") text = (values.count === 1 && text.one) || text.other;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  function stateFromQuery(search) {
    var params = new URLSearchParams(search);
    var state = {};
    PARAMS.forEach(function (name) { state[name] = (params.get(name) || "").trim(); });
    return state;
  }

  function stateFromForm() {
    var state = {};
    PARAMS.forEach(function (name) {
      var field = form.elements[name];
      state[name] = field ? field.value.trim() : "";
    });
    return state;
  }

  function showInForm(state) {
    PARAMS.forEach(function (name) {
      var field = form.elements[name];
      if (!field) return;
      var value = state[name];
      if (field.tagName === "SELECT" && value && !hasOption(field, value)) {
        // A shared link may name a value this build no longer has: keep it visible.
        field.add(new Option(value + " (0)", value));
      }
      field.value = value;
    });
  }

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (o) { return o.value === value; });
  }

  function matches(entry, state, words) {
    for (var i = 0; i < FACETS.length; i++) {
      var wanted = state[FACETS[i]];
      if (!wanted) continue;
      var values = (entry.getAttribute("data-" + FACETS[i]) || "").split(" ");
      if (values.indexOf(wanted) < 0) return false;
    }
    var title = (entry.getAttribute("data-title") || entry.textContent).toLowerCase();
    return words.every(function (word) { return title.indexOf(word) >= 0; });
  }

  function apply(state) {
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    entries.forEach(function (entry) {
      var visible = matches(entry, state, words);
      entry.hidden = !visible;
      if (visible) shown += 1;
    });
    sections.forEach(function (section) {
      section.hidden = !section.querySelector(".digest-entry:not([hidden])");
    });
    if (count) {
      count.textContent = shown === entries.length ? say("digest.count_all", { count: shown })
        : say("digest.count_some", { shown: shown, total: entries.length });
    }
    if (empty) empty.hidden = shown !== 0;
  }

  function writeQuery(state) {
    var params = new URLSearchParams(window.location.search);  // keeps unrelated parameters
    PARAMS.forEach(function (name) {
      if (state[name]) params.set(name, state[name]);
      else params.delete(name);
    });
    var query = params.toString();
    var url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
    // replaceState: typing in the title box must not add one history entry per key.
    window.history.replaceState(null, "", url);
  }

  function update() {
    var state = stateFromForm();
    apply(state);
    writeQuery(state);
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
  });
  form.addEventListener("reset", function () { window.setTimeout(update, 0); });
  window.addEventListener("popstate", function () {
    var state = stateFromQuery(window.location.search);
    showInForm(state);
    apply(state);
  });

  var initial = stateFromQuery(window.location.search);
  showInForm(initial);
  apply(initial);
  form.hidden = false;
})();
