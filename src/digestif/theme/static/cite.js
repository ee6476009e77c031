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

    function say(message) {
      if (!status) return;
      status.textContent = message;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { status.textContent = ""; }, 4000);
    }

    button.addEventListener("click", function () {
      copyText(block.textContent).then(function () {
        say("Copied to the clipboard.");
      }, function () {
        selectContents(block);
        say("Selected: press Ctrl+C (⌘C) to copy.");
      });
    });
    button.hidden = false;
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), setUp);
})();
