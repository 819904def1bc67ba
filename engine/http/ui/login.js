import { api } from './api.js';
import { h } from './dom.js';
import { signedIn } from './app.js';

export function loginPage(el) {
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert' });
  const name = h('input', { id: 'login-name', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit' }, 'Logg inn');
  const form = h('form', { class: 'card login', 'aria-describedby': 'login-error' },
    h('h1', {}, 'Logg inn'),
    h('p', { class: 'muted' }, 'For skolesekretærer, oppvekstkontoret og revisor.'),
    h('div', { class: 'field' }, h('label', { for: 'login-name' }, 'Brukernavn'), name),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Passord'), password),
    error, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    button.disabled = true;
    try {
      const me = await api('POST', '/api/v1/session', { name: name.value.trim(), password: password.value });
      password.value = '';
      await signedIn(me);
    } catch (err) {
      error.textContent = err.code === 'wrong_credentials' ? 'Feil brukernavn eller passord.'
        : err.code === 'locked' ? 'For mange feil forsøk. Brukeren er sperret en stund; prøv igjen senere eller be oppvekstkontoret om nytt passord.'
          : err.message;
      password.focus();
    } finally {
      button.disabled = false;
    }
  });
  el.append(form);
  name.focus();
}
