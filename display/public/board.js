// The lobby board page. State is kept by seq: arrivals in a map keyed by seq (so a replayed or
// re-sent arrival is shown once), per-group counts with the seq they include (so an older snapshot
// never overwrites newer live counts). On every (re)connect the page says which seq it saw last and
// the kiosk replies with what it missed, from SQLite.
(function () {
  'use strict';
  var KEEP_ARRIVALS = 200;
  var token = new URLSearchParams(location.search).get('token');
  var state = { date: null, lastSeq: 0, arrivals: new Map(), groups: new Map() };
  var setup = null;
  var renderPending = false;
  var pendingSeqs = [];
  // Render timestamps for tests and the bench (wall-clock aligned, sub-millisecond).
  window.__boardRenders = [];

  function el(id) { return document.getElementById(id); }
  function text(node, value) { node.textContent = value; return node; }
  function span(cls, value) { var s = document.createElement('span'); s.className = cls; return text(s, value); }

  function schoolNow() { return new Date(Date.now() + (setup ? setup.utcOffsetMinutes : 0) * 60000); }
  function schoolDate() { return schoolNow().toISOString().slice(0, 10); }

  function resetDay(date) {
    state.date = date;
    state.arrivals.clear();
    state.groups.clear();
  }

  // True when a live arrival moved the board to a new day: the kiosk is asked for that day's
  // snapshot, which holds what happened before (for instance arrivals it recorded before its clock
  // was set, placed on today once it was).
  var dayMoved = false;

  function addArrival(a) {
    var date = String(a.at).slice(0, 10);
    if (state.date !== null && date < state.date) return;
    if (state.date !== date) { dayMoved = state.date !== null; resetDay(date); }
    if (!state.arrivals.has(a.seq)) { state.arrivals.set(a.seq, a); pendingSeqs.push(a.seq); }
    if (a.seq > state.lastSeq) state.lastSeq = a.seq;
  }

  function applyCounts(seq, groups) {
    groups.forEach(function (g) {
      var known = state.groups.get(g.group);
      if (!known || known.seq <= seq) state.groups.set(g.group, { seq: seq, count: g });
    });
  }

  function trimArrivals() {
    if (state.arrivals.size <= KEEP_ARRIVALS) return;
    var seqs = Array.from(state.arrivals.keys()).sort(function (a, b) { return a - b; });
    seqs.slice(0, seqs.length - KEEP_ARRIVALS).forEach(function (s) { state.arrivals.delete(s); });
  }

  function onSnapshot(snap) {
    if (state.date !== snap.date) resetDay(snap.date);
    snap.arrivals.forEach(addArrival);
    applyCounts(snap.lastSeq, snap.groups);
    if (snap.lastSeq > state.lastSeq) state.lastSeq = snap.lastSeq;
    scheduleRender();
  }

  function onArrivals(message) {
    message.arrivals.forEach(addArrival);
    message.counts.forEach(function (c) { applyCounts(c.seq, c.groups); });
    if (dayMoved) {
      dayMoved = false;
      socket.emit('hello', {});
    }
    // The kiosk already coalesces live updates (one message per batch), so draw now rather than a
    // frame later; snapshots and clock ticks still go through requestAnimationFrame.
    render();
  }

  function arrivalRow(a) {
    var L = setup.labels;
    var li = document.createElement('li');
    li.dataset.seq = String(a.seq);
    li.appendChild(span('time', String(a.at).slice(11, 16)));
    var name = span('name', a.displayName || L[a.role] || '');
    if (a.late) name.appendChild(span('late-mark', L.lateMark));
    li.appendChild(name);
    li.appendChild(span('group', a.group || ''));
    li.appendChild(span('dir dir-' + a.direction, a.direction === 'in' ? L.in : L.out));
    return li;
  }

  function groupRow(count) {
    var tr = document.createElement('tr');
    tr.dataset.group = count.group;
    var name = document.createElement('td');
    text(name, count.group);
    var present = document.createElement('td');
    present.className = 'present';
    present.appendChild(text(document.createElement('b'), String(count.present)));
    present.appendChild(document.createTextNode(' / ' + count.expected));
    var late = document.createElement('td');
    late.className = count.late > 0 ? 'late' : '';
    text(late, String(count.late));
    tr.append(name, present, late);
    return tr;
  }

  function render() {
    renderPending = false;
    if (!setup) return;
    trimArrivals();
    var recent = Array.from(state.arrivals.values()).sort(function (a, b) { return b.seq - a.seq; }).slice(0, setup.rows);
    el('arrivals').replaceChildren.apply(el('arrivals'), recent.map(arrivalRow));
    el('empty').hidden = recent.length > 0;
    var groups = Array.from(state.groups.values()).map(function (g) { return g.count; })
      .sort(function (a, b) { return a.group.localeCompare(b.group, setup.locale, { numeric: true }); });
    el('groups').replaceChildren.apply(el('groups'), groups.map(groupRow));
    var seqs = pendingSeqs;
    pendingSeqs = [];
    // Stamp after the frame that shows them, which is what a person in the lobby sees.
    requestAnimationFrame(function () {
      var t = performance.timeOrigin + performance.now();
      seqs.forEach(function (seq) { window.__boardRenders.push({ seq: seq, t: t }); });
      if (window.__boardRenders.length > 5000) window.__boardRenders.splice(0, 1000);
    });
  }

  function scheduleRender() {
    if (renderPending) return;
    renderPending = true;
    requestAnimationFrame(render);
  }

  function applySetup(s) {
    setup = s;
    var L = s.labels;
    document.documentElement.lang = s.language;
    text(el('title'), L.title);
    text(el('recent-title'), L.recent);
    text(el('classes-title'), L.classes);
    text(el('h-group'), L.group);
    text(el('h-present'), L.present + ' / ' + L.expected);
    text(el('h-late'), L.late);
    text(el('status'), L.offline);
    text(el('empty'), L.noArrivals);
    tick();
    scheduleRender();
  }

  function setOnline(online) {
    el('status').hidden = online;
    document.body.classList.toggle('is-offline', !online);
  }

  function tick() {
    if (!setup) return;
    var now = schoolNow();
    text(el('clock'), now.toISOString().slice(11, 16));
    var L = setup.labels;
    var date = L.dateFormat.replace('{d}', String(now.getUTCDate())).replace('{month}', L.months[now.getUTCMonth()])
      .replace('{y}', String(now.getUTCFullYear())).replace('{weekday}', L.weekdays[(now.getUTCDay() + 6) % 7]);
    text(el('date'), date);
    // Midnight in school time, by this screen's clock: a new day starts empty and the kiosk is asked
    // for it. Only when this clock crosses midnight: a kiosk whose own clock is not yet set answers
    // with another day, and asking again every second would not change that.
    var today = schoolDate();
    if (lastTickDate !== null && today > lastTickDate && state.date !== null && today > state.date) {
      resetDay(today);
      if (socket.connected) socket.emit('hello', {});
      scheduleRender();
    }
    lastTickDate = today;
  }
  var lastTickDate = null;

  // The board's socket server may listen on a port of its own (the kiosk says which in the page):
  // then connect there, over websocket only, on the host this page came from. A kiosk restarted
  // since this page loaded may listen on another port: after a failed connection the page asks the
  // kiosk's own port (/board/socket.json) and reloads if it changed.
  var portMeta = document.querySelector('meta[name="esik-board-port"]');
  var boardPort = portMeta ? portMeta.getAttribute('content') : '';
  var options = { auth: token ? { token: token } : {}, reconnectionDelayMax: 5000 };
  if (boardPort) options.transports = ['websocket'];
  var socket = io(boardPort ? location.protocol + '//' + location.hostname + ':' + boardPort + '/board' : '/board', options);
  setOnline(false);
  socket.on('connect', function () {
    setOnline(true);
    socket.emit('hello', state.lastSeq > 0 ? { sinceSeq: state.lastSeq } : {});
  });
  // socket.io retries transport failures by itself, but not a disconnect the server initiated (a
  // kiosk shutting down for a restart or update) nor a refused handshake (board full): the lobby
  // TV must come back on its own, so retry those too, with jitter.
  function retryLater() {
    setTimeout(function () { if (!socket.connected && !socket.active) socket.connect(); }, 1000 + Math.random() * 3000);
  }
  socket.on('disconnect', function (reason) {
    setOnline(false);
    if (reason === 'io server disconnect') retryLater();
  });
  socket.on('connect_error', function () {
    setOnline(false);
    if (boardPort) checkPort();
    if (!socket.active) retryLater();
  });
  socket.on('setup', applySetup);
  socket.on('snapshot', onSnapshot);
  socket.on('arrivals', onArrivals);
  var checkingPort = false;
  function checkPort() {
    if (checkingPort) return;
    checkingPort = true;
    fetch('/board/socket.json', { cache: 'no-store' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        // The page's content security policy names the old port: load the page again (the kiosk
        // just answered, so it is up); the new page gets today's state from SQLite.
        if (answer && answer.port && String(answer.port) !== boardPort) location.reload();
      })
      .catch(function () { /* the kiosk is down: socket.io keeps retrying */ })
      .then(function () { checkingPort = false; });
  }
  setInterval(tick, 1000);
})();
