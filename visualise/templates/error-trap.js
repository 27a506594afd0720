(function () {
  "use strict";
  var seen = [];
  function show() {
    var box = document.getElementById("js-errors");
    if (box && seen.length) { box.hidden = false; box.textContent = seen.join("\n"); }
  }
  function record(message) { seen.push(String(message)); show(); }
  window.packErrors = seen;
  window.addEventListener("error", function (e) { record("error: " + e.message); });
  window.addEventListener("unhandledrejection", function (e) {
    record("unhandled rejection: " + e.reason);
  });
  var original = console.error;
  console.error = function () {
    record("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
  document.addEventListener("DOMContentLoaded", show);
})();
