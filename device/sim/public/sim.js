// The simulator page: plain JS, no build step. Talks to the kiosk over socket.io namespace /sim.
'use strict';
(function () {
  const socket = io('/sim');
  const $ = (id) => document.getElementById(id);
  let readers = [];

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderHardware(hw) {
    $('mode').textContent = hw.mode;
    const box = $('doors');
    box.textContent = '';
    const doorSelect = $('door');
    const chosen = doorSelect.value;
    if (doorSelect.options.length !== hw.doors.length) {
      doorSelect.textContent = '';
      for (const door of hw.doors) doorSelect.appendChild(el('option', '', door.name));
      if (chosen) doorSelect.value = chosen;
    }
    for (const door of hw.doors) {
      const card = el('div', 'door');
      card.appendChild(el('h3', '', door.name));
      for (const [name, energised] of Object.entries(hw.relays)) {
        if (!name.startsWith(door.name + '.')) continue;
        card.appendChild(el('span', 'state ' + (energised ? 'on' : 'off'), name.slice(door.name.length + 1) + ': ' + (energised ? 'released' : 'idle')));
      }
      for (const [name, active] of Object.entries(hw.inputs)) {
        if (!name.startsWith(door.name + '.')) continue;
        const role = name.slice(door.name.length + 1);
        const label = role === 'sensor' ? (active ? 'door open' : 'door closed') : role + (active ? ': active' : ': idle');
        card.appendChild(el('span', 'state ' + (active ? 'on' : 'off'), label));
        const toggle = el('button', 'toggle', 'toggle ' + role);
        toggle.type = 'button';
        toggle.addEventListener('click', () => socket.emit('input', { name: name, active: !active }));
        card.appendChild(toggle);
      }
      const snap = el('div', '');
      snap.style.fontSize = '.8rem';
      snap.style.color = '#556';
      snap.textContent = summarise(door.snapshot);
      card.appendChild(snap);
      box.appendChild(card);
    }
  }

  function summarise(snapshot) {
    if (!snapshot || typeof snapshot !== 'object') return '';
    const parts = [];
    for (const [key, value] of Object.entries(snapshot)) {
      if (value === null || typeof value === 'object') continue;
      parts.push(key + ': ' + value);
    }
    return parts.join(' · ');
  }

  function renderCards(cards) {
    const box = $('cards');
    box.textContent = '';
    for (const card of cards) {
      const node = el('div', 'card' + (card.status === 'blocked' ? ' blocked' : ''));
      node.appendChild(el('span', '', card.name + (card.group ? ' · ' + card.group : '') + (card.role && card.role !== 'student' ? ' (' + card.role + ')' : '')));
      node.appendChild(el('small', '', card.kind + ' ' + card.value));
      node.addEventListener('click', () => present(card.kind, card.value));
      box.appendChild(node);
    }
  }

  function showDecision(d) {
    const box = $('decision');
    if (d.error) {
      box.className = 'decision deny';
      box.textContent = 'error: ' + d.error;
      return;
    }
    if (d.decided === false) {
      box.className = 'decision idle';
      box.textContent = 'no decision (reader busy or more frames wanted)';
      return;
    }
    box.className = 'decision ' + d.outcome;
    const who = d.name ? d.name + (d.group ? ' (' + d.group + ')' : '') : 'unknown credential';
    box.textContent = (d.outcome === 'grant' ? 'GRANTED' : 'DENIED') + ' · ' + who + (d.reason ? ' · reason: ' + d.reason : '') + (d.flags && d.flags.length ? ' · flags: ' + d.flags.join(', ') : '') + ' · ' + d.door + ' ' + d.direction + (d.seq !== null ? ' · seq ' + d.seq : '');
  }

  function addHistory(d) {
    const item = el('li', d.outcome, (d.at ? d.at.slice(11, 19) + ' ' : '') + d.door + ' ' + d.direction + ' · ' + (d.name || 'unknown') + ' · ' + d.outcome + (d.reason ? ' (' + d.reason + ')' : ''));
    const list = $('history');
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 30) list.removeChild(list.lastChild);
  }

  function present(kind, value) {
    const door = $('door').value;
    const direction = $('direction').value;
    socket.emit('present', { kind: kind, value: value, door: door, direction: direction }, showDecision);
  }

  $('present').addEventListener('submit', (event) => {
    event.preventDefault();
    present($('kind').value, $('value').value);
  });
  $('door').addEventListener('change', () => {
    const reader = readers.find((r) => r.door === $('door').value);
    if (reader) $('direction').value = reader.direction;
  });

  // Faces go over HTTP (the socket caps messages at 16 KiB); the server keeps them in memory only.
  const MAX_FACE_BYTES = 4 * 1024 * 1024;
  function showFace(text, cls) {
    const box = $('face-decision');
    box.className = 'decision ' + cls;
    box.textContent = text;
  }
  function faceText(r) {
    if (r.result === 'pending') return 'PENDING · not recognised yet after ' + r.framesSent + ' frame(s)';
    const who = r.name || (r.reason === 'unknown' ? 'not recognised' : 'nobody');
    return (r.result === 'granted' ? 'GRANTED' : 'DENIED') + ' · ' + who + (r.reason ? ' · reason: ' + r.reason : '') + (r.capture ? ' (' + r.capture + ')' : '') + ' · ' + r.door + ' ' + r.direction;
  }
  function presentFace(blob) {
    if (blob.size === 0 || blob.size > MAX_FACE_BYTES) return showFace('image must be 1 byte to 4 MiB', 'deny');
    showFace('identifying…', 'idle');
    readBase64(blob, (error) => showFace(error, 'deny'), (image) => {
      fetch('/sim/face', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image: image, door: $('door').value, direction: $('direction').value }) })
        .then((res) => res.json().then((body) => ({ ok: res.ok, body: body })))
        .then((r) => (r.ok ? showFace(faceText(r.body), r.body.result === 'granted' ? 'grant' : r.body.result === 'denied' ? 'deny' : 'idle') : showFace('error: ' + r.body.message, 'deny')))
        .catch((error) => showFace('error: ' + error.message, 'deny'));
    });
  }
  function readBase64(blob, onError, onImage) {
    const reader = new FileReader();
    reader.onerror = () => onError('cannot read the image');
    reader.onload = () => onImage(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.readAsDataURL(blob);
  }

  // Enrolment: the server extracts the face template in memory and stores only that template.
  function showEnrol(text, cls) {
    const box = $('enrol-result');
    box.className = 'decision ' + cls;
    box.textContent = text;
  }
  function enrolFace(blob) {
    const personId = $('enrol-person').value;
    if (!personId) return showEnrol('pick a person first', 'deny');
    if (blob.size === 0 || blob.size > MAX_FACE_BYTES) return showEnrol('image must be 1 byte to 4 MiB', 'deny');
    showEnrol('enrolling…', 'idle');
    readBase64(blob, (error) => showEnrol(error, 'deny'), (image) => {
      fetch('/sim/enrol', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ personId: personId, image: image }) })
        .then((res) => res.json().then((body) => ({ ok: res.ok, body: body })))
        .then((r) => (r.ok
          ? showEnrol('ENROLLED · ' + personId + ' · ' + r.body.enrolled + ' template(s) stored', 'grant')
          : showEnrol('REJECTED · ' + (r.body.reason ? r.body.reason + ' · ' : '') + r.body.message, 'deny')))
        .catch((error) => showEnrol('error: ' + error.message, 'deny'));
    });
  }
  function renderPeople(cards) {
    const select = $('enrol-person');
    select.textContent = '';
    const seen = new Set();
    for (const card of cards) {
      if (!card.personId || seen.has(card.personId)) continue;
      seen.add(card.personId);
      const option = el('option', '', card.name + (card.consent ? '' : ' (no biometric consent)'));
      option.value = card.personId;
      select.appendChild(option);
    }
  }
  $('enrol-file').addEventListener('change', () => {
    const file = $('enrol-file').files[0];
    if (file) enrolFace(file);
    $('enrol-file').value = '';
  });
  function snapshot(onBlob, onError) {
    const video = $('face-video');
    const canvas = $('face-canvas');
    canvas.width = video.videoWidth || 640;
    canvas.height = video.videoHeight || 480;
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob((blob) => (blob ? onBlob(blob) : onError('capture failed', 'deny')), 'image/jpeg', 0.9);
  }
  $('enrol-snap').addEventListener('click', () => snapshot(enrolFace, showEnrol));
  $('face-file').addEventListener('change', () => {
    const file = $('face-file').files[0];
    if (file) presentFace(file);
    $('face-file').value = '';
  });
  $('face-camera').addEventListener('click', () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return showFace('no webcam access in this browser (needs https or localhost)', 'deny');
    navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false }).then((stream) => {
      $('face-video').srcObject = stream;
      $('face-video').hidden = false;
      $('face-snap').disabled = false;
      $('enrol-snap').disabled = false;
    }, (error) => showFace('webcam: ' + error.message, 'deny'));
  });
  $('face-snap').addEventListener('click', () => snapshot(presentFace, showFace));

  // Palm: synthetic vectors made on the kiosk per person id (a stranger's hand is any other id).
  function showPalm(text, cls) {
    const box = $('palm-result');
    box.className = 'decision ' + cls;
    box.textContent = text;
  }
  function postJson(path, body) {
    return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then((res) => res.json().then((answer) => ({ ok: res.ok, body: answer })));
  }
  $('palm-enrol').addEventListener('click', () => {
    const personId = $('palm-hand').value;
    if (personId === 'stranger') return showPalm('a stranger cannot be enrolled: pick a person', 'deny');
    postJson('/sim/palm/enrol', { personId: personId })
      .then((r) => (r.ok ? showPalm('ENROLLED · ' + personId + ' · synthetic palm template stored', 'grant') : showPalm('REJECTED · ' + r.body.message, 'deny')))
      .catch((error) => showPalm('error: ' + error.message, 'deny'));
  });
  $('palm-present').addEventListener('click', () => {
    postJson('/sim/palm', { hand: $('palm-hand').value, door: $('door').value, direction: $('direction').value })
      .then((r) => {
        if (!r.ok) return showPalm('error: ' + r.body.message, 'deny');
        if (r.body.decided === false) return showPalm('no decision (reader busy)', 'idle');
        const who = r.body.name || 'not recognised';
        showPalm((r.body.outcome === 'grant' ? 'GRANTED' : 'DENIED') + ' · ' + who + (r.body.reason ? ' · reason: ' + r.body.reason : '') + ' · ' + r.body.door + ' ' + r.body.direction, r.body.outcome);
      })
      .catch((error) => showPalm('error: ' + error.message, 'deny'));
  });
  function renderHands() {
    const select = $('palm-hand');
    select.textContent = '';
    for (const option of Array.from($('enrol-person').options)) select.appendChild(option.cloneNode(true));
    const stranger = el('option', '', 'a stranger (never enrolled)');
    stranger.value = 'stranger';
    select.appendChild(stranger);
  }

  socket.on('connect', () => { $('conn').textContent = 'live'; $('conn').className = 'pill'; });
  socket.on('disconnect', () => { $('conn').textContent = 'offline'; $('conn').className = 'pill off'; });
  socket.on('connect_error', (error) => { $('conn').textContent = error.message; $('conn').className = 'pill off'; });
  socket.on('hello', (hello) => {
    $('device').textContent = hello.deviceId;
    readers = hello.readers;
    renderHardware(hello.hardware);
    renderCards(hello.cards);
    renderPeople(hello.cards);
    renderHands();
  });
  socket.on('hardware', renderHardware);
  socket.on('decision', addHistory);
})();
