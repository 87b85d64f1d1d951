// The wx.* APIs the chat page uses, implemented in Node over the real network: wx.connectSocket on the
// `ws` package, wx.request and wx.uploadFile over HTTP (fetch, multipart as WeChat sends it). What
// only a phone has (the recorder, the album, chat files, the subscription dialog) hands back files and
// answers the test chose, and records how the page called it.
const fs = require('fs')
const path = require('path')
const WebSocket = require('ws')

function done(opts, res) {
  if (opts.success) opts.success(res)
  if (opts.complete) opts.complete(res)
}

function failed(opts, errMsg) {
  if (opts.fail) opts.fail({errMsg})
  if (opts.complete) opts.complete({errMsg})
}

function connectSocket(opts) {
  const ws = new WebSocket(opts.url, opts.protocols || [], {headers: opts.header || {}})
  const on = {open: [], message: [], close: [], error: []}
  ws.on('open', () => on.open.forEach(fn => fn({})))
  ws.on('message', (data, isBinary) => on.message.forEach(fn => fn({data: isBinary ? data : data.toString()})))
  ws.on('close', (code, reason) => on.close.forEach(fn => fn({code, reason: String(reason)})))
  ws.on('error', err => on.error.forEach(fn => fn({errMsg: String(err.message)})))
  setImmediate(() => done(opts, {errMsg: 'connectSocket:ok'}))
  return {
    onOpen: fn => on.open.push(fn),
    onMessage: fn => on.message.push(fn),
    onClose: fn => on.close.push(fn),
    onError: fn => on.error.push(fn),
    send: o => ws.readyState === WebSocket.OPEN ? (ws.send(o.data), done(o, {})) : failed(o, 'sendSocketMessage:fail'),
    close: o => ((ws.readyState <= WebSocket.OPEN && ws.close((o && o.code) || 1000)), done(o || {}, {})),
  }
}

async function request(opts) {
  const header = Object.assign({}, opts.header)
  const method = (opts.method || 'GET').toUpperCase()
  let body
  if (opts.data !== undefined && method !== 'GET') body = typeof opts.data === 'string' ? opts.data : JSON.stringify(opts.data)
  try {
    const res = await fetch(opts.url, {method, headers: header, body})
    const text = await res.text()
    let data = text
    try {
      data = JSON.parse(text)
    } catch (err) {
      // not JSON: wx.request hands the text over as it is
    }
    done(opts, {statusCode: res.status, data, header: Object.fromEntries(res.headers)})
  } catch (err) {
    failed(opts, 'request:fail ' + err.message)
  }
}

async function uploadFile(opts) {
  const form = new FormData()
  Object.entries(opts.formData || {}).forEach(([k, v]) => form.append(k, String(v)))
  form.append(opts.name, new Blob([fs.readFileSync(opts.filePath)]), path.basename(opts.filePath))
  try {
    const res = await fetch(opts.url, {method: 'POST', headers: opts.header || {}, body: form})
    done(opts, {statusCode: res.status, data: await res.text()})
  } catch (err) {
    failed(opts, 'uploadFile:fail ' + err.message)
  }
}

/** Build the wx object; `phone` holds the files and answers of the phone-only APIs and records the calls. */
function createWx(phone) {
  const storage = new Map()
  const recorder = {
    handlers: {stop: [], error: []},
    start(options) {
      phone.recorderStarts.push(options)
    },
    stop() {
      const file = phone.recorded[phone.recorderStarts[phone.recorderStarts.length - 1].format]
      const res = {tempFilePath: file.path, duration: file.durationMs, fileSize: fs.statSync(file.path).size}
      setImmediate(() => this.handlers.stop.forEach(fn => fn(res)))
    },
    onStop(fn) {
      this.handlers.stop.push(fn)
    },
    onError(fn) {
      this.handlers.error.push(fn)
    },
    onStart() {},
  }
  return {
    connectSocket,
    request,
    uploadFile,
    login: o => done(o, {code: 'dev-code', errMsg: 'login:ok'}),
    getRecorderManager: () => recorder,
    chooseMedia: o => done(o, {tempFiles: [{tempFilePath: phone.album, size: fs.statSync(phone.album).size, fileType: 'image'}]}),
    chooseMessageFile: o => {
      phone.chooseMessageFile.push(o)
      done(o, {tempFiles: [{path: phone.chatFile, size: fs.statSync(phone.chatFile).size, name: path.basename(phone.chatFile), type: 'file'}]})
    },
    requestSubscribeMessage: o => {
      phone.subscribeAsked.push(o.tmplIds)
      done(o, Object.assign({errMsg: 'requestSubscribeMessage:ok'}, phone.subscribeAnswers))
    },
    createInnerAudioContext: () => {
      const audio = {src: '', play: () => phone.played.push(audio.src)}
      return audio
    },
    getStorageSync: k => storage.get(k) || '',
    setStorageSync: (k, v) => storage.set(k, v),
    showToast: o => done(o, {}),
    setClipboardData: o => {
      phone.clipboard = o.data
      done(o, {})
    },
  }
}

module.exports = {createWx}
