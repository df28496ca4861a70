/* Small behaviours that templates ask for with data attributes. The Content Security Policy
   forbids inline handlers (onclick=, onsubmit=), so they are declared here once. */
(function () {
  "use strict";

  // <form data-confirm="Really?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <button data-print>: open the print dialog.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });

  // <input data-select-on-focus>: select the whole value, ready to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      event.target.select();
    }
  });
})();

/* The phone menu: <button class="nav-toggle" aria-expanded aria-controls="mainnav"> folds the
   main menu open and shut; Escape shuts it and gives focus back to the button. While it is open,
   Tab and Shift+Tab cycle through the button and the menu's links (focus does not wander to the
   page hidden under the menu), and a click or tap outside the menu shuts it. On a laptop the
   button is hidden (app.css) and the menu is always shown, so nothing here is needed there. */
(function () {
  "use strict";

  var toggle = document.querySelector(".nav-toggle[aria-controls]");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }

  function isOpen() {
    return toggle.getAttribute("aria-expanded") === "true";
  }

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }

  toggle.addEventListener("click", function () {
    setOpen(!isOpen());
  });

  // The button first, then the menu's visible links and buttons, in page order.
  function cycle() {
    var inside = Array.prototype.filter.call(
      menu.querySelectorAll("a[href], button:not([disabled]), input:not([disabled]), select"),
      function (el) { return el.offsetParent !== null; }
    );
    return [toggle].concat(inside);
  }

  document.addEventListener("keydown", function (event) {
    if (!isOpen()) {
      return;
    }
    if (event.key === "Escape") {
      setOpen(false);
      toggle.focus();
    } else if (event.key === "Tab") {
      var stops = cycle();
      var at = stops.indexOf(document.activeElement);
      var next = event.shiftKey ? at - 1 : at + 1;
      if (at === -1) {
        next = event.shiftKey ? stops.length - 1 : 0;
      }
      if (at === -1 || next < 0 || next >= stops.length) {
        // Past either end, or from outside the menu: wrap round inside it.
        event.preventDefault();
        stops[(next + stops.length) % stops.length].focus();
      }
    }
  });

  document.addEventListener("click", function (event) {
    if (isOpen() && !menu.contains(event.target) && !toggle.contains(event.target)) {
      setOpen(false);
    }
  });
})();
