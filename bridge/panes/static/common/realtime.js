// Socket.IO connection and acknowledged calls (socket.io-client is loaded as a classic script: window.io).

export class AckError extends Error {
  constructor(code, message, extra = {}) {
    super(message || code);
    this.code = code;
    this.extra = extra;
  }
}

/** Open a connection to a namespace with the token; socket.io-client reconnects by itself. */
export function connect(namespace, token) {
  return window.io(namespace, {
    path: '/socket.io',
    auth: { token },
    transports: ['websocket', 'polling'],
    reconnectionDelayMax: 5000,
  });
}

/**
 * Emit `event` and wait for the acknowledgement. Resolves with the ack on `{ok: true}`,
 * rejects with AckError on a refusal or when no ack arrives in time (code `timeout`).
 */
export function call(socket, event, payload, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const args = payload === undefined ? [] : [payload];
    socket.timeout(timeoutMs).emit(event, ...args, (err, ack) => {
      if (err) {
        reject(new AckError('timeout', '网络不稳定，操作超时，请重试。'));
      } else if (!ack || ack.ok !== true) {
        const e = (ack && ack.error) || {};
        reject(new AckError(e.code || 'internal', e.message || '操作失败，请重试。', e));
      } else {
        resolve(ack);
      }
    });
  });
}
