/*
 * Live updates for the control panel over server-sent events (WHATWG HTML §9.2), without
 * inline script (the CSP has script-src 'self'). An element with `sse-connect="URL"` opens one
 * EventSource (closed when htmx removes the element). Messages:
 *   oob     data is HTML; each top-level element replaces the element with the same id,
 *           and htmx processes it (so its hx-* attributes work)
 *   signal  data is a name; `sse:<name>` is dispatched on <body> (hx-trigger="sse:x from:body")
 *   reset   the resume point is gone; `sse:reset` is dispatched so the page reloads its state
 * Elements with `data-tick-ms` show a mm:ss clock that advances every second from that value.
 * EventSource reconnects by itself and sends Last-Event-ID, so nothing is missed.
 */
(function () {
  'use strict';

  function signal(name) {
    document.body.dispatchEvent(new CustomEvent('sse:' + name, { bubbles: true }));
  }

  function swap(markup) {
    var tpl = document.createElement('template');
    tpl.innerHTML = markup;
    Array.prototype.slice.call(tpl.content.children).forEach(function (node) {
      var old = node.id ? document.getElementById(node.id) : null;
      if (!old) return;
      old.replaceWith(node);
      if (window.htmx) window.htmx.process(node);
      stampTicks(node);
    });
  }

  function connect(el) {
    if (el.__sse) return;
    var es = new EventSource(el.getAttribute('sse-connect'));
    el.__sse = es;
    var alive = function () {
      if (el.isConnected) return true;
      es.close();
      el.__sse = null;
      return false;
    };
    es.addEventListener('oob', function (ev) { if (alive()) swap(ev.data); });
    es.addEventListener('signal', function (ev) { if (alive()) signal(ev.data); });
    es.addEventListener('reset', function () { if (alive()) signal('reset'); });
    es.onopen = function () { el.setAttribute('data-sse', 'open'); };
    es.onerror = function () { if (alive()) el.setAttribute('data-sse', 'reconnecting'); };
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches('[sse-connect]')) connect(root);
    root.querySelectorAll('[sse-connect]').forEach(connect);
    stampTicks(root);
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function stampTicks(root) {
    var list = root.matches && root.matches('[data-tick-ms]') ? [root] : [];
    list = list.concat(Array.prototype.slice.call(root.querySelectorAll('[data-tick-ms]')));
    var now = Date.now();
    list.forEach(function (el) { el.__tickFrom = now; });
  }

  setInterval(function () {
    var now = Date.now();
    document.querySelectorAll('[data-tick-ms]').forEach(function (el) {
      var base = parseInt(el.getAttribute('data-tick-ms'), 10);
      if (isNaN(base) || !el.__tickFrom) return;
      var s = Math.floor((base + now - el.__tickFrom) / 1000);
      el.textContent = pad(Math.floor(s / 60)) + ':' + pad(s % 60);
    });
  }, 1000);

  document.addEventListener('htmx:load', function (e) { scan(e.detail.elt); });
  document.addEventListener('htmx:beforeCleanupElement', function (e) {
    var el = e.target;
    if (el && el.__sse) { el.__sse.close(); el.__sse = null; }
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { scan(document); });
  else scan(document);
})();
