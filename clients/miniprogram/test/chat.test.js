// The chat page in the mini-program component simulator, against a running Bangban: login with a dev
// token, message, bot reply, handoff with subscription consent, agent reply, photo, voice (mp3 and aac
// as the recorder records them), a WeChat SILK voice file, form sharing (asked by the agent, then by the
// citizen), rating; no call buttons, an agent's call declined at once.
// The agent is a socket.io-client in this process. Environment: BANGBAN_URL, AGENT_USERNAME,
// AGENT_PASSWORD, SAMPLES (a folder with photo.png, voice.mp3, voice.aac, wechat.silk), REPORT (a JSON file to write).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('fs')
const path = require('path')
const {JSDOM} = require('jsdom')
const {io} = require('socket.io-client')
const {createWx} = require('./wx-node')

const env = process.env
const ROOT = path.resolve(__dirname, '..')
const samples = name => path.join(env.SAMPLES, name)

const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', {pretendToBeVisual: true})
Object.assign(global, {window: dom.window, document: dom.window.document, navigator: dom.window.navigator})
;['Node', 'Element', 'HTMLElement', 'Event', 'CustomEvent', 'TouchEvent', 'MutationObserver', 'getComputedStyle']
  .forEach(k => { global[k] = dom.window[k] })

const phone = {
  recorderStarts: [], chooseMessageFile: [], subscribeAsked: [], played: [],
  recorded: {mp3: {path: samples('voice.mp3'), durationMs: 2000}, aac: {path: samples('voice.aac'), durationMs: 2000}},
  album: samples('photo.png'),
  chatFile: samples('wechat.silk'),
  subscribeAnswers: {'wx-dev-reply': 'accept', 'wx-dev-turn': 'accept', 'wx-dev-rating': 'reject'},
}
global.wx = createWx(phone)
const simulate = require('miniprogram-simulate')
const config = require('../lib/config')
const forms = require('../lib/forms')

config.baseUrl = env.BANGBAN_URL
config.devOpenid = env.DEV_OPENID === '1'

async function until(what, fn, timeoutMs = 30000) {  // generous: the machine may be busy
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = fn()
    if (value) return value
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`)
    await new Promise(r => setTimeout(r, 50))
  }
}

async function agentClient() {
  const res = await fetch(`${env.BANGBAN_URL}/api/v1/agents/login`, {method: 'POST', headers: {'content-type': 'application/json'},
    body: JSON.stringify({username: env.AGENT_USERNAME, password: env.AGENT_PASSWORD})})
  assert.equal(res.status, 200)
  const {token} = await res.json()
  const socket = io(`${env.BANGBAN_URL}/agent`, {auth: {token}, transports: ['websocket'], reconnection: false})
  const events = []
  socket.onAny((event, data) => events.push([event, data]))
  await new Promise((resolve, reject) => { socket.on('connect', resolve); socket.on('connect_error', reject) })
  const presence = await socket.timeout(20000).emitWithAck('presence', {status: 'online'})
  assert.ok(presence.ok, JSON.stringify(presence))
  const wait = (event, pred) => until(`agent ${event}`, () => {
    const hit = events.find(([e, d]) => e === event && (!pred || pred(d)))
    return hit && hit[1]
  })
  return {socket, wait, call: (event, data) => socket.timeout(20000).emitWithAck(event, data)}
}

const tap = (page, selector, detail) => page.querySelector(selector).dispatchEvent('tap', {detail: detail || {}})
const items = page => page.instance.data.items

/** The rendered page with its compiled WXSS as an HTML file, for a browser to screenshot (a look, not a test). */
function snapshot(page) {
  const base = 'wx-view,wx-scroll-view{display:block} wx-button{display:inline-block;border:1px solid #ccc;' +
    'border-radius:5px;padding:4px 10px;background:#f8f8f8} wx-input{display:block;border:1px solid #ddd}' +
    'wx-image{display:block;width:360px;height:240px;background:#cfe3f7} wx-text{white-space:pre-wrap}' +
    'body{margin:0;font-family:sans-serif;width:750px}' // 1rpx is 1px here: a 750 px wide page is a phone at 2x
  return `<!doctype html><html><head><meta charset="utf-8"><style>${base}</style>${document.head.innerHTML}</head>` +
    `<body>${page.dom.outerHTML}</body></html>`
}

async function fetched(url) {
  const res = await fetch(url)
  return {status: res.status, type: res.headers.get('content-type'), size: (await res.arrayBuffer()).byteLength}
}

test('the mini-program chat page speaks the contract against the running system', async () => {
  const report = {}
  const agent = await agentClient()
  const id = simulate.load(path.join(ROOT, 'pages/chat/chat'), 'chat-page', {rootPath: ROOT})
  const page = simulate.render(id)
  page.attach(document.createElement('parent-wrapper'))
  await page.instance.onLoad({matter: 'drivers-license', name: '小程序用户'})
  await until('online', () => page.instance.data.online || assert.fail(page.instance.data.notice || 'offline'))

  // Calls are not offered: no WebRTC in a mini-program.
  report.call_buttons = (page.dom.innerHTML.match(/通话|call/g) || []).length

  // Text to 小申 and its answer.
  page.querySelector('.input').dispatchEvent('input', {detail: {value: '驾驶证到期了怎么换证'}})
  tap(page, '.send')
  const bot = await until('bot reply', () => items(page).find(m => m.role === 'bot'))
  const cid = page.instance.session.conversationId
  report.conversation_id = cid
  report.bot = {text: bot.text, buttons: bot.buttons.map(b => b.payload)}
  report.first = items(page)[0]

  // The answer's cards (when its article has video guides or live sessions): the <video> component on the
  // signed link, whose bytes come by Range as the player asks; a live session's link copied.
  report.cards = bot.cards
  report.players = page.querySelectorAll('.card-player').length
  const video = bot.cards.find(c => c.type === 'video')
  if (video) {
    const res = await fetch(video.src, {headers: {Range: 'bytes=0-1023'}})
    report.video_range = {status: res.status, type: res.headers.get('content-type'), size: (await res.arrayBuffer()).byteLength}
  }
  if (page.querySelector('.card-copy')) {
    tap(page, '.card-copy')
    report.clipboard = await until('link copied', () => phone.clipboard)
  }

  // 转人工: the subscription dialog inside the tap, its answer reported, then the handoff.
  tap(page, '.btn-handoff')
  const assigned = await agent.wait('assigned', d => d.conversation.id === cid)
  report.assigned_channel = assigned.conversation.channel
  await until('with_agent', () => page.instance.data.state === 'with_agent')
  report.subscribe_asked = phone.subscribeAsked
  report.consent_ack = await page.instance.consentAck
  report.title = page.instance.data.title

  // The agent answers.
  const reply = await agent.call('message', {conversation_id: cid, client_msg_id: `ag-${Date.now()}`, type: 'text',
    text: '您好，换领驾驶证需要身份证和体检证明。'})
  assert.ok(reply.ok, JSON.stringify(reply))
  report.agent_reply = (await until('agent reply', () => items(page).find(m => m.role === 'agent'))).text

  // A photo from the album through wx.uploadFile; the page shows it through a signed link.
  tap(page, '.btn-image')
  const image = await agent.wait('message', m => m.conversation_id === cid && m.type === 'image')
  const shown = await until('image shown', () => items(page).find(m => m.type === 'image' && m.src))
  report.image = {agent_mime: image.media.mime, shown: await fetched(shown.src)}

  // Hold to talk: mp3, then aac, as the recorder produces them.
  report.voices = []
  for (const format of ['mp3', 'aac']) {
    config.recorderFormat = format
    page.querySelector('.btn-voice').dispatchEvent('touchstart')
    page.querySelector('.btn-voice').dispatchEvent('touchend')
    const voice = await agent.wait('message', m => m.conversation_id === cid && m.type === 'voice' &&
      !report.voices.some(v => v.id === m.media.id))
    report.voices.push({id: voice.media.id, format, mime: voice.media.mime, duration_s: voice.media.duration_s})
  }
  report.recorder_starts = phone.recorderStarts

  // A WeChat voice message saved from a chat (SILK), sent as a chat file.
  tap(page, '.btn-file')
  const silk = await agent.wait('message', m => m.conversation_id === cid && m.type === 'voice' &&
    !report.voices.some(v => v.id === m.media.id))
  report.silk = {id: silk.media.id, mime: silk.media.mime, duration_s: silk.media.duration_s}
  const bubbles = await until('silk bubble', () => page.querySelectorAll('.voice').length === 3 && page.querySelectorAll('.voice'))
  bubbles[2].dispatchEvent('tap')
  const played = await until('played', () => phone.played[0])
  report.played = Object.assign(await fetched(played), {silk: played.includes(silk.media.id)})

  // Form sharing for co-browse: masked on the phone, suggestions applied by the page.
  const form = {form_id: 'gjj-withdraw', title: '公积金提取申请', page: 'pages/gjj/withdraw',
    fields: [{name: 'name', label: '姓名', type: 'text', value: '张三'},
      {name: 'idcard', label: '身份证号', type: 'idcard', value: '310101199001011234'},
      {name: 'phone', label: '手机号', type: 'tel', value: '13812345678'},
      {name: 'address', label: '联系地址', type: 'text', value: ''}]}
  let applied = null
  forms.setCurrent(form, values => { applied = values })
  const request = await agent.call('cobrowse_request', {conversation_id: cid, mode: 'form'})
  assert.ok(request.ok, JSON.stringify(request))
  await until('consent bar', () => page.instance.data.consent)
  tap(page, '.consent-yes')
  const shared = await agent.wait('form_share', d => d.conversation_id === cid)
  report.form_share = shared.form
  const suggest = await agent.call('form_suggest', {conversation_id: cid, form_id: 'gjj-withdraw', suggestions: [
    {name: 'address', value: '上海市黄浦区人民大道200号', note: '按户籍地址填写'},
    {name: 'idcard', value: '310101199001019999', note: ''}]})
  assert.ok(suggest.ok, JSON.stringify(suggest))
  await until('suggestion shown', () => page.instance.data.suggestion)
  tap(page, '.suggestion-reply')
  report.form_reply = await agent.wait('form_suggest_reply', d => d.suggestion_id === suggest.suggestion_id)
  report.form_applied = applied
  tap(page, '.share-form') // the citizen shares again: the agent sees the suggestion filled in
  report.form_share_again = (await agent.wait('form_share', d => d.conversation_id === cid && d.seq > shared.seq)).form

  // An agent's call rings nowhere: no WebRTC in a mini-program, the page declines at once.
  const invite = await agent.call('call_invite', {conversation_id: cid, kind: 'audio'})
  assert.ok(invite.ok, JSON.stringify(invite))
  report.call = await agent.wait('call_state', d => d.call_id === invite.call_id && d.state === 'ended')
  report.call_notice = page.instance.data.notice

  // The network drops: the agent's message sent meanwhile arrives after the reconnection (sync).
  let reconnects = 0
  page.instance.session.socket.on('reconnect', () => { reconnects += 1 })
  page.instance.session.socket.task.close({})
  await until('offline', () => !page.instance.session.socket.connected)
  const missed = await agent.call('message', {conversation_id: cid, client_msg_id: `ag-missed-${Date.now()}`, type: 'text',
    text: '地址已帮您核对。'})
  assert.ok(missed.ok, JSON.stringify(missed))
  report.after_reconnect = (await until('missed message', () => items(page).find(m => m.seq === missed.seq))).text
  report.reconnects = reconnects

  // The agent closes; the page asks for a rating and sends it.
  const closed = await agent.call('close', {conversation_id: cid, resolved: true})
  assert.ok(closed.ok, JSON.stringify(closed))
  await until('rating panel', () => page.instance.data.rating)
  report.rating_target = page.instance.data.rating.target
  page.querySelectorAll('.star')[2].dispatchEvent('tap')  // the national 好差评 level of score 3
  await until('score 3', () => page.instance.data.rating.score === 3)
  report.level_3 = page.querySelector('.level').dom.textContent.trim()
  page.querySelectorAll('.star')[4].dispatchEvent('tap')
  tap(page, '.rating-submit')
  report.rated = await until('rated', () => page.instance.data.rating.done)
  report.closed_tools = page.querySelectorAll('.btn-image').length + page.querySelectorAll('.send').length

  report.items = items(page).map(m => ({seq: m.seq, role: m.role, type: m.type}))
  if (env.SNAPSHOT) fs.writeFileSync(env.SNAPSHOT, snapshot(page))

  // 开始新的咨询: the next message starts a new conversation.
  tap(page, '.btn-new')
  await until('composer back', () => page.querySelector('.input'))
  page.querySelector('.input').dispatchEvent('input', {detail: {value: '公积金怎么提取'}})
  tap(page, '.send')
  await until('new conversation', () => items(page).length >= 1 && page.instance.session.conversationId !== cid)
  report.new_conversation = {seq: items(page)[0].seq, other: page.instance.session.conversationId !== cid}
  page.instance.onUnload()

  // Opened again from a notification (?conversation_id=…) by the same citizen: history and state come back.
  const again = simulate.render(id)
  again.attach(document.createElement('parent-wrapper'))
  await again.instance.onLoad({conversation_id: cid})
  await until('resumed', () => items(again).length >= report.items.length)
  report.resumed = {seqs: items(again).map(m => m.seq), state: again.instance.data.state}
  again.instance.onUnload()

  // A token that expires: the server ends the session, the page gets a new token and connects again.
  config.devTokenTtlS = 2
  const expiring = simulate.render(id)
  expiring.attach(document.createElement('parent-wrapper'))
  await expiring.instance.onLoad({conversation_id: cid})
  config.devTokenTtlS = 0
  await until('session ended', () => !expiring.instance.session.socket.connected)
  await until('renewed', () => expiring.instance.session.socket.connected && expiring.instance.data.online)
  report.renewals = expiring.instance.session.renewals
  expiring.instance.onUnload()
  agent.socket.disconnect()
  fs.writeFileSync(env.REPORT, JSON.stringify(report, null, 1))

  assert.equal(report.call_buttons, 0)
  assert.equal(report.first.role, 'user')
  assert.ok(report.bot.text)
  assert.equal(report.assigned_channel, 'wechat')
  assert.deepEqual(report.form_reply.accepted, ['address'])
  assert.ok(report.rated)
})
