// The syncd dashboard: the file browser, uploads, trash, versions, shares and devices, on the
// server's JSON API (/api/v1) with the session cookie and its CSRF token.
import { el, fill, humanSize, humanDate, baseName, icon, modal, askText, confirmAction } from './dom.js';
import { uploadFile } from './upload.js';
import { api, attempt, notify, session } from './api.js';
import { openShareDialog, renderShares, renderDevices } from './sharing.js';

const state = {
  folder: '', query: '', sort: 'name', descending: false,
  // The current folder's (or search's) items loaded so far, in the server's order (folders
  // first, then by name), and the token of the page after them.
  items: [], next: null, cursor: 0, view: 0, loading: null,
};
const main = () => document.getElementById('view');

// MARK: The tree, a page at a time

/** Items per page: the server's pages are at most 1,000. */
const PAGE = 200;

function pageURL(after) {
  const tail = `&limit=${PAGE}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
  return state.query
    ? `/search?q=${encodeURIComponent(state.query)}${tail}`
    : `/folder?path=${encodeURIComponent(state.folder)}${tail}`;
}

/**
 * Loads the current folder (or search) again from its first page, as many pages as were shown
 * (at least one), and shows it. A newer load makes an older one's answer moot.
 */
async function loadView({ keep = 0 } = {}) {
  const view = ++state.view;
  let items = [];
  let next = null;
  let cursor = state.cursor;
  do {
    const page = await api('GET', pageURL(next));
    if (view !== state.view) return;
    items = items.concat(page.items);
    next = page.next ?? null;
    cursor = Math.max(cursor, page.cursor);
  } while (next && items.length < keep);
  Object.assign(state, { items, next, cursor });
  if (needsEverything()) await loadRest();
  if (view === state.view) renderFiles();
}

/** The next page of the current view, appended (at most one request at a time). */
async function loadMore() {
  if (!state.next) return;
  if (state.loading) return state.loading;
  const view = state.view;
  state.loading = (async () => {
    const page = await api('GET', pageURL(state.next));
    if (view !== state.view) return;
    state.items = state.items.concat(page.items);
    state.next = page.next ?? null;
    if (needsEverything()) return;
    const body = document.querySelector('table.files tbody');
    if (body) body.append(...page.items.map(fileRow));
    else renderFiles();
    renderMore();
  })();
  try {
    await state.loading;
  } finally {
    state.loading = null;
  }
}

/** Every page of the current view (sorting by size or date, or backwards, needs them all). */
async function loadRest() {
  const view = state.view;
  while (state.next && view === state.view) await loadMore();
}

/** The server's order is by name, folders first: any other order is sorted here, over all items. */
const needsEverything = () => state.sort !== 'name' || state.descending;

/** After a change: the usage, and the view shown (a folder keeps as many items as it showed). */
async function reload() {
  session.current = await api('GET', '/session');
  renderUsage();
  if ((window.location.hash || '#/files/').startsWith('#/files')) await loadView({ keep: state.items.length });
  else await route();
}

function renderUsage() {
  const { usedBytes, quotaBytes } = session.current;
  document.getElementById('usage').textContent = quotaBytes
    ? `${humanSize(usedBytes || 0)} of ${humanSize(quotaBytes)} used`
    : `${humanSize(usedBytes || 0)} used`;
}

// MARK: The files view

function breadcrumbs() {
  const crumbs = [el('a', { href: '#/files/', text: 'All files' })];
  let path = '';
  for (const part of state.folder ? state.folder.split('/') : []) {
    path = path ? `${path}/${part}` : part;
    crumbs.push(' / ', el('a', { href: `#/files/${encodeURIComponent(path)}`, text: part }));
  }
  return el('nav', { class: 'crumbs', 'aria-label': 'Folder' }, crumbs);
}

function header(label, key) {
  const arrow = state.sort === key ? (state.descending ? ' ↓' : ' ↑') : '';
  return el('th', {}, el('button', { class: 'link', 'data-sort': key, text: label + arrow, onclick: () => {
    state.descending = state.sort === key ? !state.descending : false;
    state.sort = key;
    if (needsEverything() && state.next) {
      attempt(async () => {
        await loadRest();
        renderFiles();
      });
    } else renderFiles();
  } }));
}

function fileRow(item) {
  const name = state.query ? item.path : baseName(item.path);
  const opener = item.kind === 'folder'
    ? el('a', { class: 'name', href: `#/files/${encodeURIComponent(item.path)}`, text: name })
    : el('button', { class: 'link name', text: name, title: 'Preview', onclick: () => attempt(() => preview(item)) });
  const act = (label, action, handler) => el('button', { class: 'small', 'data-action': action, text: label, onclick: () => attempt(handler) });
  const actions = item.kind === 'folder'
    ? [item.implied ? null : act('Share', 'share', () => openShareDialog(item, session.current)),
      item.implied ? null : act('Rename', 'rename', () => rename(item)), item.implied ? null : act('Delete', 'delete', () => trash(item))]
    : [act('Download', 'download', () => download(item)), act('Share', 'share', () => openShareDialog(item, session.current)),
      act('Versions', 'versions', () => versions(item)), act('Rename', 'rename', () => rename(item)), act('Delete', 'delete', () => trash(item))];
  return el('tr', { class: 'item', 'data-path': item.path, 'data-kind': item.kind },
    el('td', { class: 'icon-cell' }, icon(item.category || 'other')),
    el('td', {}, opener),
    el('td', { class: 'size', text: item.kind === 'folder' ? '—' : humanSize(item.size) }),
    el('td', { class: 'date', text: humanDate(item.modifiedAt) }),
    el('td', { class: 'actions' }, actions));
}

function sorted(items) {
  if (!needsEverything()) return items;
  const key = {
    name: (a, b) => baseName(a.path).localeCompare(baseName(b.path), undefined, { numeric: true, sensitivity: 'base' }),
    size: (a, b) => a.size - b.size,
    date: (a, b) => a.modifiedAt - b.modifiedAt,
  }[state.sort];
  return [...items].sort((a, b) => (a.kind === b.kind ? (state.descending ? -key(a, b) : key(a, b)) : a.kind === 'folder' ? -1 : 1));
}

/** More pages load as the end of the list scrolls into view (or on the button). */
const moreObserver = 'IntersectionObserver' in window
  ? new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) attempt(loadMore);
  }, { rootMargin: '400px' })
  : null;

function renderMore() {
  const more = document.getElementById('more');
  if (!more) return;
  more.classList.toggle('hidden', !state.next);
  more.textContent = state.next ? `${state.items.length} shown · more…` : '';
}

function renderFiles() {
  const { items, query } = state;
  const table = el('table', { class: 'files' },
    el('thead', {}, el('tr', {}, el('th', {}), header('Name', 'name'), header('Size', 'size'), header('Modified', 'date'), el('th', {}))),
    el('tbody', {}, sorted(items).map(fileRow)));
  const empty = items.length ? null : el('p', { class: 'empty muted', text: query ? 'Nothing matches.' : 'This folder is empty. Drop files here to upload them.' });
  const more = el('button', { id: 'more', class: 'link more hidden', onclick: () => attempt(loadMore) });
  const picker = el('input', { type: 'file', multiple: true, id: 'file-input', class: 'hidden', onchange: (event) => {
    upload([...event.target.files]);
    event.target.value = '';
  } });
  fill(main(), 
    el('div', { class: 'toolbar' }, query ? el('h2', { text: `Search: ${state.query}` }) : breadcrumbs(),
      el('div', { class: 'toolbar-buttons' },
        el('button', { id: 'new-folder', text: 'New folder', onclick: () => attempt(newFolder) }),
        el('label', { class: 'button primary', for: 'file-input', text: 'Upload' }), picker)),
    table, empty, more);
  renderMore();
  moreObserver?.disconnect();
  moreObserver?.observe(more);
}

async function newFolder() {
  const name = await askText({ title: 'New folder', label: 'Name', okLabel: 'Create', id: 'folder-dialog' });
  if (!name) return;
  await api('POST', '/folders', { path: state.folder ? `${state.folder}/${name}` : name });
  await reload();
}

async function download(file) {
  const answer = await api('GET', `/download?path=${encodeURIComponent(file.path)}`);
  // The URL answers with Content-Disposition: attachment; the page stays where it is.
  const link = el('a', { href: answer.url, download: baseName(file.path), class: 'hidden' });
  document.body.append(link);
  link.click();
  link.remove();
}

async function rename(item) {
  const to = await askText({ title: `Rename or move ${baseName(item.path)}`, label: 'New path (folders separated by /)', value: item.path, id: 'rename-dialog' });
  if (!to || to === item.path) return;
  // A new path may name folders that do not exist yet: they are made first, outermost first.
  // (A path with an empty part is left for the server to refuse, with its reason.)
  const parts = to.split('/').slice(0, -1);
  // (Making a folder that exists answers with it as it is.)
  for (let i = 1; i <= parts.length && !parts.includes(''); i++) await api('POST', '/folders', { path: parts.slice(0, i).join('/') });
  await api('POST', '/move', { from: item.path, to, revision: item.revision });
  notify(`Moved to ${to}`);
  await reload();
}

async function trash(item) {
  const ok = await confirmAction({
    title: `Delete ${baseName(item.path)}?`, message: 'It goes to the trash, where it can be restored.', okLabel: 'Delete', id: 'delete-dialog',
  });
  if (!ok) return;
  await api('POST', '/trash', { path: item.path, revision: item.revision });
  notify(`${baseName(item.path)} is in the trash`);
  await reload();
}

async function versions(file) {
  const list = await api('GET', `/versions?path=${encodeURIComponent(file.path)}`);
  const rows = list.sort((a, b) => b.revision - a.revision).map((version) => el('tr', { 'data-revision': version.revision },
    el('td', { text: `Revision ${version.revision}` }), el('td', { text: humanSize(version.size) }), el('td', { text: humanDate(version.modifiedAt) }),
    el('td', {}, version.revision === file.revision ? el('span', { class: 'muted', text: 'current' })
      : el('button', { class: 'small', 'data-action': 'restore', text: 'Restore', onclick: () => attempt(async () => {
        await api('POST', '/versions/restore', { path: file.path, revision: version.revision, baseRevision: file.revision });
        document.getElementById('versions-dialog')?.close();
        document.getElementById('versions-dialog')?.remove();
        notify(`${baseName(file.path)} is back to revision ${version.revision}`);
        await reload();
      }) }))));
  await modal({ title: `Versions of ${baseName(file.path)}`, id: 'versions-dialog', content: [el('table', { class: 'versions' }, el('tbody', {}, rows))] });
}

async function preview(file) {
  let answer;
  try {
    answer = await api('GET', `/preview?path=${encodeURIComponent(file.path)}`);
  } catch (error) {
    if (error.status === 415) return download(file);
    throw error;
  }
  let body;
  switch (answer.category) {
    case 'image': body = el('img', { class: 'preview', alt: baseName(file.path), src: answer.url }); break;
    case 'video': body = el('video', { class: 'preview', controls: true, src: answer.url }); break;
    case 'audio': body = el('audio', { class: 'preview', controls: true, src: answer.url }); break;
    case 'pdf': body = el('iframe', { class: 'preview pdf', title: baseName(file.path), src: answer.url }); break;
    default: {
      body = el('pre', { class: 'preview text', text: 'Loading…' });
      const response = await fetch(answer.url, { headers: { Range: 'bytes=0-262143' } });
      body.textContent = await response.text();
    }
  }
  await modal({ title: baseName(file.path), id: 'preview-dialog', content: [body] });
}

// MARK: Uploads

/** Files uploading at once; the rest wait their turn (a dropped folder of hundreds is fine). */
const UPLOADS_AT_ONCE = 3;

async function upload(files) {
  const panel = document.getElementById('uploads');
  panel.classList.remove('hidden');
  const folder = state.folder;
  const jobs = files.map((file) => {
    const path = folder ? `${folder}/${file.name}` : file.name;
    const bar = el('progress', { max: 1, value: 0 });
    const status = el('span', { class: 'upload-status', text: 'waiting' });
    const row = el('li', { class: 'upload', 'data-path': path }, el('span', { class: 'upload-name', text: file.name }), bar, status);
    panel.querySelector('ul').append(row);
    return async () => {
      // A file of the same name becomes its new version (the old one stays in its history).
      const report = ({ phase, fraction }) => {
        if (phase === 'uploading') bar.value = fraction;
        status.textContent = phase === 'checking' ? `checking ${Math.round(fraction * 100)}%` : phase === 'uploading' ? `${Math.round(fraction * 100)}%` : phase;
      };
      try {
        // A file of that name may be on a page not loaded: the server's 409 says which
        // revision it is, and the upload goes again as its new version.
        const existing = state.query ? null : state.items.find((f) => f.path === path && f.kind === 'file');
        try {
          await uploadFile({ api, file, path, baseRevision: existing?.revision, report });
        } catch (error) {
          const current = error.status === 409 ? error.body?.current : null;
          if (current?.kind !== 'file' || current.path !== path) throw error;
          await uploadFile({ api, file, path, baseRevision: current.revision, report });
        }
        bar.value = 1;
        row.dataset.state = 'done';
      } catch (error) {
        row.dataset.state = 'failed';
        status.textContent = `failed: ${error.message}`;
      }
    };
  });
  const worker = async () => {
    while (jobs.length) await jobs.shift()();
  };
  await Promise.all(Array.from({ length: Math.min(UPLOADS_AT_ONCE, jobs.length) }, worker));
  await reload();
}

// MARK: Trash

async function renderTrash() {
  const items = await api('GET', '/trash');
  const rows = items.sort((a, b) => b.trashedAt - a.trashedAt).map((item) => el('tr', { class: 'item', 'data-path': item.path, 'data-id': item.id },
    el('td', { class: 'icon-cell' }, icon(item.category || 'other')),
    el('td', { class: 'name', text: item.path }), el('td', { class: 'size', text: item.kind === 'folder' ? '—' : humanSize(item.size) }),
    el('td', { text: humanDate(item.trashedAt) }),
    el('td', {}, el('button', { class: 'small', 'data-action': 'restore', text: 'Restore', onclick: () => attempt(async () => {
      await api('POST', '/trash/restore', { id: item.id });
      notify(`${item.path} is restored`);
      await reload();
    }) }))));
  fill(main(), el('h2', { text: 'Trash' }),
    rows.length ? el('table', { class: 'files' }, el('thead', {}, el('tr', {}, el('th', {}), el('th', { text: 'Name' }), el('th', { text: 'Size' }),
      el('th', { text: 'Deleted' }), el('th', {}))), el('tbody', {}, rows)) : el('p', { class: 'empty muted', text: 'The trash is empty.' }));
}

// MARK: Routing and start

function route() {
  let hash = '#/files/';
  try {
    hash = decodeURIComponent(window.location.hash || hash);
  } catch { /* a hand-made address that is not valid percent-encoding: the top folder */ }
  for (const link of document.querySelectorAll('#tabs a')) link.classList.toggle('active', hash.startsWith(link.getAttribute('href')));
  if (hash.startsWith('#/trash')) return attempt(renderTrash);
  if (hash.startsWith('#/shares')) return attempt(() => renderShares(main()));
  if (hash.startsWith('#/devices')) return attempt(() => renderDevices(main()));
  const folder = hash.startsWith('#/files/') ? hash.slice('#/files/'.length).replace(/\/+$/, '') : '';
  if (folder !== state.folder) state.items = [];
  state.folder = folder;
  return attempt(() => loadView());
}

/** Waits on the change feed: a change made anywhere (a daemon, another tab) shows here. */
async function follow() {
  for (;;) {
    try {
      const answer = await api('GET', `/changes?after=${state.cursor}&wait=25`);
      state.cursor = Math.max(state.cursor, answer.cursor);
      if (answer.changes.length) await reload();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
}

async function start() {
  session.current = await api('GET', '/session');
  const user = document.getElementById('user');
  fill(user, 
    session.current.picture ? el('img', { class: 'avatar', alt: '', src: session.current.picture, referrerpolicy: 'no-referrer' }) : null,
    el('span', { id: 'user-name', text: session.current.name || session.current.email, title: session.current.email }));
  const search = document.getElementById('search');
  const searchChanged = () => {
    if (state.query === search.value.trim()) return;
    state.query = search.value.trim();
    if (!window.location.hash.startsWith('#/files')) window.location.hash = '#/files/';
    else attempt(() => loadView());
  };
  // The search runs on the server: once typing pauses, not at every key.
  let typing = null;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(searchChanged, 200);
  });
  for (const kind of ['change', 'search']) search.addEventListener(kind, searchChanged);
  const drop = document.body;
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    if (event.dataTransfer?.files.length) upload([...event.dataTransfer.files]);
  });
  window.addEventListener('hashchange', route);
  renderUsage();
  await route();
  follow();
}

attempt(start);
