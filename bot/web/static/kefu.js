// kefu workspace: live updates and small conveniences. No inline scripts (the CSP forbids them).
"use strict";

(function () {
  // Live: the page's #live part is fetched again whenever the server says something changed.
  function live(url) {
    var region = document.getElementById("live");
    if (!region || !window.EventSource) return;
    var busy = false, again = false;
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(window.location.href, { headers: { "X-Live": "1" }, credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 200) return response.text();
          if (response.status === 403) window.location.reload();  // signed out: the sign-in page
          return null;
        })
        .then(function (html) {
          if (html !== null && html !== region.innerHTML) {
            region.innerHTML = html;  // rendered and escaped by the server
            document.dispatchEvent(new CustomEvent("kefu:updated"));
          }
        })
        .catch(function () {})
        .then(function () {
          busy = false;
          if (again) { again = false; refresh(); }
        });
    }
    var source = new EventSource(url);
    source.addEventListener("change", refresh);
    source.addEventListener("open", function () { document.body.setAttribute("data-connected", "1"); });
  }

  // A select that submits its form when changed (the interface language).
  function submitOnChange() {
    document.querySelectorAll("[data-submit-on-change]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  // Canned answers: the chosen answer in the buyer's language goes into the reply, sent as written;
  // the agent reads it in their own language underneath.
  function canned() {
    var picker = document.getElementById("canned");
    if (!picker) return;
    picker.addEventListener("change", function () {
      if (!picker.value) return;
      var url = picker.getAttribute("data-url") + "?intent=" + encodeURIComponent(picker.value);
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (!answer) return;
          var box = document.getElementById("reply-text");
          box.value = answer.text;
          document.getElementById("as-written").checked = true;
          var mine = document.getElementById("canned-mine");
          mine.textContent = answer.agent;  // text, never HTML
          mine.hidden = false;
          box.focus();
        });
    });
  }

  // Keep the newest message in view.
  function scrollHistory() {
    var history = document.querySelector(".history");
    if (history) history.scrollTop = history.scrollHeight;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var url = document.body.getAttribute("data-live");
    if (url) live(url);
    submitOnChange();
    canned();
    scrollHistory();
  });
  document.addEventListener("kefu:updated", scrollHistory);
})();
