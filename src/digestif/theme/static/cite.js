// Copy buttons for the "Cite" block. The BibTeX is plain text on the page, readable and
// selectable without JavaScript; this script only reveals the button and copies the text.
(function () {
  "use strict";

  function copyWithSelection(text) {
    // For pages served over plain http (no Clipboard API outside secure contexts).
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return copyWithSelection(text);
      });
    }
    return copyWithSelection(text);
  }

  function selectContents(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function setUp(button) {
    var block = document.getElementById(button.getAttribute("data-copy"));
    if (!block) return;
    var status = button.parentNode.querySelector(".cite-status");
    var timer = 0;
    // The page's words (theme/i18n/*.toml) as JSON in data-i18n; English if there are none.
    var strings = { "cite.copied": "Copied to the clipboard.",
                    "cite.selected": "Selected: press Ctrl+C (⌘C) to copy." };
    try { Object.assign(strings, JSON.parse(button.getAttribute("data-i18n") || "{}")); }
    catch (error) { /* keep English */ }

    function say(message) {
      if (!status) return;
      status.textContent = message;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { status.textContent = ""; }, 4000);
    }

    button.addEventListener("click", function () {
      copyText(block.textContent).then(function () {
        say(strings["cite.copied"]);
      }, function () {
        selectContents(block);
        say(strings["cite.selected"]);
      });
    });
    button.hidden = false;
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), setUp);
})();
