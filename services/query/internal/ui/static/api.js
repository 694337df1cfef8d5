// api.js: the /api/v1 client. The token lives in sessionStorage and is sent
// as a bearer token; a 401 sends the user back to the login page.
const KEY = 'cem.token';

export const token = {
  get: () => sessionStorage.getItem(KEY) || '',
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function url(path, params) {
  const u = new URL('/api/v1' + path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== '' && v != null) u.searchParams.set(k, v);
  }
  return u;
}

// request calls the API and returns the Response; it throws ApiError for
// non-2xx answers with the API's error message.
export async function request(path, { method = 'GET', body, params, auth, retries = 2 } = {}) {
  const headers = { Authorization: 'Bearer ' + (auth || token.get()), Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url(path, params), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', 'The query service cannot be reached (' + e.message + ').');
  }
  if (res.ok) return res;
  if (res.status === 429 && retries > 0) {
    // The token runs its limit of heavy analyses at once: wait as told, then retry.
    const wait = Math.min(Number(res.headers.get('Retry-After')) || 1, 10);
    await new Promise((r) => setTimeout(r, wait * 1000));
    return request(path, { method, body, params, auth, retries: retries - 1 });
  }
  let code = 'http_' + res.status;
  let message = res.statusText || 'request failed';
  try {
    const j = await res.json();
    if (j && j.error) {
      code = j.error.code || code;
      message = j.error.message || message;
    }
  } catch (_) { /* not JSON */ }
  if (res.status === 401 && !auth) {
    token.clear();
    location.hash = '#/login?expired=1';
    message = 'Your token was not accepted; log in again.';
  }
  if (res.status === 504) message = 'The query took too long: ' + message;
  throw new ApiError(res.status, code, message);
}

export async function get(path, params) { return (await request(path, { params })).json(); }
export async function post(path, body) { return (await request(path, { method: 'POST', body })).json(); }
