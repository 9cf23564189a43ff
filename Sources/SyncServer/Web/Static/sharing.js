// Share links (create with an optional password, copy, list with expiry, views and downloads,
// a link's activity, revoke) and devices (list, revoke).
import { api, attempt, notify } from './api.js';
import { el, fill, humanDate, baseName, modal } from './dom.js';

const DAY = 86400;
const EXPIRIES = [
  { label: '1 day', seconds: DAY }, { label: '7 days', seconds: 7 * DAY }, { label: '30 days', seconds: 30 * DAY }, { label: 'Never', seconds: 0 },
];

/** The expiry choices this server allows (links live at most `maxSeconds`, when set). */
function expiryChoices(maxSeconds) {
  if (!maxSeconds) return EXPIRIES;
  const allowed = EXPIRIES.filter((choice) => choice.seconds > 0 && choice.seconds <= maxSeconds);
  return allowed.length ? allowed : [{ label: `${Math.floor(maxSeconds / 3600)} hours`, seconds: maxSeconds }];
}

function expiryText(share) {
  if (share.revoked) return 'revoked';
  if (!share.expiresAt) return 'never expires';
  return share.expiresAt * 1000 < Date.now() ? `expired ${humanDate(share.expiresAt)}` : `expires ${humanDate(share.expiresAt)}`;
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (an insecure origin): the link is selected for Ctrl+C instead.
    button.closest('.share-link')?.querySelector('input')?.select();
  }
  button.textContent = 'Copied';
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

const EVENT_TEXT = { view: 'Page viewed', download: 'Downloaded', wrong_password: 'Wrong password given', upload: 'File received' };

/** A link's counts: a file request's uploads, a link's downloads. */
function counts(share) {
  return `${plural(share.views, 'view')} · ${share.request ? plural(share.uploads, 'file') + ' received' : plural(share.downloads, 'download')}`;
}

/** The visits of one link, newest first. */
async function showActivity(listed) {
  // The counts as they are now, not as the list was loaded.
  const [events, shares] = await Promise.all([api('GET', `/shares/${encodeURIComponent(listed.id)}/events?limit=100`), api('GET', '/shares')]);
  const share = shares.find((candidate) => candidate.id === listed.id) || listed;
  const rows = events.map((event) => el('li', { class: `share-event ${event.kind}` },
    el('span', { text: EVENT_TEXT[event.kind] || event.kind }), ' ', el('span', { class: 'muted', text: humanDate(event.at) })));
  await modal({
    title: `Activity of the link to ${baseName(share.path)}`, id: 'share-activity',
    content: [el('p', { class: 'muted', id: 'share-counts', text: counts(share) }),
      rows.length ? el('ul', { class: 'share-events', id: 'share-events' }, rows) : el('p', { class: 'muted', text: 'Nobody has opened this link yet.' })],
  });
}

function linkRow(share, onRevoked) {
  const input = el('input', { type: 'text', readonly: true, class: 'link-url', 'aria-label': 'Link' });
  input.value = share.url;
  const copyButton = el('button', { type: 'button', class: 'small', 'data-action': 'copy', text: 'Copy' });
  copyButton.addEventListener('click', () => copy(share.url, copyButton));
  return el('li', { class: 'share-link', 'data-share': share.id }, input, copyButton,
    share.request ? el('span', { class: 'share-request', text: `File request: ${share.request.title}` }) : null,
    el('span', { class: 'muted share-meta', text: `${share.hasPassword ? 'password · ' : ''}${expiryText(share)} · ${counts(share)}` }),
    el('button', { type: 'button', class: 'small', 'data-action': 'activity', text: 'Activity', onclick: () => attempt(() => showActivity(share)) }),
    share.revoked ? null : el('button', { type: 'button', class: 'small danger', 'data-action': 'revoke', text: 'Revoke', onclick: () => attempt(async () => {
      await api('DELETE', `/shares/${encodeURIComponent(share.id)}`);
      notify('The link is revoked: it no longer opens');
      await onRevoked();
    }) }),
    // Revoked and expired links stay listed, with their counts, until removed.
    share.revoked || (share.expiresAt && share.expiresAt * 1000 < Date.now())
      ? el('button', { type: 'button', class: 'small', 'data-action': 'remove', text: 'Remove', onclick: () => attempt(async () => {
        await api('DELETE', `/shares/${encodeURIComponent(share.id)}?remove=true`);
        notify('The link is removed from the list');
        await onRevoked();
      }) })
      : null);
}

/** The share dialog of one file: create a link, copy it, see and revoke the file's links. */
export async function openShareDialog(file, session) {
  const choices = expiryChoices(session?.maxShareSeconds);
  const select = el('select', { name: 'expiry', id: 'share-expiry', 'aria-label': 'Expires' },
    choices.map((choice) => el('option', { value: choice.seconds, text: choice.label, selected: choice.seconds === 7 * DAY })));
  const list = el('ul', { class: 'share-links', id: 'share-links' });
  const refresh = async () => {
    const shares = (await api('GET', '/shares')).filter((share) => share.path === file.path && !share.revoked);
    fill(list, ...shares.map((share) => linkRow(share, refresh)));
    if (!shares.length) list.append(el('li', { class: 'muted', text: file.kind === 'folder' ? 'No links to this folder yet.' : 'No links to this file yet.' }));
  };
  const password = el('input', { type: 'password', id: 'share-password', name: 'password', autocomplete: 'new-password', maxlength: 256,
    placeholder: 'Optional', 'aria-label': 'Password' });
  // A folder can also ask for files: people without an account drop files into it.
  const title = el('input', { type: 'text', id: 'request-title', maxlength: 200, placeholder: 'e.g. Slides for Friday', 'aria-label': 'What you ask for' });
  const maxMB = el('input', { type: 'number', id: 'request-max-mb', min: 1, placeholder: 'No limit', 'aria-label': 'Largest file (MB)' });
  const make = (request) => attempt(async () => {
    const body = { path: file.path, expiresInSeconds: Number(select.value) };
    if (password.value) body.password = password.value;
    if (request) {
      body.request = { title: title.value.trim() || 'Send files' };
      if (maxMB.value) body.request.maxFileBytes = Math.round(Number(maxMB.value) * 1e6);
    }
    await api('POST', '/shares', body);
    password.value = '';
    await refresh();
  });
  const create = el('button', { type: 'button', class: 'primary', 'data-action': 'create-link', text: 'Create link', onclick: () => make(false) });
  const requestFiles = file.kind === 'folder'
    ? el('div', { class: 'share-create request-create' }, el('label', { for: 'request-title', text: 'Or ask for files' }), title,
      el('label', { for: 'request-max-mb', text: 'Largest file (MB)' }), maxMB,
      el('button', { type: 'button', 'data-action': 'create-request', text: 'Create file request', onclick: () => make(true) }))
    : null;
  await refresh();
  await modal({
    title: `Share ${baseName(file.path)}`, id: 'share-dialog',
    content: [el('div', { class: 'share-create' }, el('label', { for: 'share-expiry', text: 'Link expires after' }), select,
      el('label', { for: 'share-password', text: 'Password' }), password, create), requestFiles, list],
  });
}

/** Every link of the user, with its file, expiry and views. */
export async function renderShares(view) {
  const shares = await api('GET', '/shares');
  const again = () => renderShares(view);
  const rows = shares.sort((a, b) => b.createdAt - a.createdAt).map((share) => el('tr', { class: 'item', 'data-path': share.path, 'data-share': share.id },
    el('td', { class: 'name', text: share.path }),
    el('td', {}, el('ul', { class: 'share-links' }, linkRow(share, again))), el('td', { text: humanDate(share.createdAt) })));
  fill(view, el('h2', { text: 'Shared links' }), rows.length
    ? el('table', { class: 'files' }, el('thead', {}, el('tr', {}, el('th', { text: 'File' }), el('th', { text: 'Link' }), el('th', { text: 'Created' }))),
      el('tbody', {}, rows))
    : el('p', { class: 'empty muted', text: 'No links yet: share a file from its row.' }));
}

/** The devices signed in to this account, with revoke; how to connect another. */
export async function renderDevices(view) {
  const devices = await api('GET', '/devices');
  const rows = devices.map((device) => el('tr', { class: 'item', 'data-device': device.id },
    el('td', { class: 'name' }, el('div', { text: device.name }),
      // Selective sync: what the device said it keeps off its disk.
      device.excludedFolders && device.excludedFolders.length
        ? el('div', { class: 'muted excluded', text: `Not synced here: ${device.excludedFolders.join(', ')}` }) : null),
    el('td', { text: humanDate(device.createdAt) }),
    el('td', { text: device.lastSeenAt ? humanDate(device.lastSeenAt) : 'never' }),
    el('td', {}, device.revoked ? el('span', { class: 'muted', text: 'revoked' })
      : el('button', { class: 'small danger', 'data-action': 'revoke', text: 'Revoke', onclick: () => attempt(async () => {
        const confirmed = await modal({
          title: `Revoke ${device.name}?`, id: 'revoke-dialog', content: [el('p', { text: 'It stops syncing at once and must sign in again.' })],
          buttons: [{ label: 'Cancel', value: false }, { label: 'Revoke', primary: true, action: 'ok', value: true }],
        });
        if (!confirmed) return;
        await api('DELETE', `/devices/${encodeURIComponent(device.id)}`);
        await renderDevices(view);
      }) }))));
  const command = `syncd login --server ${window.location.origin}`;
  fill(view, el('h2', { text: 'Devices' }),
    el('p', {}, 'To connect a computer, run ', el('code', { text: command }), ' on it and approve its code on the ',
      el('a', { href: '/device', text: 'device page' }), '.'),
    rows.length ? el('table', { class: 'files' }, el('thead', {}, el('tr', {}, el('th', { text: 'Name' }), el('th', { text: 'Connected' }),
      el('th', { text: 'Last seen' }), el('th', {}))), el('tbody', {}, rows)) : el('p', { class: 'empty muted', text: 'No devices yet.' }));
}
