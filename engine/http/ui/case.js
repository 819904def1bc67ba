// One case: the child and the decision, the letter beside it, what the case
// may do next (the workflow's person events this user may send), the
// receipts from the other systems and the history.
import { api, requestId } from './api.js';
import { h, say, ask, phaseName, date, dateTime } from './dom.js';
import { app, go, schoolName } from './app.js';

const SYSTEMS = {
  letters: 'Vedtaksbrev',
  dispatch: 'Digital post',
  post_status: 'Leveringsstatus',
  student_system: 'Elevsystemet',
  archive: 'Arkivet (Noark 5)',
};
const JOB_STATUS = { queued: 'I kø', done: 'Utført', incident: 'Feilet – hos oppvekstkontoret', cancelled: 'Avbrutt' };

const POST_STATUS = { LEVERT_SDP: 'levert i digital postkasse', LEST: 'lest', MOTTATT: 'mottatt av SvarUt',
  AKSEPTERT: 'akseptert', SENDT_PRINT: 'sendt til print', PRINTET: 'skrevet ut', IKKE_LEVERT: 'ikke levert' };

// What a person wants to read in a receipt: the other system's number.
function receiptText(job) {
  const r = job.receipt;
  if (!r || typeof r !== 'object') return '';
  if (r.skipped) return `Hoppet over: ${r.reason || ''}`;
  switch (job.type) {
    case 'letters':
      return `Versjon ${r.letter_version}, ${r.copies} ${r.copies === 1 ? 'eksemplar' : 'eksemplarer'} (${r.template || ''})`;
    case 'dispatch':
      return (r.forsendelser || []).map((f) => `Forsendelse ${f.id} (eksemplar ${f.copy})`).join(', ') || 'Sendt';
    case 'post_status':
      return (r.statuses || []).map((s) => POST_STATUS[s.status] || s.status).join(', ');
    case 'student_system':
      return `Elev ${r.user_sourcedId || ''}${r.status ? ', ' + (r.status === 'active' ? 'aktiv' : r.status) : ''}`;
    case 'archive':
      return `Journalpost ${r.registreringsID || r.journalpostnummer || ''} i sak ${r.mappeID || ''}`;
    default:
      return Object.entries(r).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k}: ${v}`).join(' · ');
  }
}

export async function casePage(el, id) {
  const c = await api('GET', `/api/v1/cases/${id}`);
  const d = c.data || {};
  el.append(h('p', { class: 'back' }, h('a', { href: '#/innboks' }, '← Tilbake til sakene')));
  el.append(h('h1', {}, c.child ? c.child.name : c.key,
    h('span', { class: 'sub' }, ` · ${c.grade}. trinn ${c.school_year}/${c.school_year + 1}`)));
  const layout = h('div', { class: 'case-layout' });
  const left = h('div', { class: 'case-info' });
  const right = h('div', { class: 'case-letter' });
  layout.append(left, right);
  el.append(layout);

  // Where it stands
  const facts = [
    ['Status', h('span', { class: 'phase ' + c.phase.replace(/\s.*/, '') }, phaseName(c.phase))],
    ['Skole', c.school ? schoolName(c.school) : 'Ikke plassert'],
    ['Saksnummer', c.key],
  ];
  if (c.child) {
    facts.push(['Født', date(c.child.birth_date)]);
    if (c.child.address) facts.push(['Adresse', c.child.address]);
    facts.push(['Foresatte', (c.guardians || []).map((g) => g.name).join(', ') || '–']);
  }
  if (c.protected) facts.push(['Adressebeskyttelse', h('span', { class: 'tag warn' }, 'Skjermet – bare oppvekstkontoret')]);
  if (d.manual_reasons) facts.push(['Til manuell behandling fordi', d.manual_reasons.split(',').join(', ')]);
  if (d.last_rejection) facts.push(['Sist avvist', d.last_rejection]);
  if (c.state === 'rejected') {
    facts.push(['Hva nå', 'Brevet ble avvist og lages ikke på nytt slik det var. Saken går videre når folkeregisteret '
      + 'har nye opplysninger, når skolen flytter saken til riktig skole, eller når oppvekstkontoret har avklart den.']);
  }
  if (d.closed_because) facts.push(['Avsluttet fordi', d.closed_because]);
  left.append(h('section', { class: 'card', 'aria-labelledby': 'facts-h' }, h('h2', { id: 'facts-h' }, 'Saken'),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))));

  // What may be done now
  if (c.events && c.events.length) {
    const buttons = c.events.map((e) => h('button', {
      type: 'button', class: e.name === 'approve' ? '' : 'secondary', 'data-event': e.name,
      onclick: (ev) => { const b = ev.currentTarget; b.disabled = true; sendEvent(c, e).finally(() => { b.disabled = false; }); },
    }, e.label));
    left.append(h('section', { class: 'card', 'aria-labelledby': 'act-h' }, h('h2', { id: 'act-h' }, 'Handlinger'),
      h('div', { class: 'buttons' }, buttons)));
  }

  // Receipts
  // The delivery checks: only the last says where the letter is.
  const all = c.jobs || [];
  const lastCheck = all.filter((j) => j.type === 'post_status').pop();
  const jobs = all.filter((j) => j.type !== 'post_status' || j === lastCheck);
  left.append(h('section', { class: 'card', 'aria-labelledby': 'rec-h' }, h('h2', { id: 'rec-h' }, 'Kvitteringer'),
    jobs.length === 0 ? h('p', { class: 'muted' }, 'Ingenting er sendt ennå.')
      : h('table', { class: 'receipts' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'System'), h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Kvittering'))),
        h('tbody', {}, jobs.map((j) => h('tr', {},
          h('td', {}, SYSTEMS[j.type] || j.type),
          h('td', {}, JOB_STATUS[j.status] || j.status, j.attempts > 1 ? ` (${j.attempts} forsøk)` : ''),
          h('td', {}, receiptText(j) || (j.last_error ? `Feil: ${j.last_error}` : '–'))))))));

  // History
  left.append(h('section', { class: 'card', 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h' }, 'Historikk'),
    h('ol', { class: 'history', tabindex: 0, 'aria-label': 'Historikk, nyeste først' }, (c.history || []).slice().reverse().map((e) =>
      h('li', {}, h('time', { datetime: e.at }, dateTime(e.at)), ' ', h('span', { class: 'actor' }, e.actor.replace(/^person:/, '')),
        ' ', e.detail)))));

  // The letter
  const current = (c.letters || []).filter((l) => l.status === 'current');
  if (c.child && current.length) {
    const copies = current.map((l) => l.copy);
    const frame = h('iframe', { src: `/api/v1/cases/${c.id}/letter.pdf?copy=${copies[0]}`, title: 'Vedtaksbrevet (PDF)' });
    right.append(h('section', { class: 'card letter', 'aria-labelledby': 'letter-h' },
      h('h2', { id: 'letter-h' }, 'Vedtaksbrev', h('span', { class: 'sub' }, ` · versjon ${current[0].version}`)),
      copies.length > 1 ? h('p', {}, copies.map((n) => h('a', { href: `/api/v1/cases/${c.id}/letter.pdf?copy=${n}`, target: 'letter' }, `Eksemplar ${n} `))) : null,
      frame,
      h('p', {}, h('a', { href: `/api/v1/cases/${c.id}/letter.pdf?copy=${copies[0]}`, target: '_blank', rel: 'noopener' }, 'Åpne brevet i egen fane'))));
  } else if (c.child) {
    right.append(h('section', { class: 'card letter' }, h('h2', {}, 'Vedtaksbrev'),
      h('p', { class: 'muted' }, 'Brevet er ikke laget ennå.')));
  }
}

async function sendEvent(c, e) {
  const fields = e.fields.map((f) => ({
    ...f,
    options: f.type === 'school'
      ? app.schools.filter((s) => s.first_grade <= c.grade && c.grade <= s.last_grade && s.id !== c.school)
        .map((s) => ({ value: s.id, label: s.name }))
      : undefined,
  }));
  let data = {};
  if (fields.length || e.name !== 'approve') {
    data = await ask({ title: e.label, fields, ok: e.label,
      text: e.name === 'approve' ? '' : `Saken ${c.key}.` });
    if (data === null) return;
  }
  const body = { event: e.name, data, request_id: requestId() };
  // A retry after a network failure sends the same request id: applied once.
  for (let attempt = 0; attempt < 2; ++attempt) {
    try {
      const r = await api('POST', `/api/v1/cases/${c.id}/events`, body);
      say(r.repeat ? 'Dette var allerede gjort.' : `${e.label}: ${phaseName(r.to)}.`, 'ok');
      break;
    } catch (err) {
      if (err.code === 'network' && attempt === 0) continue;
      say(err.message, 'error');
      break;
    }
  }
  go(location.hash);
}
