// The API client: JSON in and out, the session's CSRF token on every change,
// and errors as exceptions with the server's message.

let csrf = '';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function setCsrf(token) { csrf = token || ''; }
export function getCsrf() { return csrf; }

// A busy server (503 with Retry-After: the database was held by an import)
// is waited out: the same request is sent again, up to about half a minute.
// Every change carries its request id, so a repeat is applied once.
export async function api(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await once(method, path, body);
    } catch (e) {
      const wait = e.retryAfter;
      if (!(e instanceof ApiError) || e.status !== 503 || !wait || attempt >= 12) throw e;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 5) * 1000));
    }
  }
}

async function once(method, path, body) {
  const headers = { 'accept': 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  let res;
  try {
    res = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'Fikk ikke kontakt med serveren. Sjekk nettet og prøv igjen.');
  }
  const type = res.headers.get('content-type') || '';
  const data = type.startsWith('application/json') ? await res.json() : null;
  if (!res.ok) {
    const err = data && data.error ? data.error : { code: 'http', message: 'HTTP ' + res.status };
    const e = new ApiError(res.status, err.code, err.message);
    e.retryAfter = Number(res.headers.get('retry-after')) || 0;
    throw e;
  }
  return data;
}

// One id per click: a retry of the same action sends the same id, so the
// server applies it once.
export function requestId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
