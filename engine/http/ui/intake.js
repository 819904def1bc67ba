// The education office's intake page: upload a register extract (streamed
// to the server, size-limited, imported whole or not at all, as on the
// command line), start an intake run and follow it, and the imports so far.
import { api, getCsrf } from './api.js';
import { h, say, number, dateTime } from './dom.js';

function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/imports');
    xhr.setRequestHeader('X-CSRF-Token', getCsrf());
    xhr.setRequestHeader('Content-Type', file.name.endsWith('.xml') ? 'application/xml' : 'application/json');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status === 202) resolve(data);
      else reject(new Error(data && data.error ? data.error.message : 'HTTP ' + xhr.status));
    };
    xhr.onerror = () => reject(new Error('Fikk ikke kontakt med serveren.'));
    xhr.send(file);
  });
}

export async function intakePage(el) {
  el.append(h('h1', {}, 'Innlesing og innskriving'));
  // Upload
  const file = h('input', { type: 'file', id: 'extract-file', accept: '.json,.xml,application/json,application/xml' });
  const bar = h('span', { class: 'bar' });
  const progress = h('div', { class: 'progress', role: 'progressbar', 'aria-label': 'Opplasting', 'aria-valuemin': 0,
    'aria-valuemax': 100, 'aria-valuenow': 0 }, bar);
  const result = h('div', { 'aria-live': 'polite' });
  const send = h('button', { type: 'submit' }, 'Last opp og les inn');
  const form = h('form', { class: 'card', 'aria-labelledby': 'up-h' },
    h('h2', { id: 'up-h' }, 'Uttrekk fra Folkeregisteret'),
    h('p', { class: 'muted' }, 'FREG-uttrekk som JSON eller XML. Filen leses inn i sin helhet eller ikke i det hele tatt; samme fil to ganger leses ikke inn på nytt.'),
    h('div', { class: 'field' }, h('label', { for: 'extract-file' }, 'Fil'), file), progress, result, send);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!file.files.length) { say('Velg en fil først.', 'error'); return; }
    send.disabled = true;
    result.textContent = '';
    try {
      await upload(file.files[0], (share) => {
        bar.style.width = Math.round(share * 100) + '%';
        progress.setAttribute('aria-valuenow', Math.round(share * 100));
      });
      // Imported on the server's importer, not while the upload waits.
      result.append(h('p', { class: 'muted' }, 'Lastet opp. Leser inn …'));
      let run = await api('GET', '/api/v1/imports/run');
      while (run.running) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        run = await api('GET', '/api/v1/imports/run');
      }
      const r = run.last || {};
      result.textContent = '';
      if (r.error) throw new Error(r.error);
      result.append(h('p', {}, r.already_imported_as
        ? `Filen er lest inn før (innlesing ${r.already_imported_as}); ingenting nytt.`
        : `Lest inn: ${number(r.records)} personer (${number(r.new)} nye, ${number(r.changed)} endret, ${number(r.unchanged)} uendret).`));
      say('Uttrekket er lest inn.', 'ok');
      await renderImports();
    } catch (err) {
      result.append(h('p', { class: 'error' }, err.message));
    } finally {
      send.disabled = false;
    }
  });
  el.append(form);

  // Intake run
  const now = new Date();
  const year = now.getMonth() >= 6 ? now.getFullYear() + 1 : now.getFullYear();
  const yearInput = h('input', { type: 'number', id: 'intake-year', min: 2000, max: 2200, value: year });
  const status = h('p', { 'aria-live': 'polite', id: 'intake-status' });
  const ibar = h('span', { class: 'bar' });
  const iprogress = h('div', { class: 'progress', role: 'progressbar', 'aria-label': 'Innskriving', 'aria-valuemin': 0,
    'aria-valuemax': 100, 'aria-valuenow': 0 }, ibar);
  const start = h('button', { type: 'submit', id: 'intake-start' }, 'Start innskriving');
  const iform = h('form', { class: 'card', 'aria-labelledby': 'in-h' }, h('h2', { id: 'in-h' }, 'Innskriving'),
    h('p', { class: 'muted' }, 'Lager saker for 1., 5. og 8. trinn fra det som er lest inn, og vedtaksbrev til godkjenning. Å kjøre den igjen lager ingen dubletter.'),
    h('div', { class: 'field inline' }, h('label', { for: 'intake-year' }, 'Skoleår (høsten)'), yearInput), iprogress, status, start);
  const poll = async () => {
    const s = await api('GET', '/api/v1/intake');
    const share = s.total ? Math.round((100 * s.done) / s.total) : (s.running ? 0 : 100);
    ibar.style.width = share + '%';
    iprogress.setAttribute('aria-valuenow', share);
    if (s.running) {
      status.textContent = `Innskriving for ${s.school_year}/${s.school_year + 1} pågår: ${number(s.done)} av ${number(s.total)}.`;
      start.disabled = true;
      setTimeout(() => { if (document.body.contains(iform)) poll(); }, 1000);
    } else {
      start.disabled = false;
      if (s.last) {
        status.textContent = s.last.error ? `Innskrivingen feilet: ${s.last.error}`
          : `Siste innskriving (${s.last.school_year}/${s.last.school_year + 1}): ${number(s.last.created)} nye saker, ${number(s.last.existing)} fantes fra før.`;
      }
    }
  };
  iform.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('POST', '/api/v1/intake', { school_year: Number(yearInput.value) });
      say('Innskrivingen er startet.', 'ok');
    } catch (err) {
      say(err.message, 'error');
    }
    poll();
  });
  el.append(iform);
  const list = h('section', { class: 'card', 'aria-labelledby': 'imp-h' });
  el.append(list);
  async function renderImports() {
    const r = await api('GET', '/api/v1/imports');
    list.replaceChildren(h('h2', { id: 'imp-h' }, 'Innlesinger'),
      r.imports.length === 0 ? h('p', { class: 'muted' }, 'Ingen ennå.') : h('table', { class: 'matrix' },
        h('thead', {}, h('tr', {}, ['Nr.', 'Ferdig', 'Personer', 'Nye', 'Endret', 'Uendret'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, r.imports.map((i) => h('tr', {}, h('td', { class: 'num' }, i.id), h('td', {}, dateTime(i.finished_at)),
          h('td', { class: 'num' }, number(i.records)), h('td', { class: 'num' }, number(i.new)),
          h('td', { class: 'num' }, number(i.changed)), h('td', { class: 'num' }, number(i.unchanged)))))));
  }
  await renderImports();
  await poll();
}
