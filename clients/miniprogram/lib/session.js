// One citizen's chat session: token, the /user socket, the current conversation and what the page
// shows. The page (pages/chat/chat.js) turns taps into calls here and `onChange` into setData.
const api = require('./api')
const config = require('./config')
const {SocketIoClient} = require('./socketio')

let counter = 0

/** A client_msg_id unique per citizen (the server deduplicates resends on it). */
function clientMsgId() {
  counter += 1
  return `mp-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}

class ChatSession {
  /**
   * @param {object} opts  profile ({sub, name}), matter (optional matter id), conversationId (to resume one, e.g.
   *                       opened from a notification), onChange(patch), onEvent(name, data)
   */
  constructor(opts) {
    this.opts = opts
    this.token = ''
    this.conversationId = opts.conversationId || ''
    this.lastSeq = 0
    this.messages = []
    this.socket = null
  }

  async start() {
    this.token = await api.userToken(this.opts.profile || {})
    this.socket = new SocketIoClient({baseUrl: config.baseUrl, namespace: '/user', auth: () => ({token: this.token})})
    this.socket.on('message', m => this.received(m))
    this.socket.on('state', s => s.conversation_id === this.conversationId && this.opts.onChange({state: s}))
    this.socket.on('reconnect', () => this.sync())
    this.socket.on('disconnect', () => this.opts.onChange({online: false}))
    this.socket.on('connect_error', data => this.refused(data))
    ;['cobrowse_request', 'cobrowse_state', 'form_suggest', 'call_invite'].forEach(name =>
      this.socket.on(name, data => this.opts.onEvent(name, data)))
    await this.socket.connect()
    await this.sync() // a resumed conversation: its history and state
  }

  /** A refused (re)connection: an expired token is renewed once and the socket connects again. */
  async refused(data) {
    if (data.code !== 'token_expired' || this.renewing) {
      this.opts.onChange({online: false, notice: data.message || '登录已失效，请重新进入'})
      return
    }
    this.renewing = true
    this.renewals = (this.renewals || 0) + 1
    try {
      this.token = await api.userToken(this.opts.profile || {})
      await this.socket.connect()
      await this.sync()
    } catch (err) {
      this.opts.onChange({online: false, notice: '登录已失效，请重新进入'})
    } finally {
      this.renewing = false
    }
  }

  emit(event, data, timeoutMs) {
    return this.socket.emit(event, data, timeoutMs)
  }

  received(m) {
    if (this.conversationId && m.conversation_id !== this.conversationId) return
    if (this.messages.some(x => x.seq === m.seq)) return
    this.messages.push(m)
    this.messages.sort((a, b) => a.seq - b.seq)
    this.lastSeq = Math.max(this.lastSeq, m.seq)
    this.opts.onChange({messages: this.messages.slice()})
    this.opts.onEvent('message', m)
  }

  /** After a reconnect: fetch what was missed. */
  async sync() {
    this.opts.onChange({online: true})
    if (!this.conversationId) return
    const ack = await this.emit('sync', {conversation_id: this.conversationId, after_seq: this.lastSeq})
    if (!ack.ok) return
    ack.messages.forEach(m => this.received(m))
    if (ack.state_info) this.opts.onChange({state: ack.state_info})
  }

  /** Send a text (or a button's payload) or an uploaded media item; the ack, like the contract's. */
  async send(type, content, media) {
    const body = {client_msg_id: clientMsgId(), type}
    if (type === 'text') body.text = content
    else body.media_id = content
    if (this.conversationId) body.conversation_id = this.conversationId
    else if (this.opts.matter) body.matter = this.opts.matter
    let ack = await this.emit('message', body)
    if (!ack.ok && ack.error && ack.error.code === 'offline') {
      await new Promise(resolve => setTimeout(resolve, 1000))
      ack = await this.emit('message', body) // same client_msg_id: stored once
    }
    if (ack.ok && !this.conversationId) this.conversationId = ack.conversation_id
    if (ack.ok) this.sent(body, ack, media)
    return ack
  }

  /** The server does not echo a message to the socket that sent it: show it from the ack. */
  sent(body, ack, media) {
    const m = {conversation_id: ack.conversation_id, seq: ack.seq, id: ack.id, ts: ack.ts, type: body.type,
      text: body.text || '', sender: {role: 'user', name: ''}, meta: {}}
    if (media) m.media = {id: media.media_id, type: media.type, mime: media.mime, size: media.size, duration_s: media.duration_s}
    this.received(m)
  }

  /** Upload a local file to the conversation and send it as a message of its kind. */
  async sendFile(filePath, type) {
    const media = await api.upload(filePath, this.conversationId, this.token)
    const ack = await this.send(type || media.type, media.media_id, media)
    return Object.assign({media}, ack)
  }

  handoff(reason) {
    return this.emit('handoff', {conversation_id: this.conversationId, reason: reason || '用户请求人工服务'})
  }

  rate(target, score, resolved, comment) {
    return this.emit('rate', {conversation_id: this.conversationId, target, score, resolved, comment: comment || ''})
  }

  /** Leave the (closed) conversation: the next message starts a new one. */
  reset() {
    this.conversationId = ''
    this.lastSeq = 0
    this.messages = []
  }

  link(mediaId) {
    return api.mediaLink(mediaId, this.token)
  }

  close() {
    if (this.socket) this.socket.close()
  }
}

module.exports = {ChatSession, clientMsgId}
