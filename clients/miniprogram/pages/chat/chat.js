// The chat page: 小申 (the bot), 转人工 with subscription consent, agent replies, photos, voice
// (hold to talk, as the recorder records it), files from chats (WeChat voice as SILK), rating, and form
// sharing for co-browse. Built with the Component constructor, as WeChat allows for pages.
const config = require('../../lib/config')
const forms = require('../../lib/forms')
const cards = require('../../lib/cards')
const {ChatSession} = require('../../lib/session')

const STATE_TEXT = {bot: '智能客服小申', queued: '正在为您转接人工', with_agent: '人工客服为您服务', escalated: '已转 12345 热线',
  closed: '会话已结束'}
// the national 好差评 levels by score 1..5 (docs/haocha.md)
const LEVELS = ['非常不满意', '不满意', '基本满意', '满意', '非常满意']

function view(m, links) {
  const media = m.media || {}
  const link = links[media.id] || {}
  return {seq: m.seq, role: m.sender.role, name: m.sender.name || '', type: m.type, text: m.text || '',
    buttons: m.buttons || [], mediaId: media.id || '', src: link.thumbUrl || link.url || '',
    duration: media.duration_s ? Math.round(media.duration_s) : 0, cards: cards.view(m.cards, config.baseUrl)}
}

Component({
  data: {
    online: false, title: STATE_TEXT.bot, state: 'bot', queueText: '', notice: '', items: [], input: '',
    recording: false, canSendMedia: false, rating: null, suggestion: null, consent: null, levels: LEVELS,
  },

  methods: {
    async onLoad(options) {
      this.links = {}
      this.session = new ChatSession({
        profile: {sub: options.sub, name: options.name || '微信用户'},
        matter: options.matter || '',
        conversationId: options.conversation_id || '', // a notification opens pages/chat/chat?conversation_id=…
        onChange: patch => this.changed(patch),
        onEvent: (name, data) => this.event(name, data),
      })
      this.recorder = wx.getRecorderManager()
      this.recorder.onStop(res => this.recorded(res))
      this.recorder.onError(() => this.setData({recording: false, notice: '录音失败，请重试'}))
      try {
        await this.session.start()
      } catch (err) {
        this.setData({notice: (err && err.message) || '连接失败，请稍后重试'})
      }
    },

    onCopyLink(e) {  // a live session's https page: mini-programs open no outside pages, the citizen pastes it
      wx.setClipboardData({data: e.currentTarget.dataset.url})
    },

    onUnload() {
      if (this.session) this.session.close()
    },

    changed(patch) {
      const data = {}
      if ('online' in patch) data.online = patch.online
      if (patch.notice) data.notice = patch.notice
      if (patch.messages) {
        data.items = patch.messages.map(m => view(m, this.links))
        data.canSendMedia = Boolean(this.session.conversationId)
        patch.messages.forEach(m => this.fetchLink(m))
      }
      if (patch.state) Object.assign(data, this.stateData(patch.state))
      this.setData(data)
    },

    stateData(s) {
      const queued = s.state === 'queued' && s.queue_position
      return {state: s.state, title: (s.agent && s.state === 'with_agent') ? `人工客服 ${s.agent.name}` : STATE_TEXT[s.state],
        queueText: queued ? `前面还有 ${s.queue_position - 1} 位` : ''}
    },

    async fetchLink(m) {
      if (!m.media || this.links[m.media.id] || (m.type !== 'image' && m.type !== 'voice')) return
      this.links[m.media.id] = {}
      try {
        this.links[m.media.id] = await this.session.link(m.media.id)
        this.setData({items: this.session.messages.map(x => view(x, this.links))})
      } catch (err) {
        delete this.links[m.media.id]
      }
    },

    event(name, data) {
      if (name === 'message') return this.onMessage(data)
      if (name === 'form_suggest') return this.setData({suggestion: {id: data.suggestion_id,
        items: data.suggestions.map(s => Object.assign({accept: true, label: this.label(s.name)}, s))}})
      if (name === 'cobrowse_request') return this.setData({consent: {sessionId: data.session_id, mode: data.mode}})
      if (name === 'cobrowse_state' && data.state === 'ended') return this.setData({consent: null, suggestion: null})
      if (name === 'call_invite' && !config.calls) return this.declineCall(data)
    },

    onMessage(m) {
      const meta = m.meta || {}
      if (m.sender.role === 'system' && meta.event === 'closed' && (meta.rate || []).length) {
        this.setData({rating: {targets: meta.rate, target: meta.rate.indexOf('agent') >= 0 ? 'agent' : meta.rate[0],
          score: 0, resolved: meta.resolved !== false, done: false}})
      }
    },

    label(name) {
      const form = forms.currentForm()
      const field = form && form.fields.find(f => f.name === name)
      return field ? field.label : name
    },

    async declineCall(invite) {
      // No WebRTC in a mini-program: the agent is told at once instead of waiting for the ring timeout.
      this.setData({notice: '小程序暂不支持通话，请在随申办 App 或网页中接听'})
      await this.session.emit('call_decline', {call_id: invite.call_id})
    },

    onInput(e) {
      this.setData({input: e.detail.value})
    },

    async onSend() {
      const text = (this.data.input || '').trim()
      if (!text) return
      const ack = await this.session.send('text', text)
      if (ack.ok) this.setData({input: '', canSendMedia: true})
      else this.setData({notice: ack.error.message})
    },

    async onButton(e) {
      const payload = e.currentTarget.dataset.payload
      if (payload === '/request_human') return this.onHandoff()
      const ack = await this.session.send('text', payload)
      if (!ack.ok) this.setData({notice: ack.error.message})
    },

    async onHandoff() {
      if (!this.session.conversationId) return this.setData({notice: '请先简单描述您要办理的事项'})
      const answer = await this.askSubscribe() // 订阅消息: WeChat shows the dialog only inside a tap
      if (answer) {
        // sent before the handoff on the same socket, so it is recorded before any agent replies
        this.consentAck = this.session.emit('notify:consent', Object.assign({provider: 'wechat'}, answer), 5000)
      }
      const ack = await this.session.handoff()
      if (!ack.ok) return this.setData({notice: ack.error.message})
      this.setData(this.stateData(ack))
    },

    /** The citizen's answer to the subscription dialog: {accepted, rejected} template ids, or null when closed. */
    askSubscribe() {
      const ids = config.subscribeTemplates
      return new Promise(resolve => {
        wx.requestSubscribeMessage({
          tmplIds: ids,
          success: res => resolve({accepted: ids.filter(id => res[id] === 'accept'),
            rejected: ids.filter(id => res[id] !== 'accept')}),
          fail: () => resolve(null), // dialog closed or refused by WeChat: no consent, the handoff goes on
        })
      })
    },

    onChooseImage() {
      if (!this.data.canSendMedia) return this.setData({notice: '请先简单描述您要办理的事项'})
      wx.chooseMedia({count: 1, mediaType: ['image'], sizeType: ['compressed'],
        success: res => this.upload(res.tempFiles[0].tempFilePath, 'image')})
    },

    onChooseFile() {
      // Files from a WeChat chat: voice messages saved as .silk/.amr, photos, PDF forms.
      if (!this.data.canSendMedia) return this.setData({notice: '请先简单描述您要办理的事项'})
      wx.chooseMessageFile({count: 1, type: 'file', extension: ['silk', 'amr', 'mp3', 'm4a', 'aac', 'pdf', 'jpg', 'png'],
        success: res => this.upload(res.tempFiles[0].path)})
    },

    onVoiceStart() {
      if (!this.data.canSendMedia) return this.setData({notice: '请先简单描述您要办理的事项'})
      this.setData({recording: true})
      this.recorder.start({duration: 60000, sampleRate: 16000, numberOfChannels: 1, encodeBitRate: 48000,
        format: config.recorderFormat})
    },

    onVoiceEnd() {
      if (this.data.recording) this.recorder.stop()
    },

    recorded(res) {
      this.setData({recording: false})
      if (res.duration < 800) return this.setData({notice: '说话时间太短'})
      return this.upload(res.tempFilePath, 'voice')
    },

    async upload(path, type) {
      try {
        const ack = await this.session.sendFile(path, type)
        if (!ack.ok) this.setData({notice: ack.error.message})
        this.lastUpload = ack
      } catch (err) {
        this.setData({notice: err.message})
      }
    },

    async onPlay(e) {
      const id = e.currentTarget.dataset.media
      const link = (this.links[id] && this.links[id].url) ? this.links[id] : await this.session.link(id)
      const audio = wx.createInnerAudioContext()
      audio.src = link.url
      audio.play()
    },

    onScore(e) {
      this.setData({'rating.score': Number(e.currentTarget.dataset.score)})
    },

    onResolved(e) {
      this.setData({'rating.resolved': e.currentTarget.dataset.value === 'yes'})
    },

    async onSubmitRating() {
      const r = this.data.rating
      if (!r || !r.score) return this.setData({notice: '请选择满意度'})
      const ack = await this.session.rate(r.target, r.score, r.resolved)
      this.setData(ack.ok ? {'rating.done': true, notice: '感谢您的评价'} : {notice: ack.error.message})
    },

    onNewConversation() {
      this.session.reset()
      this.setData({items: [], rating: null, suggestion: null, consent: null, notice: '', canSendMedia: false,
        state: 'bot', title: STATE_TEXT.bot, queueText: ''})
    },

    async onShareForm() {
      const form = forms.currentForm()
      if (!form) return this.setData({notice: '当前没有正在填写的表单'})
      const ack = await this.session.emit('form_share', {conversation_id: this.session.conversationId, form: forms.masked(form)})
      this.setData({notice: ack.ok ? '已向客服共享表单（敏感信息已隐藏）' : ack.error.message})
    },

    async onConsent(e) {
      const c = this.data.consent
      const accept = e.currentTarget.dataset.accept === 'yes' && c.mode === 'form' // no DOM to share here
      await this.session.emit('cobrowse_consent', {conversation_id: this.session.conversationId, session_id: c.sessionId, accept})
      this.setData({consent: null})
      if (accept) await this.onShareForm()
    },

    onToggleSuggestion(e) {
      const i = Number(e.currentTarget.dataset.index)
      this.setData({[`suggestion.items[${i}].accept`]: !this.data.suggestion.items[i].accept})
    },

    async onReplySuggestion() {
      const s = this.data.suggestion
      const applied = forms.apply(s.items, s.items.filter(x => x.accept).map(x => x.name))
      await this.session.emit('form_suggest_reply', {conversation_id: this.session.conversationId, suggestion_id: s.id,
        accepted: applied})
      this.setData({suggestion: null})
    },
  },
})
