/**
 * The path gate402 prices, as the upstream will most likely resolve it. Caddy and Traefik forward the
 * raw request URI (X-Forwarded-Uri) and send the same raw URI upstream, so `/free/../api/data` would be
 * priced as `/free/*` while a typical upstream serves `/api/data`. Envoy has `normalize_path` and
 * `merge_slashes`, but only when configured; both transports normalise here so pricing never depends
 * on proxy settings.
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

/** Path without query string or fragment, e.g. "/api/data?x=1" → "/api/data". */
export function stripQuery(pathWithQuery: string): string {
  const cut = pathWithQuery.search(/[?#]/);
  return cut === -1 ? pathWithQuery : pathWithQuery.slice(0, cut);
}
