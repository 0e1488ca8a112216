// Several sessions in one page: a TerminalTab is one xterm Terminal (with its fit addon and pane)
// and the SSH session in it (connection, shell, the login it came from, its state); the
// TabManager keeps the tab bar, shows one pane at a time, and tells other features what
// happened through events (`opened`, `connected`, `closed`, `active`, `removed`), so a file panel or a jump
// host form hooks tabs without main.js knowing about them.

import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';

let nextId = 1;

export class TerminalTab {
  constructor(manager, termOptions) {
    this.id = nextId++;
    this.manager = manager;
    this.title = 'new session';
    /** 'new' (no session yet) | 'connecting' | 'connected' | 'ended' */
    this.state = 'new';
    this.conn = null;
    this.shell = null;
    this.login = null;
    this.ended = null;
    this.status = 'not connected';
    this.pane = document.createElement('div');
    this.pane.className = 'pane';
    this.pane.dataset.tab = String(this.id);
    this.button = document.createElement('button');
    this.button.type = 'button';
    this.button.className = 'tab';
    this.button.dataset.tab = String(this.id);
    this.label = document.createElement('span');
    const close = document.createElement('span');
    close.className = 'tab-close';
    close.textContent = '×';
    close.title = 'Close this session (Ctrl+Shift+W)';
    close.addEventListener('click', (ev) => {
      ev.stopPropagation();
      manager.close(this);
    });
    this.button.append(this.label, close);
    this.button.addEventListener('click', () => manager.activate(this));
    this.term = new Terminal(termOptions);
    this.fitAddon = new FitAddon();
    this.term.loadAddon(this.fitAddon);
  }

  /** Fits the terminal to its pane (only when visible: a hidden pane measures 0×0). */
  fit() {
    if (!this.pane.hidden && this.pane.isConnected) this.fitAddon.fit();
  }

  setTitle(title) {
    this.title = title;
    this.label.textContent = title;
    this.button.title = title;
  }

  get live() {
    return this.state === 'connecting' || this.state === 'connected';
  }
}

export class TabManager {
  /**
   * @param {{ bar: HTMLElement, panes: HTMLElement, newButton?: HTMLElement, termOptions?: object,
   *           onNew?: (tab: TerminalTab) => void }} opts
   */
  constructor({ bar, panes, newButton, termOptions = {}, onNew }) {
    this.bar = bar;
    this.panes = panes;
    this.newButton = newButton;
    this.termOptions = termOptions;
    this.onNew = onNew || (() => {});
    this.tabs = [];
    this.active = null;
    this.listeners = new Map();
    // Key handlers every terminal runs before xterm sees a key (false: xterm ignores it).
    this.keyHandlers = [];
    if (newButton) newButton.addEventListener('click', () => this.onNew(this.open()));
    // Browsers keep Ctrl+T / Ctrl+W / Ctrl+Tab for their own tabs, and Ctrl+letter belongs to
    // the device: the page's own tab keys take Shift (as GNOME Terminal and Windows Terminal do).
    this.keys = (ev) => {
      if (ev.type !== 'keydown' || !ev.ctrlKey || ev.altKey || ev.metaKey) return true;
      if (ev.shiftKey && ev.code === 'KeyT') this.onNew(this.open());
      else if (ev.shiftKey && ev.code === 'KeyW') this.active && this.close(this.active);
      else if (ev.code === 'PageUp') this.step(-1);
      else if (ev.code === 'PageDown') this.step(1);
      else return true;
      ev.preventDefault();
      return false;
    };
  }

  /** `fn(ev, tab)` sees each key first in every terminal; returning false keeps it from the device. */
  addKeyHandler(fn) {
    this.keyHandlers.push(fn);
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(fn);
    return () => this.listeners.get(event).delete(fn);
  }

  emit(event, tab) {
    for (const fn of this.listeners.get(event) || []) {
      try {
        fn(tab);
      } catch (e) {
        console.error(`tab ${event} listener`, e);
      }
    }
  }

  /** A new tab (active), with no session yet. */
  open(title) {
    const tab = new TerminalTab(this, { ...this.termOptions });
    tab.setTitle(title || 'new session');
    this.tabs.push(tab);
    this.bar.insertBefore(tab.button, this.newButton && this.newButton.parentNode === this.bar ? this.newButton : null);
    this.panes.append(tab.pane);
    tab.term.open(tab.pane);
    // xterm takes one custom key handler: the tab keys, then whatever a feature added.
    tab.term.attachCustomKeyEventHandler((ev) => [this.keys, ...this.keyHandlers].every((h) => h(ev, tab) !== false));
    this.emit('opened', tab);
    this.activate(tab);
    return tab;
  }

  activate(tab) {
    if (!this.tabs.includes(tab)) return;
    const changed = this.active !== tab;
    this.active = tab;
    for (const t of this.tabs) {
      t.pane.hidden = t !== tab;
      t.button.classList.toggle('active', t === tab);
      t.button.setAttribute('aria-selected', String(t === tab));
    }
    tab.fit();
    tab.term.focus();
    if (changed) this.emit('active', tab);
  }

  step(delta) {
    if (!this.active || this.tabs.length < 2) return;
    const i = this.tabs.indexOf(this.active);
    this.activate(this.tabs[(i + delta + this.tabs.length) % this.tabs.length]);
  }

  rename(tab, title) {
    tab.setTitle(title);
  }

  /** Marks a tab's session as up (main.js calls it once the shell is open). */
  connected(tab) {
    tab.state = 'connected';
    this.emit('connected', tab);
  }

  /** Marks a tab's session as over (its line is written; the tab stays for a reconnect). */
  ended(tab, why) {
    if (tab.state === 'ended') return;
    tab.state = 'ended';
    tab.ended = why;
    tab.shell = null;
    this.emit('closed', tab);
  }

  /**
   * Closes a tab: its session ends with SSH_MSG_DISCONNECT (conn.close()), not a dropped socket;
   * the neighbour becomes active. The last tab closed leaves an empty new one.
   */
  close(tab) {
    const i = this.tabs.indexOf(tab);
    if (i < 0) return;
    if (tab.conn && !tab.conn.closed) tab.conn.close();
    if (tab.state !== 'ended' && tab.state !== 'new') this.ended(tab, 'tab closed');
    this.tabs.splice(i, 1);
    tab.button.remove();
    tab.pane.remove();
    tab.term.dispose();
    if (this.active === tab) {
      this.active = null;
      if (this.tabs.length) this.activate(this.tabs[Math.min(i, this.tabs.length - 1)]);
    }
    this.emit('removed', tab);
    if (!this.tabs.length) this.onNew(this.open());
    // The × took the focus: typing goes on in the tab now shown.
    else this.active.term.focus();
  }

  /** Ends every session (the page is going away). */
  closeAll() {
    for (const t of this.tabs) if (t.conn && !t.conn.closed) t.conn.close();
  }

  get liveCount() {
    return this.tabs.filter((t) => t.live).length;
  }
}
