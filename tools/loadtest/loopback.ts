/** The load tool only targets this machine: every URL it calls must name a loopback host. */
export function isLoopbackUrl(value: string): boolean {
  let host: string;
  try {
    host = new URL(value).hostname;
  } catch {
    return false;
  }
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** host:port of an http(s) or ws(s) URL, to match a socket's URL with a gateway's HTTP URL. */
export function hostPort(value: string): string {
  const url = new URL(value);
  const port = url.port || (url.protocol === 'https:' || url.protocol === 'wss:' ? '443' : '80');
  const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
  return `${host}:${port}`;
}
