// Boladão console: live updates. The queue and a ticket's page listen to
// the console's Server-Sent Events stream (GET /live) and re-fetch their
// fragments when a ticket they show changes; a ticket's page also shows
// who else has it open. Pages work without this script: they are simply
// not refreshed. No inline script, no eval: the console's CSP allows
// scripts from 'self' only.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script && script.getAttribute("data-live");
  if (!base || !window.EventSource || !window.fetch) {
    return;
  }
  var path = location.pathname.replace(/\/+$/, "");
  var rows = document.getElementById("queue-rows");
  var header = document.getElementById("ticket-header");
  var url, ticket, fragments = [];

  // swap replaces the element with id by the fragment at src.
  function swap(id, src, keep) {
    return fetch(src, {credentials: "same-origin", headers: {"HX-Request": "true"}}).then(function (r) {
      if (!r.ok) {
        throw new Error("live: " + src + ": HTTP " + r.status);
      }
      return r.text();
    }).then(function (html) {
      var el = document.getElementById(id);
      if (!el) {
        return;
      }
      var saved = keep ? keep.save(el) : null;
      var tpl = document.createElement("template");
      tpl.innerHTML = html.trim();
      var next = tpl.content.getElementById(id) || tpl.content.firstElementChild;
      if (!next) {
        return;
      }
      el.replaceWith(next);
      if (keep) {
        keep.restore(next, saved);
      }
      if (window.htmx) {
        window.htmx.process(next);
      }
    });
  }

  // checked keeps the queue's ticked rows ticked across a refresh.
  var checked = {
    save: function (el) {
      return Array.prototype.map.call(el.querySelectorAll("input[name=id]:checked"), function (i) { return i.value; });
    },
    restore: function (el, values) {
      Array.prototype.forEach.call(el.querySelectorAll("input[name=id]"), function (i) {
        if (values.indexOf(i.value) >= 0) {
          i.checked = true;
        }
      });
    }
  };

  if (rows) {
    url = base;
    fragments.push(function () { return swap("queue-rows", path + "/rows" + location.search, checked); });
  } else if (header) {
    var m = path.match(/\/tickets\/(\d+)$/);
    if (!m) {
      return;
    }
    ticket = m[1];
    url = base + "?ticket=" + ticket;
    fragments.push(function () { return swap("ticket-header", path + "/header"); });
    fragments.push(function () { return swap("conversation", path + "/conversation"); });
    var presence = document.getElementById("presence");
    if (!presence) {
      presence = document.createElement("p");
      presence.id = "presence";
      presence.className = "presence muted";
      presence.setAttribute("role", "status");
      presence.setAttribute("data-testid", "presence");
      header.insertAdjacentElement("afterend", presence);
    }
  } else {
    return;
  }

  // refresh re-fetches the fragments, once more if changes arrive while it
  // runs.
  var busy = false, again = false, updates = 0;
  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    Promise.all(fragments.map(function (f) { return f(); })).catch(function (e) {
      console.info(e && e.message);
    }).then(function () {
      updates++;
      document.body.setAttribute("data-live-updates", String(updates));
      busy = false;
      if (again) {
        again = false;
        refresh();
      }
    });
  }

  var source = new EventSource(url);
  source.addEventListener("open", function () {
    document.body.setAttribute("data-live", "open");
  });
  source.addEventListener("error", function () {
    document.body.setAttribute("data-live", source.readyState === EventSource.CLOSED ? "closed" : "connecting");
  });
  source.addEventListener("ticket", function (e) {
    if (!ticket || e.data === "*" || e.data === ticket) {
      refresh();
    }
  });
  source.addEventListener("presence", function (e) {
    var p = document.getElementById("presence");
    if (p) {
      p.textContent = e.data;
    }
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
