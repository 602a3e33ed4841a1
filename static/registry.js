// Progressive enhancement only: every page works without this file.
// Adds a "Copy" button to each copy-ready block.
(function () {
  "use strict";
  function copy(text, button) {
    var done = function () {
      button.textContent = "Copied!";
      button.classList.add("copied");
      setTimeout(function () { button.textContent = "Copy"; button.classList.remove("copied"); }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { button.textContent = "Press Ctrl+C"; });
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } finally { document.body.removeChild(area); }
    }
  }
  document.querySelectorAll("pre.copyable").forEach(function (pre) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy to clipboard");
    button.addEventListener("click", function () { var code = pre.querySelector("code") || pre; copy(code.textContent, button); });
    pre.appendChild(button);
  });
})();
