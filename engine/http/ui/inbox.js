// The inbox: a school's cases, by default the letters awaiting approval;
// filter by grade and phase, search by name, approve one, the selected or
// all shown.
import { api, requestId } from './api.js';
import { h, say, ask, phaseName, date, dateTime, number } from './dom.js';
import { app, go, schoolName } from './app.js';

const PAGE = 50;

export async function inboxPage(el, params) {
  const state = {
    school: params.get('school') || '',
    grade: params.get('grade') || '',
    phase: params.has('phase') ? params.get('phase') : (app.user.role === 'secretary' ? 'awaiting_approval' : ''),
    q: params.get('q') || '',
    offset: Number(params.get('offset') || 0),
  };
  const query = new URLSearchParams();
  for (const k of ['school', 'grade', 'phase', 'q']) if (state[k]) query.set(k, state[k]);
  query.set('limit', PAGE);
  query.set('offset', state.offset);
  const page = await api('GET', '/api/v1/cases?' + query);

  const setParam = (changes) => {
    const next = { ...state, offset: 0, ...changes };
    const p = new URLSearchParams();
    for (const k of ['school', 'grade', 'phase', 'q']) if (next[k] !== '' && next[k] !== undefined) p.set(k, next[k]);
    if (next.phase === '') p.set('phase', '');
    if (next.offset) p.set('offset', next.offset);
    go('#/innboks?' + p);
  };

  const mySchools = app.user.role === 'secretary' ? app.user.schools : app.schools.map((s) => s.id);
  const title = state.phase === 'awaiting_approval' ? 'Vedtaksbrev til godkjenning' : 'Saker';
  const where = app.user.role === 'secretary' && mySchools.length === 1 ? schoolName(mySchools[0]) : 'Alle skoler';
  el.append(h('h1', {}, title, h('span', { class: 'sub' }, ' · ', state.school ? schoolName(state.school) : where)));

  // Filters
  const phaseSelect = h('select', { id: 'filter-phase', onchange: (e) => setParam({ phase: e.target.value }) },
    h('option', { value: '' }, 'Alle'),
    Object.entries(page.by_phase).map(([p, n]) =>
      h('option', { value: p, selected: p === state.phase }, `${phaseName(p)} (${number(n)})`)));
  if (state.phase && !(state.phase in page.by_phase)) {
    phaseSelect.append(h('option', { value: state.phase, selected: true }, `${phaseName(state.phase)} (0)`));
  }
  const gradeSelect = h('select', { id: 'filter-grade', onchange: (e) => setParam({ grade: e.target.value }) },
    h('option', { value: '' }, 'Alle trinn'),
    [1, 5, 8].map((g) => h('option', { value: g, selected: String(g) === state.grade },
      `${g}. trinn (${number(page.by_grade[g] || 0)})`)));
  const search = h('input', { id: 'filter-q', type: 'search', value: state.q, placeholder: 'Navn på barnet' });
  const searchForm = h('form', { class: 'search', role: 'search', onsubmit: (e) => { e.preventDefault(); setParam({ q: search.value.trim() }); } },
    h('label', { for: 'filter-q' }, 'Søk'), search, h('button', { type: 'submit', class: 'secondary' }, 'Søk'));
  const filters = h('div', { class: 'filters' },
    h('div', { class: 'field inline' }, h('label', { for: 'filter-phase' }, 'Status'), phaseSelect),
    h('div', { class: 'field inline' }, h('label', { for: 'filter-grade' }, 'Trinn'), gradeSelect));
  if (mySchools.length > 1) {
    filters.append(h('div', { class: 'field inline' }, h('label', { for: 'filter-school' }, 'Skole'),
      h('select', { id: 'filter-school', onchange: (e) => setParam({ school: e.target.value }) },
        h('option', { value: '' }, 'Alle mine skoler'),
        mySchools.map((s) => h('option', { value: s, selected: s === state.school }, schoolName(s))))));
  }
  filters.append(searchForm);
  el.append(filters);

  // Bulk approval
  const approvable = state.phase === 'awaiting_approval' && app.user.role !== 'auditor';
  const selected = new Set();
  const selectedButton = h('button', { type: 'button', disabled: true, id: 'approve-selected' }, 'Godkjenn valgte (0)');
  const allButton = h('button', { type: 'button', class: 'secondary', id: 'approve-all', disabled: page.cases.length === 0 },
    `Godkjenn alle viste (${page.cases.length})`);
  const refreshSelected = () => {
    selectedButton.textContent = `Godkjenn valgte (${selected.size})`;
    selectedButton.disabled = selected.size === 0;
  };
  const approve = async (ids, what) => {
    const yes = await ask({ title: 'Godkjenne vedtaksbrev?', ok: `Godkjenn ${ids.length}`,
      text: `Du godkjenner ${what}: ${ids.length} vedtaksbrev. Brevene sendes til foresatte, eleven registreres i elevsystemet og brevet arkiveres.` });
    if (!yes) return;
    const body = { ids, event: 'approve', request_id: requestId() };
    try {
      const r = await api('POST', '/api/v1/cases/events', body);
      say(`${r.applied} godkjent` + (r.repeated ? `, ${r.repeated} var allerede godkjent` : '') +
        (r.refused ? `, ${r.refused} kunne ikke godkjennes` : '') + '.', r.refused ? 'error' : 'ok');
    } catch (e) {
      say(e.message, 'error');
    }
    go(location.hash);
  };
  selectedButton.addEventListener('click', () => approve([...selected], 'de valgte'));
  allButton.addEventListener('click', () => approve(page.cases.map((c) => c.id), 'alle som vises'));

  const summary = h('p', { class: 'count', id: 'inbox-count' },
    `${number(page.total)} ${page.total === 1 ? 'sak' : 'saker'}` +
    (page.total > page.cases.length ? `, viser ${state.offset + 1}–${state.offset + page.cases.length}` : ''));
  el.append(h('div', { class: 'toolbar' }, summary, approvable ? h('div', { class: 'buttons' }, selectedButton, allButton) : null));

  if (page.cases.length === 0) {
    el.append(h('p', { class: 'empty' }, state.phase === 'awaiting_approval'
      ? 'Ingen vedtaksbrev venter på godkjenning.' : 'Ingen saker passer med filteret.'));
    return;
  }
  const allBox = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Velg alle viste' });
  const boxes = [];
  allBox.addEventListener('change', () => {
    for (const b of boxes) { b.checked = allBox.checked; b.dispatchEvent(new Event('change')); }
  });
  const rows = page.cases.map((c) => {
    const box = h('input', { type: 'checkbox', 'aria-label': `Velg ${c.name || c.key}`, 'data-id': c.id });
    box.addEventListener('change', () => { if (box.checked) selected.add(c.id); else selected.delete(c.id); refreshSelected(); });
    boxes.push(box);
    return h('tr', {},
      approvable ? h('td', { class: 'check' }, box) : null,
      h('td', {}, h('a', { href: `#/sak/${c.id}` }, c.name || c.key), c.protected ? h('span', { class: 'tag warn' }, 'Skjermet') : null),
      h('td', {}, date(c.birth_date)),
      h('td', {}, `${c.grade}.`),
      app.user.role !== 'secretary' || mySchools.length > 1 ? h('td', {}, schoolName(c.school)) : null,
      h('td', {}, h('span', { class: 'phase ' + c.phase.replace(/\s.*/, '') }, phaseName(c.phase))),
      h('td', {}, dateTime(c.updated_at)));
  });
  el.append(h('table', { class: 'cases' },
    h('caption', { class: 'visually-hidden' }, title),
    h('thead', {}, h('tr', {},
      approvable ? h('th', { scope: 'col', class: 'check' }, allBox) : null,
      h('th', { scope: 'col' }, 'Navn'), h('th', { scope: 'col' }, 'Født'), h('th', { scope: 'col' }, 'Trinn'),
      app.user.role !== 'secretary' || mySchools.length > 1 ? h('th', { scope: 'col' }, 'Skole') : null,
      h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Sist endret'))),
    h('tbody', {}, rows)));

  if (page.total > PAGE) {
    el.append(h('nav', { class: 'pager', 'aria-label': 'Sider' },
      h('button', { type: 'button', class: 'secondary', disabled: state.offset === 0,
        onclick: () => setParam({ offset: Math.max(0, state.offset - PAGE) }) }, '← Forrige'),
      h('span', {}, `Side ${Math.floor(state.offset / PAGE) + 1} av ${Math.ceil(page.total / PAGE)}`),
      h('button', { type: 'button', class: 'secondary', disabled: state.offset + PAGE >= page.total,
        onclick: () => setParam({ offset: state.offset + PAGE }) }, 'Neste →')));
  }
}
