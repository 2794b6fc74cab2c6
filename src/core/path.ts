/**
 * The path gate402 prices, as the upstream will most likely resolve it. Caddy and Traefik forward the
 * raw request URI (X-Forwarded-Uri) and send the same raw URI upstream, so `/free/../api/data` would be
 * priced as `/free/*` while a typical upstream serves `/api/data`. Envoy has `normalize_path` and
 * `merge_slashes`, but only when configured; the core's pricing step (pricing.ts) normalises with
 * these functions for every transport, so pricing never depends on proxy settings.
 */

const UNRESERVED = /%(?:2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])/g;

/**
 * Normalises a raw path (no query) for route matching (RFC 3986 §6.2.2):
 * percent-escapes of unreserved characters decoded (`%61` → `a`, `%2E` → `.`), dot segments removed
 * (§5.2.4), runs of `/` merged; reserved escapes such as `%2F` stay encoded.
 * @param rawPath e.g. "/free/..//api/%64ata"
 * @returns e.g. "/api/data"; always starts with "/"
 */
export function normalizePath(rawPath: string): string {
  const decoded = rawPath.replace(UNRESERVED, (esc) => String.fromCharCode(parseInt(esc.slice(1), 16)));
  const out: string[] = [];
  const segments = decoded.split("/").filter((s, i) => i === 0 || s !== "");
  for (const segment of segments.slice(1)) {
    if (segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  // A trailing "/", "/." or "/.." names a directory: keep the slash so "/api/" still matches "/api/*".
  const trailing = /\/(\.{0,2})$/.test(decoded) && out.length > 0 ? "/" : "";
  return `/${out.join("/")}${trailing}`;
}

/**
 * Escapes an upstream may decode into a separator, a query/fragment start or a control character
 * (`%2F`, `%5C`, `%3F`, `%23`, `%00`-`%1F`, `%7F`), and a raw backslash: a path carrying one could name
 * another resource than the one priced, so it is refused, as Envoy's `path_with_escaped_slashes_action:
 * REJECT_REQUEST` does.
 */
const AMBIGUOUS = /%(?:2[fF]|5[cC]|3[fF]|23|[01][0-9a-fA-F]|7[fF])|\\/;

/** Why a raw path (no query) cannot be priced safely, or undefined when it can. */
export function pathRefusal(rawPath: string): string | undefined {
  return AMBIGUOUS.test(rawPath) ? "path contains an encoded /, \\, ?, # or control character" : undefined;
}

/**
 * The spellings of a normalised path that an upstream with default (non-strict) routing serves as one
 * resource: with and without a trailing slash. Case is handled by matching case-insensitively.
 * @param path output of normalizePath, e.g. "/api/x/" → ["/api/x", "/api/x/"]; "/" → ["/"]
 */
export function trailingSlashAliases(path: string): readonly string[] {
  if (path === "/") return [path];
  const bare = path.endsWith("/") ? path.slice(0, -1) : path;
  return [bare, `${bare}/`];
}

/** Path without query string or fragment, e.g. "/api/data?x=1" → "/api/data". */
export function stripQuery(pathWithQuery: string): string {
  const cut = pathWithQuery.search(/[?#]/);
  return cut === -1 ? pathWithQuery : pathWithQuery.slice(0, cut);
}
