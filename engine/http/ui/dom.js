// Small DOM helpers. Text from the server only ever goes in as text nodes
// (never as HTML), so a name or a reason cannot become markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

const statusEl = () => document.getElementById('status');

export function say(message, kind = 'info') {
  const el = statusEl();
  el.className = 'status ' + kind;
  el.textContent = message;
  if (kind !== 'error') setTimeout(() => { if (el.textContent === message) { el.textContent = ''; el.className = 'status'; } }, 6000);
}

// What the phases (workflow states) are called on screen.
const PHASES = {
  screening: 'Kontrolleres',
  drafting: 'Brev lages',
  awaiting_approval: 'Venter på godkjenning',
  manual_handling: 'Manuell behandling',
  rejected: 'Avvist – venter på retting',
  sending: 'Sendes',
  following: 'Følges opp (digital post)',
  checking: 'Leveringsstatus sjekkes',
  printing: 'Skal skrives ut',
  registering: 'Registreres i elevsystemet',
  archiving: 'Arkiveres',
  archiving_protected: 'Arkiveres (skjermet)',
  registering_protected: 'Registreres (skjermet)',
  sent: 'Sendt',
  registered: 'Registrert',
  archived: 'Arkivert',
  dispatching: 'Sendes, registreres og arkiveres',
  closing: 'Avsluttes',
  unenrolling: 'Meldes ut av elevsystemet',
  completed: 'Fullført',
  closed: 'Avsluttet',
};
export function phaseName(p) {
  if (!p) return '';
  return p.split(' ').map((s) => PHASES[s] || s).join(', ');
}

export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  return d.toLocaleString('nb-NO', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Oslo' });
}

export function date(iso) {
  if (!iso) return '';
  const [y, m, d] = iso.split('-');
  return d && m && y ? `${d}.${m}.${y}` : iso;
}

export function number(n) {
  return new Intl.NumberFormat('nb-NO').format(n);
}

// A modal dialog (the page's one <dialog>): resolves with the form's values,
// or null when cancelled. `fields` are [{name, label, type, required, options}].
export function ask({ title, text, fields = [], ok = 'OK', danger = false }) {
  const dialog = document.getElementById('dialog');
  const body = clear(document.getElementById('dialog-body'));
  document.getElementById('dialog-title').textContent = title;
  const okButton = document.getElementById('dialog-ok');
  okButton.textContent = ok;
  okButton.className = danger ? 'danger' : '';
  if (text) body.append(h('p', {}, text));
  const inputs = {};
  for (const f of fields) {
    const id = 'f-' + f.name;
    let input;
    if (f.type === 'school') {
      input = h('select', { id, name: f.name, required: f.required },
        h('option', { value: '' }, '– velg skole –'),
        (f.options || []).map((o) => h('option', { value: o.value }, o.label)));
    } else if (f.type === 'boolean') {
      input = h('input', { id, name: f.name, type: 'checkbox' });
    } else if (f.type === 'date') {
      input = h('input', { id, name: f.name, type: 'date', required: f.required });
    } else {
      input = h('textarea', { id, name: f.name, rows: 3, maxlength: f.max_length || 1000, required: f.required });
    }
    inputs[f.name] = input;
    body.append(h('div', { class: 'field' },
      h('label', { for: id }, f.label + (f.required ? ' (må fylles ut)' : '')), input));
  }
  return new Promise((resolve) => {
    const form = document.getElementById('dialog-form');
    const cancel = document.getElementById('dialog-cancel');
    const done = (value) => {
      form.onsubmit = null;
      cancel.onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(value);
    };
    form.onsubmit = (e) => {
      e.preventDefault();
      const values = {};
      for (const [name, input] of Object.entries(inputs)) {
        if (input.type === 'checkbox') values[name] = input.checked;
        else if (input.value.trim() !== '') values[name] = input.value.trim();
      }
      done(values);
    };
    cancel.onclick = () => done(null);
    dialog.onclose = () => done(null);
    dialog.showModal();
    const first = body.querySelector('input, select, textarea');
    (first || okButton).focus();
  });
}
