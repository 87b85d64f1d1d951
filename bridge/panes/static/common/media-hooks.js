// Optional scripts of the media package (calls, co-browse), loaded only where they exist.
//
// Hook for those scripts: before loading them the page sets `window.BangbanPane` to
//   { role: 'agent' | 'user', socket, token, api, slot: HTMLElement,
//     currentConversation(): string|null }
// and dispatches `bangban:conversation` on window (detail: {conversationId}) whenever the
// current conversation changes. A script adds its own buttons into `slot`.

const loaded = new Set();

/** HEAD-check each URL and load the present ones as ES modules; resolves with those loaded. */
export async function loadOptionalScripts(urls) {
  const present = [];
  await Promise.all(urls.map(async (url) => {
    if (loaded.has(url)) return;
    try {
      const res = await fetch(url, { method: 'HEAD', cache: 'no-store' });
      if (!res.ok) return;
    } catch {
      return;
    }
    loaded.add(url);
    const script = document.createElement('script');
    script.type = 'module';
    script.src = url;
    document.head.append(script);
    present.push(url);
  }));
  return present;
}

export function announceConversation(conversationId) {
  window.dispatchEvent(new CustomEvent('bangban:conversation', { detail: { conversationId } }));
}
