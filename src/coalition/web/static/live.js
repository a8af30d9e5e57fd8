// Live updates (docs/live-updates.md): one EventSource per logged-in page, on /events.
// A "counts" event sets the badges next to the navigation links; an "arrived" event names
// the kind that rose and is announced in a polite live region. Nothing here carries a
// title: the server sends numbers and kinds only.
(function () {
  "use strict";

  var NOTICES = {
    inbox: "New notification",
    approvals: "A new approval is waiting",
    packages: "A package arrived",
  };
  // Long enough to be read, short enough not to linger over the next page's news.
  var NOTICE_SECONDS = 10;

  function start() {
    var root = document.querySelector("[data-live-events]");
    // Only pages with a logged-in user carry the attribute; old browsers keep the
    // page as it is (the badges stay hidden, every link still works).
    if (!root || typeof window.EventSource !== "function") {
      return;
    }
    var notice = document.querySelector("[data-live-notice]");
    var shown = [];
    var clearTimer = null;

    function setCount(kind, count) {
      var badges = document.querySelectorAll('[data-live-count="' + kind + '"]');
      Array.prototype.forEach.call(badges, function (badge) {
        var number = badge.querySelector("[data-live-number]") || badge;
        number.textContent = String(count);
        badge.hidden = !(count > 0);
      });
    }

    function announce(kind) {
      var message = NOTICES[kind];
      if (!notice || !message) {
        return;
      }
      if (shown.indexOf(message) < 0) {
        shown.push(message);
      }
      notice.textContent = shown.join(". ") + ".";
      window.clearTimeout(clearTimer);
      clearTimer = window.setTimeout(function () {
        shown = [];
        notice.textContent = "";
      }, NOTICE_SECONDS * 1000);
    }

    function parsed(event) {
      try {
        return JSON.parse(event.data);
      } catch (ignored) {
        return null;
      }
    }

    function connect() {
      var source = new EventSource(root.getAttribute("data-live-events"));
      source.addEventListener("counts", function (event) {
        var counts = parsed(event);
        if (!counts) {
          return;
        }
        // Says the badges are current: for styling, and for tests to wait on.
        root.setAttribute("data-live-state", "current");
        Object.keys(NOTICES).forEach(function (kind) {
          if (typeof counts[kind] === "number") {
            setCount(kind, counts[kind]);
          }
        });
      });
      source.addEventListener("arrived", function (event) {
        var arrived = parsed(event);
        if (arrived && typeof arrived.kind === "string") {
          announce(arrived.kind);
        }
      });
      return source;
    }

    // On a dropped connection the browser reconnects by itself (after the server's
    // "retry"); a refusal, such as 401 once the session has ended, closes the source for
    // good, which is what we want. A page kept in the back/forward cache holds no
    // connection, and takes up a new one when it is shown again.
    var source = connect();
    window.addEventListener("pagehide", function () {
      source.close();
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        source = connect();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
