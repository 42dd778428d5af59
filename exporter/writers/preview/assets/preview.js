// qbank preview: optional conveniences. Everything works without this file: answers and
// solutions are native <details>, opened with a click or with Enter/Space.
"use strict";
(function () {
  const reveals = () => Array.from(document.querySelectorAll("details.reveal"));
  const show = (open) => reveals().forEach((d) => { d.open = open; });
  for (const [cls, open] of [["reveal-all", true], ["hide-all", false]]) {
    const button = document.querySelector("button." + cls);
    if (button) {
      button.hidden = false;
      button.addEventListener("click", () => show(open));
    }
  }
  // Printing "with answers and solutions": open what is closed, and close it again after.
  let opened = [];
  window.addEventListener("beforeprint", () => {
    const box = document.getElementById("print-solutions");
    if (box && box.checked) {
      opened = reveals().filter((d) => !d.open);
      opened.forEach((d) => { d.open = true; });
    }
  });
  window.addEventListener("afterprint", () => {
    opened.forEach((d) => { d.open = false; });
    opened = [];
  });
})();
