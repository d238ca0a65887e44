// Small conveniences only: the site works fully without JavaScript.
"use strict";
document.addEventListener("keydown", (event) => {
  // "/" jumps to the search box, as on many search sites.
  const box = document.getElementById("q");
  if (event.key === "/" && box && document.activeElement !== box &&
      !["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) {
    event.preventDefault();
    box.focus();
    box.select();
  }
});
