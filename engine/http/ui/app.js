// The web app: who is signed in, the menu, and which page the address
// (#/...) shows.
import { api, setCsrf, ApiError } from './api.js';
import { h, clear, say } from './dom.js';
import { loginPage } from './login.js';
import { inboxPage } from './inbox.js';
import { casePage } from './case.js';
import { officePage, incidentsPage, workflowPage } from './office.js';
import { auditPage } from './audit.js';
import { intakePage } from './intake.js';

export const app = { user: null, schools: [] };

const main = () => document.getElementById('main');

// The menu is built once per signed-in user (so keyboard focus in it
// survives a page change); each page change only marks the current link.
let menuFor = null;
function menu() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  const here = location.hash.split('?')[0];
  if (menuFor !== app.user) {
    menuFor = app.user;
    clear(nav);
    clear(who);
    if (!app.user) return;
    const links = [];
    if (app.user.role !== 'auditor') links.push(['#/innboks', 'Saker']);
    if (app.user.role === 'admin') links.push(['#/kontoret', 'Oversikt'], ['#/hendelser', 'Hendelser'], ['#/innlesing', 'Innlesing'], ['#/arbeidsflyt', 'Arbeidsflyt']);
    if (app.user.role !== 'secretary') links.push(['#/logg', 'Revisjonslogg']);
    nav.append(h('ul', {}, links.map(([href, text]) => h('li', {}, h('a', { href }, text)))));
    const roles = { admin: 'Oppvekstkontoret', secretary: 'Skolesekretær', auditor: 'Revisor' };
    who.append(h('span', {}, `${app.user.name} · ${roles[app.user.role] || app.user.role}`),
      h('button', { type: 'button', class: 'secondary small', onclick: signOut }, 'Logg ut'));
  }
  for (const a of nav.querySelectorAll('a')) {
    if (here.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function signOut() {
  try { await api('DELETE', '/api/v1/session'); } catch (e) { /* signed out anyway */ }
  app.user = null;
  setCsrf('');
  location.hash = '#/logg-inn';
  route();
}

export async function signedIn(user) {
  app.user = user;
  setCsrf(user.csrf);
  if (user.municipality) document.getElementById('municipality').textContent = user.municipality + ' · Skoleinnskriving';
  const s = await api('GET', '/api/v1/schools');
  app.schools = s.schools;
  const home = user.role === 'admin' ? '#/kontoret' : user.role === 'auditor' ? '#/logg' : '#/innboks';
  if (!location.hash || location.hash === '#/logg-inn') location.hash = home;  // hashchange routes
  else route();
}

export function schoolName(id) {
  const s = app.schools.find((x) => x.id === id);
  return s ? s.name : id || '–';
}

// Each page renders into a fresh element that replaces the old one only if
// no newer navigation started meanwhile (two quick ones never mix).
let generation = 0;

async function route() {
  const mine = ++generation;
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query || '');
  const el = h('div', { class: 'page' });
  menu();
  const show = () => {
    if (mine !== generation) return false;
    clear(main()).append(el);
    return true;
  };
  if (!app.user) {
    show();
    loginPage(el);
    return;
  }
  try {
    const m = path.match(/^\/sak\/(\d+)$/);
    if (m) await casePage(el, Number(m[1]));
    else if (path === '/kontoret' && app.user.role === 'admin') await officePage(el);
    else if (path === '/hendelser' && app.user.role === 'admin') await incidentsPage(el);
    else if (path === '/arbeidsflyt' && app.user.role === 'admin') await workflowPage(el);
    else if (path === '/innlesing' && app.user.role === 'admin') await intakePage(el);
    else if (path === '/logg' && app.user.role !== 'secretary') await auditPage(el, params);
    else if (app.user.role === 'auditor') await auditPage(el, params);
    else await inboxPage(el, params);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      app.user = null;
      say('Økten er utløpt. Logg inn på nytt.', 'error');
      if (mine === generation) route();
      return;
    }
    clear(el).append(h('h1', {}, 'Noe gikk galt'), h('p', { class: 'error' }, e.message));
  }
  if (!show()) return;
  if (document.activeElement === document.body) main().focus({ preventScroll: true });
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

window.addEventListener('hashchange', route);

(async () => {
  try {
    const me = await api('GET', '/api/v1/session');
    await signedIn(me);  // routes
  } catch (e) {
    app.user = null;
    route();
  }
})();
