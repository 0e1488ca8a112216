// URL deep links: `#router1`, `#admin@router1`, `#admin@router1:2222`, and several targets
// `#r1,admin@r2` (one tab each). The names come from whoever wrote the link: they are checked
// against strict patterns here and only ever put into the page as text or form values.

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
/** At most this many tabs from one link. */
export const MAX_LINK_TARGETS = 8;

/** One `[user@]device[:port]`, or null if any part is not acceptable. */
export function parseTarget(text) {
  const m = /^(?:([^@]*)@)?([^:@]*)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return null;
  const [, user, device, port] = m;
  if (!NAME.test(device)) return null;
  if (user !== undefined && !USER.test(user)) return null;
  const target = { device };
  if (user !== undefined) target.user = user;
  if (port !== undefined) {
    const p = Number(port);
    if (p < 1 || p > 65535) return null;
    target.port = p;
  }
  return target;
}

/** The targets of a location hash (`#…`, percent-encoded or not); bad entries are dropped. */
export function parseDeepLink(hash) {
  let text = String(hash || '').replace(/^#/, '');
  try {
    text = decodeURIComponent(text);
  } catch {
    return [];
  }
  return text
    .split(',')
    .map((t) => parseTarget(t.trim()))
    .filter(Boolean)
    .slice(0, MAX_LINK_TARGETS);
}

/** The hash for a target: `#user@device[:port]`. */
export function formatTarget({ device, user, port }) {
  return `${user ? `${user}@` : ''}${device}${port && port !== 22 ? `:${port}` : ''}`;
}
