/* The region picker (core.widgets.RegionPicker): the options htmx puts below a region
   box are buttons; choosing one puts its code in the box. Arrow keys move between the
   box and the options, Escape closes the list. Served from our origin, no inline code
   (the Content-Security-Policy allows neither). */
(function () {
  "use strict";

  function parts(element) {
    var picker = element.closest("[data-region-picker]");
    if (!picker) return null;
    return {
      picker: picker,
      input: picker.querySelector("input"),
      list: picker.querySelector(".region-options"),
      announce: picker.querySelector("[data-region-announce]"),
    };
  }

  function options(p) {
    return Array.prototype.slice.call(p.list.querySelectorAll(".region-option"));
  }

  function close(p) {
    p.list.innerHTML = "";
  }

  function choose(p, option) {
    p.input.value = option.getAttribute("data-region-code");
    close(p);
    p.announce.textContent = p.picker.getAttribute("data-chosen-text")
      .replace("{region}", option.getAttribute("data-region-label") + " " + p.input.value);
    p.input.focus();
  }

  document.addEventListener("click", function (event) {
    var option = event.target.closest(".region-option");
    var p = option && parts(option);
    if (p) choose(p, option);
  });

  document.addEventListener("keydown", function (event) {
    var p = parts(event.target);
    if (!p) return;
    var all = options(p);
    var index = all.indexOf(event.target);
    if (event.key === "Escape" && all.length) {
      close(p);
      p.input.focus();
      event.preventDefault();
    } else if (event.key === "ArrowDown" && all.length) {
      all[Math.min(index + 1, all.length - 1)].focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && index >= 0) {
      (index === 0 ? p.input : all[index - 1]).focus();
      event.preventDefault();
    }
  });

  // Say how many regions were found (the list itself is not a live region: a screen
  // reader would read every option at each keystroke).
  document.addEventListener("htmx:afterSwap", function (event) {
    var p = parts(event.target);
    if (!p || event.target !== p.list) return;
    var status = p.list.querySelector("[data-region-status]");
    p.announce.textContent = status ? status.textContent : "";
  });
})();
