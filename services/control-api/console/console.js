// streamgate web console: the stream list (polled; live status over SSE), HLS previews through
// hls.js, JPEG snapshots, URLs to copy, cameras added/edited/removed, RTMP push URLs.
// With users configured it signs in first (POST /api/session sets an HttpOnly session cookie
// that the API, its SSE and the HLS egress on this host accept; JavaScript never sees it).
// Plain browser JavaScript, no framework, no CDN: everything is served by the gateway.
'use strict';
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const LIST_EVERY_MS = 1000;
  const SNAPSHOT_EVERY_MS = 10000;
  const state = { key: localStorage.getItem('streamgate.apiKey') || '', cfg: null, cards: new Map(), editing: null, session: null, timers: [] };

  async function api(method, path, body) {
    const headers = {};
    if (state.key) headers.Authorization = `Bearer ${state.key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    // Signed out elsewhere, or the session expired: back to the sign-in form.
    if (res.status === 401 && path !== '/api/session' && state.session && state.session.sign_in && !state.key) showSignIn('your session has ended: sign in again');
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try { message = (await res.json()).message || message; } catch (e) { /* not JSON: keep the status line */ void e; }
      throw new Error(Array.isArray(message) ? message.join('; ') : message);
    }
    return res;
  }

  function copy(text) {
    if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => undefined);
  }

  function hlsUrl(name) {
    return `${state.cfg.hls_base}/${encodeURIComponent(name)}/index.m3u8`;
  }

  function setStatus(card, s) {
    const badge = $('.badge', card.el);
    const live = s.connected && s.playing;
    badge.textContent = live ? 'live' : s.enabled === false ? 'stopped' : 'offline';
    badge.className = `badge ${live ? 'live' : 'down'}`;
    card.el.dataset.live = String(live);
    $('.stats', card.el).textContent = `${s.fps || 0} fps · ${s.bitrate_kbps || 0} kbit/s · ${s.readers || 0} RTSP readers` + (s.last_error ? ` · ${s.last_error}` : '');
  }

  function showError(card, err) {
    $('.error', card.el).textContent = err ? String(err.message || err) : '';
  }

  async function snapshot(card) {
    if (card.el.dataset.live !== 'true' || card.hls) return;
    try {
      const res = await api('GET', `/api/streams/${encodeURIComponent(card.name)}/frame?format=jpeg`);
      const url = URL.createObjectURL(await res.blob());
      const img = $('.thumb', card.el);
      if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
      img.src = url;
    } catch (e) { void e; /* no picture yet: keep the last one */ }
  }

  /**
   * hls.js found no codec this browser's Media Source Extensions decode: say which, instead of
   * a black box. Debian's Chromium has no H.265 (HEVC) decoder for MSE, so H.265 streams land here.
   */
  async function explainCodecs(card, src) {
    let codecs = '';
    try {
      const res = await fetch(src, {
        headers: state.key ? { Authorization: `Bearer ${state.key}` } : {},
        credentials: state.session && state.session.user ? 'include' : 'same-origin',
      });
      const m = /CODECS="([^"]+)"/.exec(await res.text());
      if (m) codecs = m[1];
    } catch (e) { void e; /* the message below still stands without the list */ }
    if (card.hls) togglePreview(card);
    const hevc = /(^|,)\s*(hev1|hvc1)\./.test(codecs);
    showError(card, hevc
      ? `preview: this browser has no H.265 (HEVC) decoder for Media Source Extensions (Debian's Chromium has none), so it cannot play ${codecs}. Open the HLS URL in Safari, VLC or ffplay, or the RTSP URL.`
      : `preview: this browser cannot decode ${codecs || "the stream's codecs"}.`);
  }

  function togglePreview(card) {
    const video = $('.preview', card.el);
    const img = $('.thumb', card.el);
    if (card.hls) {
      card.hls.destroy();
      card.hls = null;
      video.hidden = true;
      img.hidden = false;
      $('.preview-toggle', card.el).textContent = 'Preview';
      return;
    }
    video.hidden = false;
    img.hidden = true;
    $('.preview-toggle', card.el).textContent = 'Close preview';
    const src = hlsUrl(card.name);
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({
        lowLatencyMode: true,
        xhrSetup: (xhr) => {
          if (state.key) xhr.setRequestHeader('Authorization', `Bearer ${state.key}`);
          // The session cookie goes to the HLS port too (cookies are per host): a credentialed request.
          else if (state.session && state.session.user) xhr.withCredentials = true;
        },
      });
      hls.on(window.Hls.Events.ERROR, (_e, data) => {
        if (!data.fatal) return;
        if (/IncompatibleCodecs|AddCodecError/.test(data.details)) explainCodecs(card, src);
        else showError(card, `preview: ${data.type} ${data.details}`);
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      card.hls = hls;
    } else {
      video.src = src; // Safari plays HLS natively
      card.hls = { destroy: () => video.removeAttribute('src') };
    }
    video.play().catch(() => undefined);
  }

  function watch(card) {
    if (state.key && state.cfg.reads_need_key) return; // EventSource cannot send the key: the poll keeps status
    const es = new EventSource(`/api/streams/${encodeURIComponent(card.name)}/events`);
    es.addEventListener('status', (ev) => setStatus(card, JSON.parse(ev.data)));
    es.addEventListener('removed', () => es.close());
    es.onerror = () => { if (es.readyState === EventSource.CLOSED) card.es = null; };
    card.es = es;
  }

  function createCard(s) {
    const el = $('#stream-card').content.firstElementChild.cloneNode(true);
    const card = { name: s.name, el, hls: null, es: null, source: s.source };
    el.dataset.stream = s.name;
    $('.name', el).textContent = s.name;
    $('.source', el).textContent = s.source === 'rtmp' ? 'RTMP push' : 'camera';
    $('.hls', el).textContent = hlsUrl(s.name);
    $('.copy-rtsp', el).onclick = () => copy($('.rtsp', el).textContent);
    $('.copy-hls', el).onclick = () => copy(hlsUrl(s.name));
    $('.preview-toggle', el).onclick = () => togglePreview(card);
    const action = (method, suffix) => async () => {
      showError(card, null);
      try { await api(method, `/api/streams/${encodeURIComponent(s.name)}${suffix}`); await refresh(); } catch (e) { showError(card, e); }
    };
    $('.start', el).onclick = action('POST', '/start');
    $('.stop', el).onclick = action('POST', '/stop');
    $('.remove', el).onclick = async () => {
      if (!window.confirm(`Remove ${s.name}?`)) return;
      await action('DELETE', '')();
    };
    $('.edit', el).onclick = () => editCamera(card);
    for (const b of ['.start', '.stop', '.edit']) $(b, el).hidden = s.source === 'rtmp';
    watch(card);
    return card;
  }

  function removeCard(card) {
    if (card.hls) card.hls.destroy();
    if (card.es) card.es.close();
    card.el.remove();
    state.cards.delete(card.name);
  }

  async function refresh() {
    let list;
    try {
      list = await (await api('GET', '/api/streams')).json();
      $('#list-error').textContent = '';
    } catch (e) {
      $('#list-error').textContent = `cannot list streams: ${e.message}`;
      return;
    }
    const seen = new Set();
    for (const s of list.streams) {
      seen.add(s.name);
      let card = state.cards.get(s.name);
      if (!card) {
        card = createCard(s);
        state.cards.set(s.name, card);
        $('#streams').append(card.el);
        card.data = s;
        setStatus(card, s);
        void snapshot(card);
      }
      card.data = s;
      $('.rtsp', card.el).textContent = s.play_url;
      setStatus(card, s);
    }
    for (const card of [...state.cards.values()]) if (!seen.has(card.name)) removeCard(card);
    $('#count').textContent = `(${list.total})`;
  }

  function editCamera(card) {
    const form = $('#camera-form');
    const s = card.data || {};
    state.editing = card.name;
    form.name.value = card.name;
    form.name.readOnly = true;
    form.rtsp_url.value = s.rtsp_url || '';
    form.username.value = '';
    form.password.value = '';
    form.transport.value = s.transport === 'tcp' || s.transport === 'udp' ? s.transport : 'auto';
    $('#form-title').textContent = `Edit ${card.name} (credentials must be entered again)`;
    $('#camera-submit').textContent = 'Save';
    $('#camera-cancel').hidden = false;
  }

  function resetForm() {
    const form = $('#camera-form');
    form.reset();
    form.name.readOnly = false;
    state.editing = null;
    $('#form-title').textContent = 'Add camera';
    $('#camera-submit').textContent = 'Add';
    $('#camera-cancel').hidden = true;
  }

  async function submitCamera(ev) {
    ev.preventDefault();
    const form = ev.target;
    const body = { name: form.name.value.trim(), rtsp_url: form.rtsp_url.value.trim(), transport: form.transport.value };
    if (form.username.value) body.username = form.username.value;
    if (form.password.value) body.password = form.password.value;
    $('#form-error').textContent = '';
    try {
      // The API has no update: an edit replaces the camera under the same name.
      if (state.editing) await api('DELETE', `/api/streams/${encodeURIComponent(state.editing)}`);
      await api('POST', '/api/streams', body);
      resetForm();
      await refresh();
    } catch (e) {
      $('#form-error').textContent = e.message;
    }
  }

  function showRtmpUrl() {
    const key = $('#rtmp-key').value.trim() || '<key>';
    $('#rtmp-url').textContent = `${state.cfg.rtmp_base}/${key}`;
  }

  function showSignIn(message) {
    for (const t of state.timers) clearInterval(t);
    state.timers = [];
    for (const card of [...state.cards.values()]) removeCard(card);
    $('#console').hidden = true;
    $('#who').hidden = true;
    $('#sign-in').hidden = false;
    $('#sign-in-error').textContent = message || '';
  }

  async function signIn(ev) {
    ev.preventDefault();
    const form = ev.target;
    $('#sign-in-error').textContent = '';
    try {
      await api('POST', '/api/session', { user: form.user.value, pass: form.pass.value });
    } catch (e) {
      $('#sign-in-error').textContent = e.message;
      form.pass.value = '';
      return;
    }
    form.reset();
    await begin();
  }

  async function signOut() {
    try { await api('DELETE', '/api/session'); } catch (e) { void e; /* signed out anyway: the cookie is cleared */ }
    state.session = null;
    await begin();
  }

  /** Asks who is signed in; shows the sign-in form or the console. */
  async function begin() {
    state.session = await (await fetch('/api/session')).json();
    if (state.session.sign_in && !state.session.user && !state.key) {
      showSignIn();
      return;
    }
    $('#sign-in').hidden = true;
    $('#who').hidden = !state.session.user;
    $('#who-name').textContent = state.session.user || '';
    $('#console').hidden = false;
    await start();
  }

  async function start() {
    state.cfg = await (await api('GET', '/api/console')).json();
    $('#camera-form').onsubmit = submitCamera;
    $('#camera-cancel').onclick = resetForm;
    $('#rtmp-key').oninput = showRtmpUrl;
    document.querySelectorAll('[data-copy]').forEach((b) => { b.onclick = () => copy($(b.dataset.copy).textContent); });
    showRtmpUrl();
    await refresh();
    state.timers.push(setInterval(() => void refresh(), LIST_EVERY_MS));
    state.timers.push(setInterval(() => state.cards.forEach((c) => void snapshot(c)), SNAPSHOT_EVERY_MS));
  }

  const keyInput = $('#api-key');
  keyInput.value = state.key;
  keyInput.onchange = () => {
    state.key = keyInput.value.trim();
    localStorage.setItem('streamgate.apiKey', state.key);
    if (!$('#console').hidden) void refresh();
    else begin().catch((e) => { $('#sign-in-error').textContent = e.message; });
  };
  $('#sign-in-form').onsubmit = signIn;
  $('#sign-out').onclick = () => void signOut();
  begin().catch((e) => { $('#list-error').textContent = `console failed to start: ${e.message}`; });
})();
