// The page of a file request (/r/<token>): files picked here are hashed and uploaded through the
// request's own calls (/r/<token>/api/...), which run the owner's upload path; the page learns
// nothing of the folder they go to, not even the name each file was given.
import { el } from './dom.js';
import { uploadFile } from './upload.js';

const main = document.getElementById('file-request');
const token = main.dataset.token;
const maxBytes = main.dataset.maxBytes ? Number(main.dataset.maxBytes) : null;
const list = document.getElementById('request-uploads');

/** An error of a request call, with the server's message. */
class RequestError extends Error {}

/** The JSON calls upload.js makes, sent to this request's own routes. */
async function api(method, path, body) {
  const headers = { 'X-Syncd-Request': '1' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/r/${encodeURIComponent(token)}/api${path}`, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).message || message; } catch { /* not JSON */ }
    throw new RequestError(message);
  }
  return response.status === 204 ? null : response.json();
}

async function send(file) {
  const bar = el('progress', { max: 1, value: 0 });
  const status = el('span', { class: 'upload-status', text: 'waiting' });
  const row = el('li', { class: 'upload', 'data-name': file.name }, el('span', { class: 'upload-name', text: file.name }), bar, status);
  list.append(row);
  if (maxBytes !== null && file.size > maxBytes) {
    row.dataset.state = 'failed';
    status.textContent = 'too large for this request';
    return;
  }
  const report = ({ phase, fraction }) => {
    if (phase === 'uploading') bar.value = fraction;
    status.textContent = phase === 'checking' ? `checking ${Math.round(fraction * 100)}%` : phase === 'uploading' ? `${Math.round(fraction * 100)}%` : phase;
  };
  try {
    await uploadFile({ api, file, path: file.name, report });
    bar.value = 1;
    status.textContent = 'sent';
    row.dataset.state = 'done';
  } catch (error) {
    row.dataset.state = 'failed';
    status.textContent = `failed: ${error.message}`;
  }
}

document.getElementById('request-files').addEventListener('change', async (event) => {
  const files = Array.from(event.target.files);
  event.target.value = '';
  for (const file of files) await send(file);
});
