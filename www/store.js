// What the page keeps in the browser (IndexedDB, this origin only): known_hosts lines by device,
// and private key files the person asked to keep. Passphrases and passwords are never stored.

const DB = 'sshgate';
const STORES = ['knownHosts', 'keys'];

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => STORES.forEach((s) => req.result.createObjectStore(s));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run(store, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = fn(tx.objectStore(store));
    tx.oncomplete = () => resolve(req && req.result);
    tx.onerror = () => reject(tx.error);
  }).finally(() => db.close());
}

export const get = (store, key) => run(store, 'readonly', (s) => s.get(key));
export const put = (store, key, value) => run(store, 'readwrite', (s) => s.put(value, key));
export const remove = (store, key) => run(store, 'readwrite', (s) => s.delete(key));
export const keys = (store) => run(store, 'readonly', (s) => s.getAllKeys());

/** All stored known_hosts lines as one known_hosts text. */
export async function knownHostsText() {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const req = db.transaction('knownHosts').objectStore('knownHosts').getAll();
      req.onsuccess = () => resolve(req.result.join('\n'));
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}
