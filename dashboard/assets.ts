/**
 * The dashboard's stylesheet and script, as text compiled into the package by tsc: the pages need
 * no bundler, no CDN and no file that the build does not produce. The script only enhances pages
 * that work without it (live updates over the server-sent events the API already streams, a
 * job's log following as it grows).
 */
export const DASHBOARD_CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #fff; --accent: #0550ae; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
header.top { background: #24292f; color: #fff; padding: 0 16px; display: flex; align-items: center; gap: 24px; flex-wrap: wrap; }
header.top a { color: #fff; text-decoration: none; padding: 12px 0; display: inline-block; }
header.top a[aria-current="page"] { border-bottom: 3px solid #fff; }
header.top .brand { font-weight: 700; }
header.top nav ul { list-style: none; display: flex; gap: 18px; margin: 0; padding: 0; }
header.top .who { margin-left: auto; font-size: 14px; }
main { padding: 16px 24px 48px; max-width: 1280px; }
h1 { font-size: 24px; margin: 8px 0 12px; word-break: break-all; }
h2 { font-size: 19px; margin: 24px 0 8px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
.muted { color: var(--muted); }
form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; margin: 8px 0 16px; }
form.filters label, form.stack label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); gap: 2px; }
input, select, textarea, button { font: inherit; padding: 4px 8px; border: 1px solid #818b98; border-radius: 4px; background: #fff; color: var(--fg); }
button { background: #1f6f3f; color: #fff; border-color: #1f6f3f; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); border-color: var(--accent); }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.s-pass, .s-passed, .s-PASSED, .s-healthy { color: #116329; }
.s-fail, .s-failed, .s-FAILED, .s-ERROR, .s-errored, .s-down, .s-undecided { color: #b3261e; }
.s-incomplete, .s-missing, .s-NEEDS_INSPECTION, .s-INFO { color: #8a4600; }
.s-waiting, .s-running, .s-RUNNING, .s-queued, .s-QUEUED, .s-available, .s-closing { color: #0550ae; }
.s-waived { color: #6639ba; }
.s-done, .s-none { color: var(--muted); }
.verdict { font-size: 18px; font-weight: 700; }
ul.tree, ul.tree ul { list-style: none; padding-left: 20px; margin: 0; }
ul.tree > li { padding-left: 0; }
ul.tree li { margin: 4px 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; word-break: break-all; }
pre.log { background: #0d1117; color: #e6edf3; padding: 12px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; max-height: 70vh; overflow-y: auto; border-radius: 4px; }
.ansi-b { font-weight: 700; }
.ansi-f0 { color: #9198a1; } .ansi-f1 { color: #ff7b72; } .ansi-f2 { color: #3fb950; } .ansi-f3 { color: #d29922; }
.ansi-f4 { color: #79c0ff; } .ansi-f5 { color: #d2a8ff; } .ansi-f6 { color: #56d4dd; } .ansi-f7 { color: #e6edf3; }
.ansi-f8 { color: #b1bac4; } .ansi-f9 { color: #ffa198; } .ansi-f10 { color: #56d364; } .ansi-f11 { color: #e3b341; }
.ansi-f12 { color: #a5d6ff; } .ansi-f13 { color: #e2c5ff; } .ansi-f14 { color: #b3f0ff; } .ansi-f15 { color: #ffffff; }
.ansi-g0, .ansi-g8 { background: #30363d; } .ansi-g1, .ansi-g9 { background: #5a1e1e; } .ansi-g2, .ansi-g10 { background: #1b4721; }
.ansi-g3, .ansi-g11 { background: #4b3a0b; } .ansi-g4, .ansi-g12 { background: #0c2d6b; } .ansi-g5, .ansi-g13 { background: #3c1e70; }
.ansi-g6, .ansi-g14 { background: #0b4a52; } .ansi-g7, .ansi-g15 { background: #6e7681; }
ol.timeline { list-style: none; padding: 0; }
ol.timeline > li { border-left: 3px solid var(--line); padding: 0 0 8px 16px; margin: 0 0 8px; }
ol.timeline h2 { font-size: 16px; margin: 0 0 4px; }
.form-error { color: #b3261e; }
.pager { display: flex; gap: 16px; margin: 4px 0; }
.notice { border-left: 4px solid var(--accent); padding: 6px 12px; background: #f6f8fa; }
.error { border-left-color: #b3261e; }
`;

export const DASHBOARD_JS = `
(function () {
  'use strict';
  var live = document.querySelector('[data-live-nodes]');
  var status = document.getElementById('live-status');
  function say(text) { if (status) status.textContent = text; }
  function setField(root, field, value, cls) {
    var el = root.querySelector('[data-field="' + field + '"]');
    if (!el) return;
    el.textContent = value === null || value === undefined ? '' : String(value);
    if (cls) el.className = 'badge s-' + (value === null || value === undefined ? 'none' : value);
  }
  function applyNode(n) {
    var rows = document.querySelectorAll('[data-node-id="' + n.id + '"]');
    for (var i = 0; i < rows.length; i++) {
      setField(rows[i], 'state', n.state, true);
      setField(rows[i], 'result', n.result || 'none', true);
      if (n.data && n.data.builder) setField(rows[i], 'builder', n.data.builder, false);
      rows[i].setAttribute('data-updated', n.updated);
    }
    var runs = document.querySelectorAll('[data-run-id="' + n.run_id + '"]');
    for (var j = 0; j < runs.length; j++)
      setField(runs[j], 'activity', n.name + ' ' + n.state + (n.result ? ' (' + n.result + ')' : ''), false);
    return rows.length + runs.length;
  }
  function refreshPart(id) {
    return fetch(location.href, { credentials: 'same-origin' }).then(function (r) { return r.text(); }).then(function (text) {
      var doc = new DOMParser().parseFromString(text, 'text/html');
      var fresh = doc.getElementById(id);
      var old = document.getElementById(id);
      if (fresh && old) old.replaceWith(fresh);
    });
  }
  if (live && window.EventSource) {
    var scope = live.getAttribute('data-live-nodes');
    var refreshing = false, again = false;
    // Fields change at once; the server-rendered part (verdicts, new rows) follows, at most one
    // fetch at a time and one more for whatever arrived meanwhile.
    var refresh = function () {
      var id = live.getAttribute('data-refresh');
      if (!id) return;
      if (refreshing) { again = true; return; }
      refreshing = true;
      var done = function () { refreshing = false; if (again) { again = false; refresh(); } };
      refreshPart(id).then(done, done);
    };
    var es = new EventSource('/api/v1/events?topic=pipeline.node.%23');
    es.onopen = function () { say('Live: updates appear as they happen.'); };
    es.onerror = function () { say('Live updates interrupted; reconnecting.'); };
    var handle = function (ev) {
      var n;
      try { n = JSON.parse(ev.data).body; } catch (e) { return; }
      if (!n || typeof n.id !== 'number') return;
      var shown = applyNode(n);
      if (shown || (scope === 'all' ? n.parent_id === null : String(n.run_id) === scope)) refresh();
    };
    es.addEventListener('pipeline.node.updated', handle);
    es.addEventListener('pipeline.node.created', handle);
  }
  // Writes: a form's fields as JSON to the API, with the session's CSRF token; the page reloads
  // to show what changed, or the form says why the API refused.
  var forms = document.querySelectorAll('form[data-api-form]');
  for (var f = 0; f < forms.length; f++) forms[f].addEventListener('submit', function (ev) {
    ev.preventDefault();
    var form = ev.currentTarget;
    var kind = form.getAttribute('data-api-form');
    var fields = {};
    new FormData(form).forEach(function (v, k) { fields[k] = v; });
    var body = kind === 'replay' ? { ids: [fields.id] } : kind === 'waive' ? Object.assign(fields, { waived: true }) : {};
    var error = form.querySelector('.form-error');
    var headers = { 'content-type': 'application/json' };
    if (form.getAttribute('data-csrf')) headers['x-csrf-token'] = form.getAttribute('data-csrf');
    fetch(form.getAttribute('action'), { method: 'POST', credentials: 'same-origin', headers: headers, body: JSON.stringify(body) })
      .then(function (r) {
        // A re-run answers with its new node: its page is where to follow it.
        if (r.ok && kind === 'retry') return r.json().then(function (n) { location.href = '/nodes/' + n.id; });
        if (r.ok) { location.reload(); return; }
        return r.json().then(function (j) { throw new Error(j.message || ('HTTP ' + r.status)); }, function () { throw new Error('HTTP ' + r.status); });
      })
      .catch(function (e) { if (error) error.textContent = 'Not done: ' + e.message; });
  });
  var log = document.querySelector('pre[data-follow]');
  if (log) {
    var next = Number(log.getAttribute('data-next'));
    var url = log.getAttribute('data-follow');
    var stick = true;
    log.addEventListener('scroll', function () { stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8; });
    var poll = function () {
      fetch(url + '?from=' + next, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (part) {
        if (part.html) {
          log.insertAdjacentHTML('beforeend', part.html);
          if (stick) log.scrollTop = log.scrollHeight;
        }
        next = part.next;
        var node = document.querySelector('[data-node-id]');
        if (node) applyNode(part.node);
        if (part.done) { say('The job has finished; the log is complete.'); log.removeAttribute('data-follow'); }
        else setTimeout(poll, 400);
      }, function () { setTimeout(poll, 2000); });
    };
    say('Following the log while the job runs.');
    poll();
  }
})();
`;
