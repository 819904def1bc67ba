// The audit log, newest first (education office and auditor).
import { api } from './api.js';
import { h, dateTime } from './dom.js';

const KINDS = { event: 'Hendelse', transition: 'Overgang', effect: 'Utført', action: 'Handling', migrate: 'Ny versjon', view: 'Innsyn', access: 'Pålogging' };

export async function auditPage(el, params) {
  const before = params.get('before') || '';
  const r = await api('GET', '/api/v1/audit' + (before ? '?before=' + encodeURIComponent(before) : ''));
  el.append(h('h1', {}, 'Revisjonslogg'));
  el.append(h('p', { class: 'muted' }, 'Alt som er gjort i sakene, og hvem som har sett personopplysninger. Loggen er kjedet med HMAC og kan kontrolleres med «enrol audit verify».'));
  el.append(h('table', { class: 'cases audit' },
    h('thead', {}, h('tr', {}, ['Nr.', 'Tid', 'Sak', 'Hvem', 'Hva', 'Detaljer'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, r.audit.map((a) => h('tr', {}, h('td', { class: 'num' }, a.seq), h('td', {}, dateTime(a.at)),
      h('td', {}, a.case_key || '–'), h('td', {}, a.actor.replace(/^person:/, '')), h('td', {}, KINDS[a.kind] || a.kind),
      h('td', {}, a.detail))))));
  if (r.audit.length === 100) {
    const last = r.audit[r.audit.length - 1].seq;
    el.append(h('nav', { class: 'pager', 'aria-label': 'Sider' }, h('a', { href: `#/logg?before=${last}`, class: 'button secondary' }, 'Eldre →')));
  }
}
