// What the page keeps in the browser (IndexedDB, this origin only): known_hosts lines by device,
// private key files the person asked to keep, and CA certificates (PEM, by subject) trusted to
// sign devices' host certificates, and security keys registered here (credential id and public
// key line: nothing secret). Passphrases and passwords are never stored; nor are
// certificate files (.p12 or PEM chain + key): they are used from the picked file.

const DB = 'sshgate';
const STORES = ['knownHosts', 'keys', 'cas', 'securityKeys'];

function open() {
  return new Promise((resolve, reject) => {
    // Version 2 added `cas`, 3 `securityKeys`; an upgrade creates only the stores that are missing.
    const req = indexedDB.open(DB, 3);
    req.onupgradeneeded = () =>
      STORES.filter((s) => !req.result.objectStoreNames.contains(s)).forEach((s) => req.result.createObjectStore(s));
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

/** Every value of `store`. */
export async function all(store) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const req = db.transaction(store).objectStore(store).getAll();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

/** All stored known_hosts lines as one known_hosts text. */
export const knownHostsText = async () => (await all('knownHosts')).join('\n');

/** The trusted CA certificates (PEM texts). */
export const trustedCAs = () => all('cas');
