// Small DOM helpers. Every piece of user data (file names, paths, device names) goes in as a
// text node or an attribute value, never through innerHTML: a name is never markup.

/** An element: `attrs` are attributes (`class`, `text`, `on<event>` handled specially). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** Replaces a node's children, leaving out the absent ones (null would become "null" text). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

/** Sizes in decimal units, as the server's ByteCount.human writes them: 1536 → "1.5 KB". */
export function humanSize(bytes) {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${bytes} bytes`;
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(1) : rounded} ${units[unit]}`;
}

/** A date (seconds since the epoch) in the viewer's time zone: "2026-11-29 14:05". */
export function humanDate(seconds) {
  if (!seconds) return '—';
  const d = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The last component of a path. */
export const baseName = (path) => path.slice(path.lastIndexOf('/') + 1);
/** The folder a path is in ('' for the root). */
export const parentOf = (path) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

/** The icon of a file category, served by the server itself. */
export function icon(category) {
  return el('img', { class: 'icon', alt: category, src: `/static/icons/${category}.svg`, 'data-category': category });
}

/**
 * A modal dialog built from `content` (nodes) with buttons; resolves to the value of the
 * button pressed (`null` for Cancel or Escape). `onOpen(dialog)` runs once it shows.
 */
export function modal({ title, content = [], buttons = [{ label: 'Close', value: null }], id, onOpen }) {
  return new Promise((resolve) => {
    const dialog = el('dialog', { class: 'modal', id });
    const close = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    const form = el('form', { method: 'dialog', onsubmit: (event) => {
      event.preventDefault();
      const primary = buttons.find((b) => b.primary);
      if (primary) close(typeof primary.value === 'function' ? primary.value() : primary.value);
    } },
    el('h2', { text: title }),
    el('div', { class: 'modal-body' }, content),
    el('div', { class: 'modal-buttons' }, buttons.map((button) => el('button', {
      type: button.primary ? 'submit' : 'button', class: button.primary ? 'primary' : 'secondary', 'data-action': button.action || button.label.toLowerCase(),
      text: button.label,
      onclick: button.primary ? undefined : () => close(typeof button.value === 'function' ? button.value() : button.value),
    }))));
    dialog.append(form);
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      close(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    onOpen?.(dialog);
  });
}

/** Asks for one line of text; resolves to it, or null. */
export async function askText({ title, label, value = '', okLabel = 'Save', id }) {
  const input = el('input', { type: 'text', name: 'value', 'aria-label': label, autocomplete: 'off', spellcheck: 'false' });
  input.value = value;
  return modal({
    title, id, content: [el('label', { text: label }), input],
    buttons: [{ label: 'Cancel', value: null }, { label: okLabel, primary: true, action: 'ok', value: () => input.value.trim() || null }],
    onOpen: () => {
      input.focus();
      input.select();
    },
  });
}

/** Asks yes or no; resolves to true for yes. */
export async function confirmAction({ title, message, okLabel, id }) {
  return (await modal({
    title, id, content: [el('p', { text: message })],
    buttons: [{ label: 'Cancel', value: false }, { label: okLabel, primary: true, action: 'ok', value: true }],
  })) === true;
}
