// The mapping playground. Plain script, no dependencies: it talks to the
// admin API next to it (api/mappings, api/map, api/catalog, api/dlq, api/events) and
// never to anything else.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const DEBOUNCE_MS = 300;
  const LINE_HEIGHT = 20; // px; --lh in style.css
  // Headers of the HTTP exchange, not of the provider's delivery: left out
  // when a dead letter opens in the playground.
  const TRANSPORT_HEADERS = /^(accept|accept-encoding|accept-language|connection|content-length|content-type|host|user-agent|traceparent|tracestate|x-forwarded-.*|x-real-ip|via)$/i;

  const state = {
    set: null,        // GET api/mappings
    file: null,       // GET api/mappings/{provider}
    timer: 0,
    seq: 0,
    inflight: null,   // AbortController of the dry run in progress
    errors: new Map(), // line -> messages of the mapping's problems
    warnings: new Map(), // line -> messages of the mapping's warnings
    answer: null,     // the last 200 answer of api/map
    lines: 0,
    dlq: [],
  };

  // The admin token (BRIDGE_ADMIN_TOKEN), when the bridge asks for one:
  // typed once into the token form, kept for this tab only.
  const TOKEN_KEY = 'bridge-admin-token';

  // api calls a route of the admin API, relative to the page, and returns
  // {status, body}; body is parsed JSON when the answer is JSON. It sends
  // the admin token if one was given, and asks for it on a 401.
  async function api(path, opts) {
    opts = Object.assign({}, opts || {});
    opts.headers = Object.assign({ Accept: 'application/json' }, opts.headers || {});
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) opts.headers.Authorization = 'Bearer ' + token;
    const r = await fetch(path, opts);
    const ct = r.headers.get('Content-Type') || '';
    const body = ct.includes('json') ? await r.json() : await r.text();
    if (r.status === 401 && /^Bearer/i.test(r.headers.get('WWW-Authenticate') || '')) askToken(!!token);
    return { status: r.status, ok: r.ok, body };
  }

  // askToken shows the token form: the bridge wants a token, or another.
  function askToken(wrong) {
    const form = $('token-form');
    text($('token-status'), wrong ? 'That token does not match: type the admin token again.'
      : 'This bridge asks for its admin token (BRIDGE_ADMIN_TOKEN).');
    if (form.hidden) { show(form, true); $('token').focus(); }
  }

  function useToken(ev) {
    ev.preventDefault();
    const v = $('token').value.trim();
    if (!v) return;
    sessionStorage.setItem(TOKEN_KEY, v);
    $('token').value = '';
    show($('token-form'), false);
    start();
  }

  function text(el, s) { el.textContent = s == null ? '' : String(s); return el; }
  function make(tag, attrs, children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v);
    }
    for (const c of children || []) el.append(c);
    return el;
  }
  function show(el, on) { el.hidden = !on; }
  function problemDetail(b) {
    if (b && typeof b === 'object') return b.detail || b.title || JSON.stringify(b);
    return String(b || '').trim();
  }
  function when(iso) {
    if (!iso) return 'unknown';
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const mins = Math.round((Date.now() - d.getTime()) / 60000);
    const ago = mins < 1 ? 'just now' : mins < 120 ? mins + ' min ago' : Math.round(mins / 60) + ' h ago';
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') + ' (' + ago + ')';
  }

  // ---- which bridge, which mapping set ----

  async function loadSet() {
    let r;
    try { r = await api('api/mappings'); } catch (e) { text($('about-bridge'), 'not reachable: ' + e.message); return; }
    if (!r.ok) { text($('about-mappings'), problemDetail(r.body)); return; }
    state.set = r.body;
    const b = r.body.bridge, m = r.body.mappings;
    text($('about-bridge'), 'bridge ' + b.version + ' (commit ' + String(b.commit).slice(0, 12) + ', ' + b.go_version + ')');
    text($('about-nats'), (b.nats_url || 'not connected') + (b.nats_embedded ? ' (embedded server)' : ''));
    const names = m.providers.map((p) => p.provider);
    text($('about-mappings'), m.dir + ': ' + names.length + ' provider(s): ' + names.join(', '));
    text($('about-loaded'), when(m.loaded_at));
    fillSelect($('provider'), names, $('provider').value || names[0]);
    fillSelect($('dlq-provider'), [''].concat(names), $('dlq-provider').value, 'all');
  }

  function fillSelect(sel, values, selected, emptyLabel) {
    sel.replaceChildren(...values.map((v) => make('option', { value: v, text: v === '' ? (emptyLabel || '') : v })));
    if (values.includes(selected)) sel.value = selected;
  }

  function providerInfo(name) {
    return state.set && state.set.mappings.providers.find((p) => p.provider === name);
  }

  // ---- the editor ----

  async function selectProvider(name, opts) {
    opts = opts || {};
    $('provider').value = name;
    // A later choice wins: the answer to an earlier one (the first
    // provider's, still on its way when the user picks another) must not
    // replace the file shown after it.
    const seq = state.selectSeq = (state.selectSeq || 0) + 1;
    const r = await api('api/mappings/' + encodeURIComponent(name));
    if (seq !== state.selectSeq) return;
    if (!r.ok) { setStatus('bad', 'Cannot read the mapping of ' + name + ': ' + problemDetail(r.body)); return; }
    state.file = r.body;
    text($('mapping-file'), r.body.file);
    $('mapping').value = r.body.text;
    fillSelect($('content-type'), r.body.content_types, r.body.content_types[0]);
    const ex = $('example');
    ex.replaceChildren(make('option', { value: '', text: '(none)' }),
      ...r.body.examples.map((e, i) => make('option', { value: String(i), text: e.rule + ': ' + e.payload_file.split('/').pop() })));
    if (!opts.keepPayload) { $('payload').value = ''; $('headers').value = ''; }
    setErrors([]);
    showWarnings();
    refreshEditor();
    schedule(0);
  }

  function useExample() {
    const i = $('example').value;
    if (i === '' || !state.file) return;
    const e = state.file.examples[Number(i)];
    if (!e.payload) { setStatus('bad', 'The fixture payload ' + e.payload_file + ' cannot be shown: ' + e.error); return; }
    $('payload').value = e.payload;
    $('headers').value = Object.entries(e.headers || {}).map(([k, v]) => k + ': ' + v).join('\n');
    schedule(0);
  }

  // refreshEditor redraws the gutter's line numbers and the marks of the
  // lines with problems.
  function refreshEditor() {
    const n = $('mapping').value.split('\n').length;
    const g = $('gutter-lines'), bd = $('backdrop-lines');
    if (n !== state.lines || state.errorsChanged) {
      const gl = [], bl = [];
      for (let i = 1; i <= n; i++) {
        const msgs = state.errors.get(i);
        const warns = state.warnings.get(i);
        const gd = make('div', { text: String(i) });
        const bdl = make('div');
        if (msgs) {
          gd.className = 'err'; bdl.className = 'err';
          gd.title = msgs.join('\n');
          gd.dataset.line = String(i);
        } else if (warns) {
          gd.className = 'warn'; bdl.className = 'warn';
          gd.title = warns.join('\n');
          gd.dataset.line = String(i);
        }
        gl.push(gd); bl.push(bdl);
      }
      g.replaceChildren(...gl);
      bd.replaceChildren(...bl);
      state.lines = n;
      state.errorsChanged = false;
    }
    syncScroll();
  }

  function syncScroll() {
    const ta = $('mapping');
    $('gutter-lines').style.transform = 'translateY(' + (-ta.scrollTop) + 'px)';
    $('backdrop-lines').style.transform = 'translate(' + (-ta.scrollLeft) + 'px,' + (-ta.scrollTop) + 'px)';
  }

  // goTo puts the caret at line:col of the mapping and scrolls it into view.
  function goTo(line, col) {
    const ta = $('mapping');
    const lines = ta.value.split('\n');
    let pos = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) pos += lines[i].length + 1;
    pos += Math.max(0, Math.min((col || 1) - 1, (lines[line - 1] || '').length));
    ta.focus();
    ta.setSelectionRange(pos, pos);
    ta.scrollTop = Math.max(0, (line - 4) * LINE_HEIGHT);
    syncScroll();
  }

  function setErrors(list) {
    state.errors = new Map();
    for (const e of list) {
      const l = e.line || 1;
      if (!state.errors.has(l)) state.errors.set(l, []);
      state.errors.get(l).push(e.message);
    }
    state.errorsChanged = true;
    const ul = $('problems');
    ul.replaceChildren(...list.map((e) => {
      const pos = e.line ? 'line ' + e.line + (e.column ? ':' + e.column : '') : 'file';
      const btn = make('button', { type: 'button', onclick: () => goTo(e.line || 1, e.column || 1) },
        [make('span', { class: 'pos', text: pos }), make('span', { text: e.message })]);
      btn.dataset.line = String(e.line || 0);
      btn.dataset.column = String(e.column || 0);
      return make('li', {}, [btn]);
    }));
    text($('problems-title'), list.length === 1 ? 'The mapping does not load: 1 problem' : 'The mapping does not load: ' + list.length + ' problems');
    show($('problems-box'), list.length > 0);
  }

  // setWarnings lists the mapping's warnings (what loads but is likely not
  // meant) beside its problems, each with its position and slug, and marks
  // their lines.
  function setWarnings(list) {
    state.warnings = new Map();
    for (const w of list) {
      const l = w.line || 1;
      if (!state.warnings.has(l)) state.warnings.set(l, []);
      state.warnings.get(l).push('warning: ' + w.message);
    }
    state.errorsChanged = true;
    $('warnings').replaceChildren(...list.map((w) => {
      const pos = w.line ? 'line ' + w.line + (w.column ? ':' + w.column : '') : 'file';
      const msg = (w.rule ? 'rule "' + w.rule + '": ' : '') + w.message;
      const btn = make('button', { type: 'button', onclick: () => goTo(w.line || 1, w.column || 1) },
        [make('span', { class: 'pos', text: pos }), make('span', { text: msg }), make('code', { class: 'slug', text: w.slug })]);
      btn.dataset.line = String(w.line || 0);
      btn.dataset.column = String(w.column || 0);
      btn.dataset.slug = w.slug;
      btn.setAttribute('aria-label', 'Warning at ' + pos + ': ' + msg + ' (' + w.slug + ')');
      return make('li', {}, [btn]);
    }));
    const count = list.length === 1 ? '1 warning' : list.length + ' warnings';
    text($('warnings-title'), state.errors.size > 0 ? count : 'The mapping loads with ' + count);
    show($('warnings-box'), list.length > 0);
  }

  // showWarnings shows the warnings an answer gave for the text as edited
  // (undefined: the answer does not say, the mapping was not compiled),
  // with the running file's idempotency-key collisions while the text is
  // the file's (they come from its fixtures, which an edit is not run on).
  function showWarnings(list) {
    const asOnDisk = state.file && $('mapping').value === state.file.text;
    const fileWarnings = (state.file && state.file.warnings) || [];
    if (list === undefined) list = asOnDisk ? fileWarnings : [];
    else if (asOnDisk) list = list.concat(fileWarnings.filter((w) => w.slug === 'idempotency-key-collision'));
    setWarnings(list);
  }

  // ---- the dry run ----

  // schedule runs the dry run once the edits pause. Until its answer is
  // shown, the page is marked busy (data-busy on the body).
  function schedule(ms) {
    clearTimeout(state.timer);
    document.body.dataset.busy = 'true';
    state.timer = setTimeout(run, ms == null ? DEBOUNCE_MS : ms);
  }

  function parseHeaders() {
    const out = {}, bad = [];
    $('headers').value.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      const at = line.indexOf(':');
      if (at <= 0) { bad.push(i + 1); return; }
      out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    });
    const err = $('headers-error');
    text(err, bad.length ? 'Line ' + bad.join(', ') + ' is not "Name: value"; left out.' : '');
    show(err, bad.length > 0);
    return out;
  }

  async function run() {
    state.timer = 0;
    const provider = $('provider').value;
    if (!provider || !state.file) { delete document.body.dataset.busy; return; }
    if (!$('payload').value.trim() && $('mapping').value === state.file.text) {
      // Nothing to run it on, and the file as it is: no request (a dry
      // run without a payload is answered 400), as when the page loads.
      state.seq++;
      if (state.inflight) { state.inflight.abort(); state.inflight = null; }
      clearResult();
      setErrors([]);
      showWarnings();
      refreshEditor();
      setStatus('', 'Paste a payload, or choose a fixture, to run this mapping.');
      document.body.dataset.result = 'no-payload';
      delete document.body.dataset.busy;
      return;
    }
    const req = {
      provider,
      mapping: $('mapping').value,
      payload: $('payload').value, // a string: the body byte for byte
      content_type: $('content-type').value,
      headers: parseHeaders(),
    };
    if (state.inflight) state.inflight.abort();
    const ctrl = new AbortController();
    state.inflight = ctrl;
    const seq = ++state.seq;
    let r;
    try {
      r = await api('api/map', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(req), signal: ctrl.signal });
    } catch (e) {
      if (e.name === 'AbortError') return;
      r = { status: 0, ok: false, body: { detail: 'the bridge did not answer: ' + e.message } };
    }
    if (seq !== state.seq) return; // a newer edit is on its way
    state.inflight = null;
    render(r);
    if (!state.timer) delete document.body.dataset.busy;
  }

  function clearResult() {
    for (const id of ['rule', 'deadletter', 'checks-box', 'events-box', 'fixture-box']) show($(id), false);
    show($('payload-error'), false);
    state.answer = null;
  }

  function setStatus(kind, msg) {
    const s = $('status');
    s.className = 'status' + (kind ? ' ' + kind : '');
    text(s, msg);
  }

  function render(r) {
    clearResult();
    const b = r.body || {};
    if (r.status === 400 && b.type === 'urn:bridge:problem:invalid-mapping') {
      setErrors(b.errors || []);
      showWarnings(b.warnings || []);
      refreshEditor();
      const first = (b.errors || [])[0];
      setStatus('bad', 'The mapping does not load' + (first && first.line ? ' (first problem at line ' + first.line + ')' : '') + ': no dry run.');
      document.body.dataset.result = 'mapping-error';
      return;
    }
    setErrors([]);
    // A 200 and an invalid-payload answer come after the mapping compiled:
    // their warnings (none when absent) are the edited text's.
    showWarnings(r.ok || b.type === 'urn:bridge:problem:invalid-payload' ? (b.warnings || []) : undefined);
    refreshEditor();
    if (r.status === 400 && b.type === 'urn:bridge:problem:invalid-payload') {
      const empty = !$('payload').value.trim();
      setStatus(empty ? '' : 'bad', empty ? 'The mapping loads. Paste a payload to see its event.' : 'The payload cannot be read.');
      if (!empty) { text($('payload-error'), b.detail); show($('payload-error'), true); }
      document.body.dataset.result = empty ? 'no-payload' : 'payload-error';
      return;
    }
    if (!r.ok) {
      setStatus('bad', 'No answer (' + (r.status || 'network') + '): ' + problemDetail(b));
      document.body.dataset.result = 'error';
      return;
    }
    state.answer = b;
    if (b.rule) {
      const a = make('a', { href: '#mapping', text: b.rule.file + ':' + b.rule.line,
        onclick: (ev) => { ev.preventDefault(); goTo(b.rule.line, 1); } });
      $('rule').replaceChildren('Rule ', make('strong', { text: b.rule.name }), ' at ', a);
      show($('rule'), true);
    }
    if (b.dead_letter) {
      const d = b.dead_letter;
      setStatus('bad', 'Dead letter: ' + d.reason);
      $('deadletter').replaceChildren(
        make('p', {}, ['This payload would be stored in the dead letters with reason ', make('code', { text: d.reason }), '.']),
        make('p', { text: d.error }));
      show($('deadletter'), true);
      document.body.dataset.result = 'dead-letter';
      return;
    }
    if (b.dropped) {
      setStatus('ok', 'Dropped by rule ' + b.rule.name + ': answered 202 {"dropped": true}, nothing published.');
    } else {
      const events = b.events || [];
      const types = [...new Set(events.map((e) => e.type))];
      setStatus('ok', events.length === 0 ? 'No event: the rule\'s each is an empty list.' :
        (events.length === 1 ? '1 event: ' : events.length + ' events: ') + types.join(', '));
      renderChecks(b.checks || [], events.length);
      if (events.length) {
        text($('events-title'), events.length === 1 ? 'Event' : 'Events (' + events.length + ')');
        text($('events'), JSON.stringify(events.length === 1 ? events[0] : events, null, 2));
        show($('events-box'), true);
      }
    }
    renderFixture(b.fixture);
    document.body.dataset.result = b.dropped ? 'dropped' : 'events';
  }

  function renderChecks(checks, n) {
    const ul = $('checks');
    ul.replaceChildren(...checks.map((c) => {
      const li = make('li', { class: c.ok ? 'pass' : 'fail' });
      li.append((c.ok ? '\u2713 ' : '\u2717 ') + c.rule);
      if (n > 1) li.append(make('span', { class: 'event', text: ' (event ' + (c.event + 1) + ')' }));
      if (!c.ok) li.append(': ' + c.error);
      li.setAttribute('aria-label', c.rule + (c.ok ? ' passed' : ' failed: ' + c.error));
      return li;
    }));
    const failed = checks.filter((c) => !c.ok).length;
    text($('checks-title'), failed ? 'Profile checks: ' + failed + ' failed' : 'Profile checks: all ' + checks.length + ' passed');
    show($('checks-box'), checks.length > 0);
  }

  function renderFixture(f) {
    if (!f) return;
    text($('fx-rule'), f.rule);
    const line = $('fx-line');
    text(line, 'line ' + f.line);
    line.onclick = (ev) => { ev.preventDefault(); goTo(f.line, 1); };
    text($('fx-entry'), f.entry);
    text($('fx-payload-file'), f.payload_file);
    text($('fx-payload'), f.payload);
    text($('fx-expect-file'), f.expect_file);
    text($('fx-expect'), f.expect);
    show($('fixture-box'), true);
  }

  // ---- copy and download ----

  async function copy(btn, value) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(value);
      ok = true;
    } catch (_) {
      const ta = make('textarea', { class: 'sr-only', 'aria-hidden': 'true' });
      ta.value = value;
      document.body.append(ta);
      ta.select();
      try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
      ta.remove();
    }
    const label = btn.dataset.label || btn.textContent;
    btn.dataset.label = label;
    text(btn, ok ? 'Copied' : 'Select and copy');
    setTimeout(() => text(btn, label), 1500);
  }

  function download(name, content) {
    const url = URL.createObjectURL(new Blob([content], { type: 'application/octet-stream' }));
    const a = make('a', { href: url, download: name.split('/').pop() });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // ---- views ----

  function showView(name) {
    for (const v of ['playground', 'catalog', 'dlq', 'events']) {
      show($('view-' + v), v === name);
      const tab = $('tab-' + v);
      if (v === name) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
    }
    if (name === 'catalog') loadCatalog();
    if (name === 'dlq') loadDLQ();
    if (name === 'events') loadEvents();
    if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
  }

  async function loadCatalog() {
    const r = await api('api/catalog');
    const tbody = $('catalog').tBodies[0];
    if (!r.ok) { text($('catalog-status'), 'Cannot read the catalogue: ' + problemDetail(r.body)); return; }
    tbody.replaceChildren(...r.body.map((e) => {
      const open = make('button', { type: 'button', text: e.file + ':' + e.line,
        'aria-label': 'Open rule ' + e.rule + ' of ' + e.provider + ' in the playground',
        onclick: async () => { showView('playground'); await selectProvider(e.provider); goTo(e.line, 1); } });
      const tr = make('tr', {}, [
        make('td', {}, [make('code', { text: e.type })]),
        make('td', {}, [e.dataschema ? make('code', { text: e.dataschema }) : '\u2014',
          e.schema_file ? make('div', { class: 'hint', text: 'validated with ' + e.schema_file }) : '']),
        make('td', {}, [open]),
        make('td', { text: e.rule }),
      ]);
      tr.dataset.search = (e.type + ' ' + e.rule + ' ' + e.file + ' ' + (e.dataschema || '')).toLowerCase();
      return tr;
    }));
    filterCatalog();
    text($('catalog-status'), r.body.length + ' event type(s).');
  }

  function filterCatalog() {
    const q = $('catalog-filter').value.trim().toLowerCase();
    for (const tr of $('catalog').tBodies[0].rows) tr.hidden = q !== '' && !tr.dataset.search.includes(q);
  }

  function dlqFilter() {
    return { provider: $('dlq-provider').value, reason: $('dlq-reason').value, since: $('dlq-since').value.trim() };
  }

  async function loadDLQ() {
    const f = dlqFilter();
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
    text($('dlq-status'), 'Reading the dead letters…');
    let r;
    const seq = state.dlqSeq = (state.dlqSeq || 0) + 1; // a later read wins over an earlier one's late answer
    try { r = await api('api/dlq?' + q.toString()); } catch (e) { r = { ok: false, body: { detail: e.message } }; }
    if (seq !== state.dlqSeq) return;
    const tbody = $('dlq').tBodies[0];
    if (!r.ok) { tbody.replaceChildren(); text($('dlq-status'), 'Cannot read the dead letters: ' + problemDetail(r.body)); return; }
    state.dlq = r.body.dead_letters || [];
    const rows = state.dlq.slice().reverse(); // the newest first
    tbody.replaceChildren(...rows.map((d) => {
      const open = make('button', { type: 'button', text: 'Open in playground',
        'aria-label': 'Open dead letter ' + d.seq + ' in the playground', onclick: () => openDeadLetter(d) });
      if (!d.body) open.disabled = true;
      const tr = make('tr', {}, [
        make('td', { text: String(d.seq) }),
        make('td', { text: when(d.received_at) }),
        make('td', { text: d.provider }),
        make('td', {}, [make('code', { text: d.reason })]),
        make('td', { text: d.rule || '\u2014' }),
        make('td', { class: 'err', text: d.error || '' }),
        make('td', {}, [open]),
      ]);
      tr.dataset.seq = String(d.seq);
      return tr;
    }));
    const sel = [f.provider || 'every provider', f.reason || 'every reason'].join(', ');
    text($('dlq-status'), state.dlq.length + ' dead letter(s) (' + sel + (f.since ? ', within ' + f.since : '') + ').');
    text($('replay'), 'Replay ' + (f.provider || 'all providers') + (f.reason ? ' / ' + f.reason : ''));
  }

  // ---- events ----

  // showEvent shows a stored event with the dead letters of its delivery,
  // if any (GET api/events/{id} adds them).
  async function showEvent(e) {
    const id = (e.event || {}).id;
    let shown = e;
    if (id && !e.dead_letters) {
      try {
        const r = await api('api/events/' + encodeURIComponent(id));
        if (r.ok) shown = r.body;
      } catch (err) { /* the listed event, without its history */ }
    }
    text($('stored-detail'), JSON.stringify(shown, null, 2));
  }

  async function loadEvents() {
    const id = $('stored-id').value.trim();
    let r;
    text($('stored-status'), 'Reading the events…');
    const tbody = $('stored-events').tBodies[0];
    const seq = state.eventsSeq = (state.eventsSeq || 0) + 1; // a later read wins over an earlier one's late answer
    if (id) {
      try { r = await api('api/events/' + encodeURIComponent(id)); } catch (e) { r = { ok: false, body: { detail: e.message } }; }
      if (seq !== state.eventsSeq) return;
      if (!r.ok) { tbody.replaceChildren(); text($('stored-status'), 'No event: ' + problemDetail(r.body)); return; }
      r = { ok: true, body: { events: [r.body] } };
    } else {
      const q = new URLSearchParams();
      for (const [k, el] of [['type', 'stored-type'], ['entity', 'stored-entity'], ['since', 'stored-since']]) {
        const v = $(el).value.trim();
        if (v) q.set(k, v);
      }
      try { r = await api('api/events?' + q.toString()); } catch (e) { r = { ok: false, body: { detail: e.message } }; }
      if (seq !== state.eventsSeq) return;
      if (!r.ok) { tbody.replaceChildren(); text($('stored-status'), 'Cannot read the events: ' + problemDetail(r.body)); return; }
    }
    const list = r.body.events || [];
    tbody.replaceChildren(...list.map((e) => {
      const ev = e.event || {};
      const open = make('button', { type: 'button', text: ev.id || '?', 'aria-label': 'Show event ' + (ev.id || e.seq),
        onclick: () => showEvent(e) });
      return make('tr', {}, [
        make('td', { text: String(e.seq) }),
        make('td', { text: when(e.stored_at) }),
        make('td', {}, [make('code', { text: ev.type || e.subject })]),
        make('td', { text: ev.subject || '' }),
        make('td', {}, [open]),
      ]);
    }));
    if (list.length === 1) showEvent(list[0]);
    text($('stored-status'), list.length + ' event(s).');
  }

  async function openDeadLetter(d) {
    showView('playground');
    await selectProvider(d.provider, { keepPayload: false });
    $('payload').value = d.body;
    const lines = [];
    for (const [k, vs] of Object.entries(d.headers || {})) {
      if (TRANSPORT_HEADERS.test(k)) continue;
      for (const v of vs) lines.push(k + ': ' + v);
    }
    $('headers').value = lines.join('\n');
    const ct = (d.headers && (d.headers['Content-Type'] || [])[0]) || '';
    const mt = ct.split(';')[0].trim();
    if ([...$('content-type').options].some((o) => o.value === mt)) $('content-type').value = mt;
    const b = $('banner');
    text(b, 'Dead letter #' + d.seq + ' of ' + d.provider + ' (' + d.reason + (d.error ? ': ' + d.error : '') +
      '). Fix the mapping here, put the fix in the running mappings, then replay it from the dead-letters view.');
    show(b, true);
    schedule(0);
    $('payload').focus();
  }

  async function replay() {
    const f = dlqFilter();
    const body = { provider: f.provider, reason: f.reason, dry_run: $('replay-dry').checked };
    if (f.since) body.since = f.since;
    const btn = $('replay');
    btn.disabled = true;
    text($('replay-status'), 'Replaying…');
    let r;
    try {
      r = await api('api/dlq/replay', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body) });
    } catch (e) { r = { ok: false, body: { detail: e.message } }; }
    btn.disabled = false;
    const rep = r.ok ? r.body : (r.body && r.body.report);
    text($('replay-status'), r.ok ? rep.summary : 'Replay failed: ' + problemDetail(r.body) + (rep ? ' (' + rep.summary + ')' : ''));
    const table = $('replay-results');
    table.tBodies[0].replaceChildren(...((rep && rep.results) || []).map((x) => make('tr', {}, [
      make('td', { text: String(x.seq) }),
      make('td', { text: x.provider }),
      make('td', {}, [make('code', { text: x.outcome })]),
      make('td', { text: x.rule || '\u2014' }),
      make('td', { text: [x.new_reason, x.error, (x.events || []).map((e) => e.type).join(', ')].filter(Boolean).join(': ') }),
    ])));
    show(table, !!(rep && rep.results && rep.results.length));
    if (r.ok && !body.dry_run) loadDLQ();
  }

  // remapDry runs POST api/remap, the dry run of bridge remap, over the
  // archived deliveries of the provider chosen above.
  async function remapDry() {
    const f = dlqFilter();
    if (!f.provider) { text($('remap-status'), 'Choose a provider above.'); return; }
    const body = { provider: f.provider, dry_run: true };
    if (f.since) body.since = f.since;
    const btn = $('remap');
    btn.disabled = true;
    text($('remap-status'), 'Remapping (dry run)…');
    let r;
    try {
      r = await api('api/remap', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body) });
    } catch (e) { r = { ok: false, body: { detail: e.message } }; }
    btn.disabled = false;
    const rep = r.ok ? r.body : (r.body && r.body.report);
    text($('remap-status'), r.ok ? rep.summary + (rep.truncated ? ' (the first deliveries only)' : '')
      : 'Remap failed: ' + problemDetail(r.body));
    const detail = (x) => {
      if (x.outcome === 'would_change') {
        return make('pre', { class: 'code-block', text: (x.changes || []).map((c) =>
          c.type + ' supersedes ' + c.supersedes + '\n' + (c.diff || []).join('\n')).join('\n') });
      }
      const parts = [x.reason, x.error, (x.events || []).map((e) => e.type).join(', ')];
      if (x.resolved_dead_letters) parts.push('resolves dead letter ' + x.resolved_dead_letters.map((s) => '#' + s).join(', '));
      return document.createTextNode(parts.filter(Boolean).join(': '));
    };
    const table = $('remap-results');
    table.tBodies[0].replaceChildren(...((rep && rep.results) || []).map((x) => make('tr', {}, [
      make('td', { text: String(x.seq) }),
      make('td', { text: x.ingest }),
      make('td', {}, [make('code', { text: x.outcome })]),
      make('td', { text: x.rule || '\u2014' }),
      make('td', {}, [detail(x)]),
    ])));
    show(table, !!(rep && rep.results && rep.results.length));
  }

  // ---- wiring ----

  function init() {
    for (const tab of document.querySelectorAll('.tabs button')) tab.addEventListener('click', () => showView(tab.dataset.view));
    $('provider').addEventListener('change', () => { show($('banner'), false); selectProvider($('provider').value); });
    $('example').addEventListener('change', useExample);
    const ta = $('mapping');
    ta.addEventListener('input', () => { refreshEditor(); schedule(); });
    ta.addEventListener('scroll', syncScroll);
    $('mapping-reset').addEventListener('click', () => { if (state.file) { ta.value = state.file.text; refreshEditor(); schedule(0); } });
    for (const id of ['payload', 'headers']) $(id).addEventListener('input', () => schedule());
    $('content-type').addEventListener('change', () => schedule(0));
    document.addEventListener('click', (ev) => {
      const btn = ev.target.closest('button.copy');
      if (btn) copy(btn, btn.dataset.copyFrom === 'mapping' ? ta.value : $(btn.dataset.copyFrom).textContent);
    });
    $('fx-payload-download').addEventListener('click', () => download($('fx-payload-file').textContent, $('fx-payload').textContent));
    $('fx-expect-download').addEventListener('click', () => download($('fx-expect-file').textContent, $('fx-expect').textContent));
    $('catalog-filter').addEventListener('input', filterCatalog);
    $('dlq-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadDLQ(); });
    $('replay').addEventListener('click', replay);
    $('remap').addEventListener('click', remapDry);
    $('stored-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadEvents(); });
    window.addEventListener('focus', loadSet);
    $('token-form').addEventListener('submit', useToken);
    start();
  }

  // start reads the bridge and its mapping set, and opens the first
  // provider (again once a token is given).
  function start() {
    loadSet().then(() => {
      if ($('provider').value) selectProvider($('provider').value);
      const v = location.hash.slice(1);
      if (v === 'catalog' || v === 'dlq' || v === 'events') showView(v);
    });
  }

  init();
})();
