// The education office: the intake dashboard, incidents, the workflow.
import { api, requestId } from './api.js';
import { h, say, ask, phaseName, dateTime, number } from './dom.js';
import { go, schoolName } from './app.js';

const MAIN_PHASES = ['awaiting_approval', 'rejected', 'manual_handling', 'completed', 'closed'];

function card(title, value, note, href) {
  const body = [h('span', { class: 'figure' }, value), h('span', { class: 'label' }, title),
    note ? h('span', { class: 'note' }, note) : null];
  return h('li', { class: 'tile' }, href ? h('a', { href }, body) : body);
}

export async function officePage(el) {
  const d = await api('GET', '/api/v1/dashboard');
  const t = d.totals;
  const all = Object.values(t).reduce((a, b) => a + b, 0);
  const inProgress = all - MAIN_PHASES.reduce((a, p) => a + (t[p] || 0), 0);
  el.append(h('h1', {}, 'Oversikt over innskrivingen'));
  el.append(h('ul', { class: 'tiles', 'aria-label': 'Nøkkeltall' },
    card('saker i alt', number(all)),
    card('venter på godkjenning', number(t.awaiting_approval || 0), 'hos skolene', '#/innboks?phase=awaiting_approval'),
    card('til manuell behandling', number(t.manual_handling || 0), 'hos oppvekstkontoret', '#/innboks?phase=manual_handling'),
    card('avviste brev', number(t.rejected || 0), 'venter på retting', '#/innboks?phase=rejected'),
    card('underveis', number(inProgress), 'sendes, registreres, arkiveres'),
    card('fullført', number(t.completed || 0), '', '#/innboks?phase=completed'),
    card('åpne hendelser', number(d.incidents_open), 'feil i en integrasjon', '#/hendelser')));

  // What the engine saved
  const s = d.saving;
  const hours = (m) => (m < 60 ? `${number(Math.round(m))} minutter` : `${number(Math.round(m / 6) / 10)} timer`);
  el.append(h('section', { class: 'card saving', 'aria-labelledby': 'saving-h' },
    h('h2', { id: 'saving-h' }, 'Spart arbeid'),
    h('p', {}, `${number(s.enrolments_done)} innskrivinger er fullført. For hånd tar hver om lag ${number(s.manual_minutes_per_enrolment)} minutter: `,
      h('strong', {}, hours(s.manual_minutes)), '. Skolesekretærene har brukt ',
      h('strong', {}, hours(s.app_minutes)), ' i appen. Spart: ',
      h('strong', {}, hours(s.saved_minutes)), ', om lag ',
      h('strong', {}, `${number(Math.round(s.saved_cost))} kr`), ` (med ${number(s.hourly_cost)} kr timen).`)));

  // Progress: the share finished, and finished cases over time (cumulative, per hour).
  const done = t.completed || 0;
  const share = all ? Math.round((100 * done) / all) : 0;
  const section = h('section', { class: 'card', 'aria-labelledby': 'prog-h' }, h('h2', { id: 'prog-h' }, 'Framdrift'),
    h('div', { class: 'progress', role: 'progressbar', 'aria-valuenow': share, 'aria-valuemin': 0, 'aria-valuemax': 100,
      'aria-label': 'Andel fullførte saker' }, h('span', { class: 'bar', 'data-share': share })),
    h('p', {}, `${share} % av sakene er fullført.`));
  if (d.progress.length) section.append(progressChart(d.progress));
  el.append(section);

  // By school
  const phases = new Set();
  for (const sc of Object.values(d.by_school)) for (const p of Object.keys(sc.phases)) phases.add(p);
  const cols = [...phases].sort((a, b) => (MAIN_PHASES.indexOf(a) + 10) % 14 - (MAIN_PHASES.indexOf(b) + 10) % 14);
  el.append(h('section', { class: 'card wide', 'aria-labelledby': 'schools-h' }, h('h2', { id: 'schools-h' }, 'Saker per skole'),
    h('div', { class: 'scroll' }, h('table', { class: 'matrix' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Skole'), cols.map((p) => h('th', { scope: 'col' }, phaseName(p))))),
      h('tbody', {}, Object.entries(d.by_school).filter(([, sc]) => Object.keys(sc.phases).length).map(([id, sc]) =>
        h('tr', {}, h('th', { scope: 'row' }, h('a', { href: `#/innboks?school=${encodeURIComponent(id)}&phase=` }, sc.name)),
          cols.map((p) => h('td', { class: 'num' }, sc.phases[p] ? number(sc.phases[p]) : '')))))))));
  // Fill the progress bar width from data (no inline style in the markup: CSP).
  for (const bar of el.querySelectorAll('.bar')) bar.style.width = bar.dataset.share + '%';
}

// Finished cases over time: a cumulative line over the hours with any.
function progressChart(points) {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 900, H = 180, L = 50, B = 30;
  let sum = 0;
  const series = points.map((p) => ({ hour: p.hour, total: (sum += p.completed + p.closed) }));
  const max = Math.max(1, sum);
  const x = (i) => L + (series.length === 1 ? (W - L) / 2 : (i * (W - L - 10)) / (series.length - 1));
  const y = (v) => H - B - (v / max) * (H - B - 10);
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  const title = document.createElementNS(NS, 'title');
  title.textContent = `Ferdige saker over tid: ${number(sum)} i alt`;
  svg.append(title);
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  el('line', { x1: L, y1: H - B, x2: W, y2: H - B, class: 'axis' });
  el('line', { x1: L, y1: 10, x2: L, y2: H - B, class: 'axis' });
  el('text', { x: L - 6, y: y(max) + 4, 'text-anchor': 'end', class: 'tick' }, number(max));
  el('text', { x: L - 6, y: H - B + 4, 'text-anchor': 'end', class: 'tick' }, '0');
  // A bar per hour (finished in that hour) under the cumulative line.
  const step = series.length > 1 ? (W - L - 10) / (series.length - 1) : (W - L) / 4;
  const bw = Math.max(2, Math.min(40, step * 0.6));
  points.forEach((p, i) => {
    const n = p.completed + p.closed;
    el('rect', { x: x(i) - bw / 2, y: y(n), width: bw, height: H - B - y(n), class: 'hourbar' });
  });
  el('polyline', { points: series.map((p, i) => `${x(i)},${y(p.total)}`).join(' '), class: 'line' });
  series.forEach((p, i) => el('circle', { cx: x(i), cy: y(p.total), r: 3, class: 'dot' }));
  const label = (p) => new Date(p.hour + ':00:00Z').toLocaleString('nb-NO', { timeZone: 'Europe/Oslo', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
  el('text', { x: x(0), y: H - 8, 'text-anchor': 'start', class: 'tick' }, label(series[0]));
  if (series.length > 1) el('text', { x: x(series.length - 1), y: H - 8, 'text-anchor': 'end', class: 'tick' }, label(series[series.length - 1]));
  return h('figure', { class: 'chart' }, svg, h('figcaption', { class: 'muted' }, 'Ferdige saker (fullført eller avsluttet) over tid, per time.'));
}

export async function incidentsPage(el) {
  const r = await api('GET', '/api/v1/incidents');
  el.append(h('h1', {}, 'Hendelser'));
  el.append(h('p', { class: 'muted' }, 'Steg som feilet i en integrasjon (digital post, elevsystemet, arkivet) og venter på oppvekstkontoret. ' +
    '«Prøv igjen» sender steget på nytt; «Hopp over» regner steget som gjort uten systemet (med begrunnelse).'));
  if (r.incidents.length === 0) {
    el.append(h('p', { class: 'empty' }, 'Ingen åpne hendelser.'));
    return;
  }
  const selected = new Set();
  const retry = h('button', { type: 'button', id: 'retry-selected', disabled: true }, 'Prøv igjen (0)');
  const skip = h('button', { type: 'button', class: 'secondary', id: 'skip-selected', disabled: true }, 'Hopp over (0)');
  const refresh = () => {
    retry.textContent = `Prøv igjen (${selected.size})`;
    skip.textContent = `Hopp over (${selected.size})`;
    retry.disabled = skip.disabled = selected.size === 0;
  };
  const act = async (action) => {
    const ids = [...selected];
    let reason = '';
    if (action === 'skip') {
      const v = await ask({ title: `Hoppe over ${ids.length} steg?`, ok: 'Hopp over',
        fields: [{ name: 'reason', label: 'Begrunnelse', type: 'text', required: true }] });
      if (!v) return;
      reason = v.reason || '';
    }
    try {
      const res = await api('POST', `/api/v1/incidents/${action}`, { ids, reason, request_id: requestId() });
      say(action === 'retry' ? `${res.retried} sendt på nytt.` : `${res.skipped} hoppet over.`, 'ok');
    } catch (e) {
      say(e.message, 'error');
    }
    go('#/hendelser');
  };
  retry.addEventListener('click', () => act('retry'));
  skip.addEventListener('click', () => act('skip'));
  const allBox = h('input', { type: 'checkbox', id: 'select-all-incidents', 'aria-label': 'Velg alle' });
  const boxes = [];
  allBox.addEventListener('change', () => { for (const b of boxes) { b.checked = allBox.checked; b.dispatchEvent(new Event('change')); } });
  el.append(h('div', { class: 'toolbar' }, h('p', { class: 'count' }, `${r.incidents.length} åpne`), h('div', { class: 'buttons' }, retry, skip)));
  el.append(h('table', { class: 'cases' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'check' }, allBox), h('th', { scope: 'col' }, 'Sak'),
      h('th', { scope: 'col' }, 'Skole'), h('th', { scope: 'col' }, 'Steg'), h('th', { scope: 'col' }, 'Feil'),
      h('th', { scope: 'col' }, 'Når'))),
    h('tbody', {}, r.incidents.map((i) => {
      const box = h('input', { type: 'checkbox', 'aria-label': `Velg hendelse ${i.id} (${i.case_key})`, 'data-id': i.id });
      box.addEventListener('change', () => { if (box.checked) selected.add(i.id); else selected.delete(i.id); refresh(); });
      boxes.push(box);
      return h('tr', {}, h('td', { class: 'check' }, box), h('td', {}, h('a', { href: `#/sak/${i.case_id}` }, i.case_key)),
        h('td', {}, schoolName(i.school)), h('td', {}, i.job_type || i.kind), h('td', { class: 'error-text' }, i.error),
        h('td', {}, dateTime(i.created_at)));
    }))));
}

// The workflow as a diagram: each state a box with its number of cases,
// laid out in columns by distance from the start, with the transitions.
export async function workflowPage(el) {
  const w = await api('GET', '/api/v1/workflow');
  el.append(h('h1', {}, 'Arbeidsflyten', h('span', { class: 'sub' }, ` · ${w.name} (versjon ${w.version})`)));
  const byId = new Map(w.states.map((s) => [s.id, s]));
  const kids = (id) => w.states.filter((s) => s.parent === id);
  // Entering a compound state enters its first child; a parallel one, each region.
  const entry = (id) => {
    const s = byId.get(id);
    if (!s) return [];
    if (s.kind === 'atomic' || s.kind === 'final') return [id];
    if (s.kind === 'parallel') return kids(id).flatMap((k) => entry(k.id));
    const first = kids(id)[0];
    return first ? entry(first.id) : [];
  };
  // Leaving a parallel state when it is done: from its regions' final states.
  const finals = (id) => kids(id).flatMap((k) => (k.kind === 'final' ? [k.id] : finals(k.id)));
  const states = w.states.filter((s) => s.kind === 'atomic' || s.kind === 'final');
  const out = new Map();
  for (const t of w.transitions) {
    const from = byId.get(t.from);
    if (!from) continue;
    const sources = from.kind === 'parallel' ? finals(t.from) : from.kind === 'compound' ? [] : [t.from];
    for (const a of sources) {
      for (const b of entry(t.to)) {
        if (a === b) continue;
        if (!out.has(a)) out.set(a, new Set());
        out.get(a).add(b);
      }
    }
  }
  // Columns by breadth-first distance from the first state.
  const col = new Map();
  const start = states[0] ? states[0].id : null;  // the first state in the document (screening)
  const queue = start ? [start] : [];
  if (start) col.set(start, 0);
  while (queue.length) {
    const s = queue.shift();
    for (const n of out.get(s) || []) if (!col.has(n)) { col.set(n, col.get(s) + 1); queue.push(n); }
  }
  let maxCol = 0;
  for (const s of states) { if (!col.has(s.id)) col.set(s.id, 0); maxCol = Math.max(maxCol, col.get(s.id)); }
  const rows = new Map();
  const pos = new Map();
  for (const s of states) {
    const c = col.get(s.id);
    const r = rows.get(c) || 0;
    rows.set(c, r + 1);
    pos.set(s.id, { x: 20 + c * 190, y: 20 + r * 70 });
  }
  const width = 40 + (maxCol + 1) * 190;
  const height = 40 + Math.max(...rows.values()) * 70;
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-labelledby', 'wf-title');
  svg.setAttribute('class', 'workflow');
  const title = document.createElementNS(NS, 'title');
  title.id = 'wf-title';
  title.textContent = 'Tilstandene i arbeidsflyten med antall saker i hver';
  svg.append(title);
  const marker = document.createElementNS(NS, 'defs');
  marker.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker>';
  svg.append(marker);
  for (const [from, tos] of out) {
    for (const to of tos) {
      const a = pos.get(from), b = pos.get(to);
      const line = document.createElementNS(NS, 'path');
      const x1 = a.x + 150, y1 = a.y + 22, x2 = b.x, y2 = b.y + 22;
      const back = x2 <= a.x;
      const d = back ? `M ${a.x + 75} ${a.y + 44} C ${a.x + 75} ${a.y + 90}, ${b.x + 75} ${b.y + 90}, ${b.x + 75} ${b.y + 44}`
        : `M ${x1} ${y1} C ${x1 + 30} ${y1}, ${x2 - 30} ${y2}, ${x2} ${y2}`;
      line.setAttribute('d', d);
      line.setAttribute('class', back ? 'edge back' : 'edge');
      line.setAttribute('marker-end', 'url(#arrow)');
      svg.append(line);
    }
  }
  for (const s of states) {
    const p = pos.get(s.id);
    const g = document.createElementNS(NS, 'g');
    g.setAttribute('class', 'node ' + s.kind + (s.cases ? ' busy' : ''));
    const rect = document.createElementNS(NS, 'rect');
    for (const [k, v] of Object.entries({ x: p.x, y: p.y, width: 150, height: 44, rx: 8 })) rect.setAttribute(k, v);
    const name = document.createElementNS(NS, 'text');
    name.setAttribute('x', p.x + 75); name.setAttribute('y', p.y + 18); name.setAttribute('text-anchor', 'middle');
    name.textContent = phaseName(s.id);
    const count = document.createElementNS(NS, 'text');
    count.setAttribute('x', p.x + 75); count.setAttribute('y', p.y + 36); count.setAttribute('text-anchor', 'middle');
    count.setAttribute('class', 'count');
    count.textContent = `${number(s.cases)} saker`;
    g.append(rect, name, count);
    svg.append(g);
  }
  el.append(h('div', { class: 'card wide scroll' }, svg));
  el.append(h('section', { class: 'card', 'aria-labelledby': 'wf-list' }, h('h2', { id: 'wf-list' }, 'Som liste'),
    h('table', { class: 'matrix' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Tilstand'), h('th', { scope: 'col' }, 'Saker'), h('th', { scope: 'col' }, 'Videre til'))),
      h('tbody', {}, states.map((s) => h('tr', {}, h('th', { scope: 'row' }, phaseName(s.id), s.invokes ? h('span', { class: 'muted' }, ` (${s.invokes})`) : null),
        h('td', { class: 'num' }, number(s.cases)), h('td', {}, [...(out.get(s.id) || [])].map(phaseName).join(', '))))))));
}
