// kefu admin pages: the retraining status follows the background training without a reload.
"use strict";

(function () {
  function follow(box) {
    var url = box.getAttribute("data-status");
    function poll() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.status === 200 ? response.json() : null; })
        .then(function (status) {
          if (!status) return;
          box.textContent = status.text;  // text, never markup
          box.classList.toggle("busy", status.busy);
          box.setAttribute("data-phase", status.phase);
          if (status.busy) window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("retraining");
    if (box && box.getAttribute("data-busy")) follow(box);
  });
})();
