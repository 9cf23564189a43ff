// The server's JSON API (/api/v1) as the signed-in browser calls it: the session cookie goes
// with every call, and state-changing calls carry the session's CSRF token.

/** Who is signed in (GET /api/v1/session), once known. */
export const session = { current: null };

/** An API error, with the server's message for the person. */
export class APIError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    /** The server's JSON answer (a 409 says what is there now, as `current`). */
    this.body = body;
  }
}

/** Calls the JSON API; state-changing calls carry the session's CSRF token. */
export async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = session.current?.csrfToken || '';
  const response = await fetch(`/api/v1${path}`, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    window.location.assign('/');
    throw new APIError(401, 'signed out');
  }
  if (!response.ok) {
    let message = response.statusText;
    let body = null;
    try {
      body = await response.json();
      message = body.message || message;
    } catch { /* not JSON */ }
    throw new APIError(response.status, message, body);
  }
  return response.status === 204 ? null : response.json();
}

/** Shows a message in the status line (errors stay until the next action). */
export function notify(text, isError = false) {
  const line = document.getElementById('message');
  line.textContent = text;
  line.className = isError ? 'message error' : 'message';
}

/** Runs an action, turning its failure into a message instead of an exception. */
export async function attempt(action) {
  try {
    await action();
  } catch (error) {
    notify(error.message || String(error), true);
  }
}

