// The file panel: browse the device's directories over SFTP (click a folder to enter it,
// breadcrumbs to go back up), upload by drag and drop or the picker (streamed from
// File.stream() into an SFTP write stream), download (streamed to disk through the File System
// Access API where the browser has it, else gathered into a Blob download), each transfer with
// a progress bar, speed, time left and Cancel (a cancelled upload's partial file is removed).
// Each entry can be renamed or deleted (asked first), and the toolbar makes a folder.
// A server without the sftp subsystem gets legacy SCP: upload into a typed directory, download
// by typed path.

import { forLog } from 'sshgate';

const h = (tag, props = {}, ...kids) => {
  const el = document.createElement(tag);
  Object.assign(el, props);
  for (const k of kids) el.append(k);
  return el;
};
const join = (dir, name) => (dir.endsWith('/') ? dir : `${dir}/`) + name;
const size = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
const secs = (s) => (s < 60 ? `${Math.ceil(s)} s` : `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`);

/** One transfer's row: progress bar, "done of total, speed, time left", Cancel. */
function transferRow(list, label, total, onCancel) {
  const bar = h('progress', { max: total || 1, value: 0 });
  const info = h('span', { className: 'files-info', textContent: 'starting' });
  const cancel = h('button', { type: 'button', textContent: 'Cancel' });
  const row = h('li', { className: 'files-transfer' }, h('span', { textContent: label }), bar, info, cancel);
  cancel.addEventListener('click', onCancel);
  list.append(row);
  const t0 = performance.now();
  return {
    progress(done) {
      bar.value = done;
      const s = (performance.now() - t0) / 1000;
      const rate = s > 0 ? done / s : 0;
      const left = rate > 0 && total ? secs((total - done) / rate) : '?';
      info.textContent = `${size(done)} of ${total ? size(total) : '?'}, ${size(rate)}/s, ${left} left`;
    },
    finish(text) {
      info.textContent = text;
      cancel.remove();
      row.dataset.state = text.startsWith('done') ? 'done' : 'failed';
    },
  };
}

/**
 * Attaches the file panel for `conn` to `container` (emptied); returns { toggle(), close() }.
 * The panel opens SFTP on first show.
 */
export function attachFiles(conn, container) {
  container.replaceChildren();
  const crumbs = h('nav', { className: 'files-crumbs' });
  const entries = h('ul', { className: 'files-list' });
  const picker = h('input', { type: 'file', multiple: true, id: 'files-upload' });
  const note = h('p', { className: 'files-note', role: 'status' });
  const transfers = h('ul', { className: 'files-transfers' });
  const scpBox = h('div', { className: 'files-scp', hidden: true });
  const mkdirButton = h('button', { type: 'button', id: 'files-mkdir', textContent: 'New folder' });
  const refreshButton = h('button', { type: 'button', id: 'files-refresh', textContent: 'Refresh' });
  const tools = h('div', { className: 'files-tools' }, mkdirButton, refreshButton);
  container.append(h('h2', { textContent: 'Files' }), tools, crumbs, entries, h('label', { textContent: 'Upload ' }, picker), scpBox, note, transfers);
  let sftp = null;
  let scp = false;
  let cwd = '/';
  let opening = null;

  const say = (t) => (note.textContent = t ? forLog(t, 300) : '');

  async function open() {
    opening ||= (async () => {
      try {
        sftp = await conn.sftp();
        await show(await sftp.realpath('.'));
      } catch (e) {
        // Refused, or accepted and closed at once (a server that has no SFTP either way).
        if (e.code !== 'NO_SUBSYSTEM' && e.code !== 'CLOSED') throw e;
        scp = true;
        useScp();
      }
    })().catch((e) => {
      opening = null;
      say(`files: ${e.message}`);
    });
    return opening;
  }

  async function show(dir) {
    const list = await sftp.readdir(dir);
    cwd = dir;
    crumbs.replaceChildren();
    const parts = dir.split('/').filter(Boolean);
    const go = (path, label) => {
      const a = h('button', { type: 'button', className: 'files-crumb', textContent: label });
      a.addEventListener('click', () => show(path).catch((e) => say(e.message)));
      crumbs.append(a);
    };
    go('/', '/');
    parts.forEach((p, i) => go(`/${parts.slice(0, i + 1).join('/')}`, p));
    list.sort((a, b) => (b.attrs.isDirectory ? 1 : 0) - (a.attrs.isDirectory ? 1 : 0) || a.filename.localeCompare(b.filename));
    entries.replaceChildren(
      ...list.map((e) => {
        const path = join(dir, e.filename);
        const b = h('button', {
          type: 'button',
          className: e.attrs.isDirectory ? 'files-dir' : 'files-file',
          textContent: e.attrs.isDirectory ? `${e.filename}/` : e.filename,
          title: e.longname,
        });
        b.dataset.name = e.filename;
        b.addEventListener('click', () => (e.attrs.isDirectory ? show(path).catch((x) => say(x.message)) : download(path, e.filename, e.attrs.size)));
        const ren = h('button', { type: 'button', className: 'files-rename', title: `rename ${e.filename}`, textContent: '✎' });
        ren.addEventListener('click', () => rename(path, e.filename));
        const del = h('button', { type: 'button', className: 'files-delete', title: `delete ${e.filename}`, textContent: '✕' });
        del.addEventListener('click', () => remove(path, e.filename, e.attrs.isDirectory));
        for (const x of [ren, del]) x.dataset.name = e.filename;
        return h('li', {}, b, h('span', { className: 'files-size', textContent: e.attrs.isDirectory ? '' : size(e.attrs.size || 0) }), ren, del);
      }),
    );
    say('');
  }

  /** A name typed for a new folder or a rename: one path component, nothing else. */
  function askName(question, current = '') {
    const name = window.prompt(question, current);
    if (name === null || name === current) return null;
    if (!name || name === '.' || name === '..' || name.includes('/') || name.length > 255) {
      say(`not a file name: ${name}`);
      return null;
    }
    return name;
  }

  /** Runs one SFTP change, then shows the directory again; a refusal is said in the panel. */
  async function change(what, run) {
    try {
      await run();
      await show(cwd);
      say(what);
    } catch (e) {
      say(`${what} failed: ${e.message}`);
    }
  }

  function rename(path, name) {
    const to = askName(`Rename ${name} to`, name);
    if (to) change(`renamed ${name} to ${to}`, () => sftp.rename(path, join(cwd, to)));
  }

  function remove(path, name, isDirectory) {
    // A folder goes only when empty (SFTP's RMDIR), as sftp(1)'s rmdir.
    if (!window.confirm(`Delete ${isDirectory ? 'the empty folder ' : ''}${name}?`)) return;
    change(`deleted ${name}`, () => (isDirectory ? sftp.rmdir(path) : sftp.remove(path)));
  }

  mkdirButton.addEventListener('click', () => {
    if (!sftp) return;
    const name = askName('New folder name');
    if (name) change(`made ${name}/`, () => sftp.mkdir(join(cwd, name)));
  });
  refreshButton.addEventListener('click', () => sftp && show(cwd).catch((e) => say(e.message)));

  function useScp() {
    tools.hidden = true;
    crumbs.replaceChildren();
    entries.replaceChildren();
    const dirInput = h('input', { id: 'files-scp-dir', value: '.', title: 'upload into this directory' });
    const pathInput = h('input', { id: 'files-scp-path', placeholder: 'path to download' });
    const get = h('button', { type: 'button', textContent: 'Download' });
    get.addEventListener('click', () => pathInput.value && download(pathInput.value, pathInput.value.split('/').pop()));
    scpBox.replaceChildren(
      h('p', { textContent: 'This server has no SFTP: legacy SCP (no directory listing).' }),
      h('label', { textContent: 'Upload into ' }, dirInput),
      h('label', { textContent: 'Download ' }, pathInput),
      get,
    );
    scpBox.hidden = false;
    scpBox.dirInput = dirInput;
  }

  async function upload(file) {
    const ctl = new AbortController();
    const dir = scp ? scpBox.dirInput.value || '.' : cwd;
    const target = join(dir, file.name);
    const row = transferRow(transfers, `↑ ${file.name}`, file.size, () => ctl.abort());
    try {
      if (scp) {
        // SCP sends one announced size: the file is read whole first.
        const data = new Uint8Array(await file.arrayBuffer());
        if (ctl.signal.aborted) throw new Error('cancelled');
        await conn.scpPut(target, data, { onProgress: (n) => row.progress(n) });
      } else {
        await file.stream().pipeTo(sftp.createWriteStream(target, { onProgress: (n) => row.progress(n) }), { signal: ctl.signal });
      }
      row.progress(file.size);
      row.finish(`done: ${size(file.size)}`);
      if (!scp) await show(cwd);
    } catch (e) {
      row.finish(ctl.signal.aborted ? 'cancelled' : `failed: ${forLog(e.message || String(e), 200)}`);
    }
  }

  async function download(path, name, total) {
    const ctl = new AbortController();
    const row = transferRow(transfers, `↓ ${name}`, total, () => ctl.abort());
    try {
      if (scp) {
        const data = await conn.scpGet(path, { onProgress: (n) => row.progress(n) });
        if (ctl.signal.aborted) throw new Error('cancelled');
        saveBlob(new Blob([data]), name);
        row.finish(`done: ${size(data.length)}`);
        return;
      }
      const source = sftp.createReadStream(path, { onProgress: (n) => row.progress(n) });
      if (typeof window.showSaveFilePicker === 'function') {
        // Straight to disk: the READs run only as fast as the file is written.
        const handle = await window.showSaveFilePicker({ suggestedName: name });
        await source.pipeTo(await handle.createWritable(), { signal: ctl.signal });
      } else {
        const parts = [];
        await source.pipeTo(new WritableStream({ write: (c) => parts.push(c) }), { signal: ctl.signal });
        saveBlob(new Blob(parts), name);
      }
      row.finish(`done${total !== undefined ? `: ${size(total)}` : ''}`);
    } catch (e) {
      row.finish(ctl.signal.aborted ? 'cancelled' : `failed: ${forLog(e.message || String(e), 200)}`);
    }
  }

  function saveBlob(blob, name) {
    const a = h('a', { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  }

  picker.addEventListener('change', () => {
    for (const f of picker.files) upload(f);
    picker.value = '';
  });
  container.addEventListener('dragover', (e) => {
    e.preventDefault();
    container.classList.add('files-drop');
  });
  container.addEventListener('dragleave', () => container.classList.remove('files-drop'));
  container.addEventListener('drop', (e) => {
    e.preventDefault();
    container.classList.remove('files-drop');
    for (const f of e.dataTransfer.files) upload(f);
  });

  return {
    /** Shows or hides the panel (opening SFTP the first time). */
    toggle() {
      container.hidden = !container.hidden;
      if (!container.hidden) open();
      return Promise.resolve(!container.hidden);
    },
    close() {
      container.hidden = true;
      if (sftp) sftp.end();
      container.replaceChildren();
    },
  };
}
