// A Socket.IO v5 client (Engine.IO v4, websocket transport) on wx.connectSocket.
// Mini-programs have no WebSocket global and socket.io-client needs one, so the few packets the
// contract uses are spoken here: namespace connect with auth, events, acknowledgements, ping/pong,
// disconnect, and reconnection with backoff (the page syncs what it missed on `reconnect`).

const EIO_OPEN = '0'
const EIO_CLOSE = '1'
const EIO_PING = '2'
const EIO_PONG = '3'
const EIO_MESSAGE = '4'
const SIO_CONNECT = '0'
const SIO_DISCONNECT = '1'
const SIO_EVENT = '2'
const SIO_ACK = '3'
const SIO_CONNECT_ERROR = '4'

/** Split a Socket.IO packet (after the Engine.IO "4") into its type, namespace, ack id and data. */
function parsePacket(text) {
  const type = text[0]
  let i = 1
  let nsp = '/'
  if (text[i] === '/') {
    const comma = text.indexOf(',', i)
    nsp = comma < 0 ? text.slice(i) : text.slice(i, comma)
    i = comma < 0 ? text.length : comma + 1
  }
  let digits = ''
  while (i < text.length && text[i] >= '0' && text[i] <= '9') digits += text[i++]
  const body = text.slice(i)
  return {type, nsp, id: digits ? Number(digits) : null, data: body ? JSON.parse(body) : undefined}
}

function encodePacket(type, nsp, id, data) {
  const prefix = nsp === '/' ? '' : `${nsp},`
  return `${EIO_MESSAGE}${type}${prefix}${id === null ? '' : id}${data === undefined ? '' : JSON.stringify(data)}`
}

function wsUrl(baseUrl) {
  return `${baseUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/socket.io/?EIO=4&transport=websocket`
}

class SocketIoClient {
  /**
   * @param {object} opts  baseUrl (http[s]://host[:port]), namespace ('/user'), auth () => {token},
   *                       reconnect (default true), ackTimeoutMs (default 15000)
   */
  constructor(opts) {
    this.opts = Object.assign({reconnect: true, ackTimeoutMs: 15000}, opts)
    this.handlers = {}
    this.acks = {}
    this.nextAck = 0
    this.connected = false
    this.closedByUser = false
    this.attempt = 0
    this.task = null
    this.pingTimer = null
  }

  /** Register a handler for a server event, or for `connect`, `connect_error`, `disconnect`, `reconnect`. */
  on(event, fn) {
    ;(this.handlers[event] = this.handlers[event] || []).push(fn)
    return this
  }

  fire(event, data) {
    ;(this.handlers[event] || []).forEach(fn => fn(data))
  }

  /** Open the socket and join the namespace; resolves on connect, rejects with the refusal's data. */
  connect() {
    this.closedByUser = false
    return new Promise((resolve, reject) => {
      this.pending = {resolve, reject}
      this.open()
    })
  }

  open() {
    const task = wx.connectSocket({url: wsUrl(this.opts.baseUrl), header: {}})
    this.task = task
    task.onMessage(res => this.receive(String(res.data)))
    task.onClose(() => this.closed())
    task.onError(err => {
      if (this.pending && !this.connected) {
        this.pending.reject({code: 'network', message: (err && err.errMsg) || '网络连接失败'})
        this.pending = null
      }
    })
  }

  receive(text) {
    const kind = text[0]
    if (kind === EIO_OPEN) {
      const info = JSON.parse(text.slice(1))
      this.pingTimeoutMs = info.pingInterval + info.pingTimeout
      this.armPing()
      this.send(encodePacket(SIO_CONNECT, this.opts.namespace, null, this.opts.auth()))
    } else if (kind === EIO_PING) {
      this.armPing()
      this.send(EIO_PONG)
    } else if (kind === EIO_CLOSE) {
      this.task.close({})
    } else if (kind === EIO_MESSAGE) {
      this.packet(parsePacket(text.slice(1)))
    }
  }

  packet(p) {
    if (p.nsp !== this.opts.namespace) return
    if (p.type === SIO_CONNECT) {
      const again = this.attempt > 0 || this.everConnected
      this.connected = this.everConnected = true
      this.attempt = 0
      if (this.pending) this.pending.resolve(p.data)
      this.pending = null
      this.fire(again ? 'reconnect' : 'connect', p.data)
    } else if (p.type === SIO_CONNECT_ERROR) {
      const data = (p.data && p.data.data) || {code: 'refused', message: p.data && p.data.message}
      this.closedByUser = true // a refusal (bad or expired token) is not retried with the same token
      if (this.pending) this.pending.reject(data)
      this.pending = null
      this.fire('connect_error', data)
      this.task.close({})
    } else if (p.type === SIO_EVENT) {
      const [event, ...args] = p.data
      this.fire(event, args[0])
      if (p.id !== null) this.send(encodePacket(SIO_ACK, this.opts.namespace, p.id, []))
    } else if (p.type === SIO_ACK) {
      const ack = this.acks[p.id]
      delete this.acks[p.id]
      if (ack) ack(p.data[0])
    } else if (p.type === SIO_DISCONNECT) {
      this.task.close({})
    }
  }

  /** Emit an event and resolve with its acknowledgement (or {ok:false, error:{code:'timeout'}}). */
  emit(event, data, timeoutMs) {
    const id = this.nextAck++
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        delete this.acks[id]
        resolve({ok: false, error: {code: 'timeout', message: '网络不稳定，请稍后再试'}})
      }, timeoutMs || this.opts.ackTimeoutMs)
      this.acks[id] = ack => {
        clearTimeout(timer)
        resolve(ack)
      }
      if (!this.connected) {
        this.acks[id]({ok: false, error: {code: 'offline', message: '网络已断开，正在重新连接'}})
        return
      }
      this.send(encodePacket(SIO_EVENT, this.opts.namespace, id, [event, data]))
    })
  }

  send(text) {
    if (this.task) this.task.send({data: text})
  }

  armPing() {
    clearTimeout(this.pingTimer)
    // No ping from the server within its interval + timeout: the connection is dead.
    this.pingTimer = setTimeout(() => this.task && this.task.close({}), this.pingTimeoutMs || 45000)
  }

  closed() {
    clearTimeout(this.pingTimer)
    const was = this.connected
    this.connected = false
    Object.keys(this.acks).forEach(id => this.acks[id]({ok: false, error: {code: 'offline', message: '网络已断开'}}))
    this.acks = {}
    if (was) this.fire('disconnect', {})
    if (this.closedByUser || !this.opts.reconnect) return
    const delay = Math.min(30000, 500 * 2 ** this.attempt++) * (0.5 + Math.random() / 2)
    this.retryTimer = setTimeout(() => this.open(), delay)
  }

  /** Leave the namespace and close the socket for good. */
  close() {
    this.closedByUser = true
    clearTimeout(this.retryTimer)
    if (this.connected) this.send(encodePacket(SIO_DISCONNECT, this.opts.namespace, null))
    if (this.task) this.task.close({})
  }
}

module.exports = {SocketIoClient, parsePacket, encodePacket}
