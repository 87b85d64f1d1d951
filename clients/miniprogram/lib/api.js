// HTTP through wx.request and wx.uploadFile (Promise wrappers), tokens and signed media links.
const config = require('./config')

function fail(res, fallback) {
  const body = typeof res.data === 'string' ? safeJson(res.data) : res.data
  const error = (body && body.error) || {code: 'http_' + res.statusCode, message: fallback}
  return Object.assign(new Error(error.message), {code: error.code, status: res.statusCode})
}

function safeJson(text) {
  try {
    return JSON.parse(text)
  } catch (err) {
    return null
  }
}

/** wx.request as a Promise of the JSON body; rejects with {code, message, status} on a non-2xx answer. */
function request(method, path, body, token) {
  return new Promise((resolve, reject) => {
    const header = {'content-type': 'application/json'}
    if (token) header.Authorization = 'Bearer ' + token
    wx.request({
      url: config.baseUrl + path,
      method,
      data: body,
      header,
      success: res => (res.statusCode < 300 ? resolve(res.data) : reject(fail(res, '请求失败'))),
      fail: err => reject(Object.assign(new Error('网络连接失败'), {code: 'network', detail: err.errMsg})),
    })
  })
}

/** Upload a local file (a temp path from the camera, album, recorder or chat) to a conversation. */
function upload(filePath, conversationId, token) {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: config.baseUrl + '/api/v1/media',
      filePath,
      name: 'file',
      formData: {conversation_id: conversationId},
      header: {Authorization: 'Bearer ' + token},
      success: res => (res.statusCode < 300 ? resolve(safeJson(res.data)) : reject(fail(res, '上传失败'))),
      fail: err => reject(Object.assign(new Error('上传失败，请检查网络'), {code: 'network', detail: err.errMsg})),
    })
  })
}

/** The development citizen of this phone: one id, kept in storage, so that a restart finds its conversations. */
function devSubject() {
  let sub = wx.getStorageSync('bangban.dev_sub')
  if (!sub) {
    sub = 'mp-' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8)
    wx.setStorageSync('bangban.dev_sub', sub)
  }
  return sub
}

/** A user token: a development token in a local run, else the portal's token for wx.login's code. */
async function userToken(profile) {
  if (config.devTokens) {
    const body = Object.assign({channel: 'wechat', kind: 'person'}, profile, {sub: profile.sub || devSubject()})
    if (config.devTokenTtlS) body.ttl_s = config.devTokenTtlS
    if (config.devOpenid) body.openid = 'dev-openid-' + body.sub.replace(/[^A-Za-z0-9_-]/g, '-')
    return (await request('POST', '/api/v1/dev/user-token', body)).token
  }
  const code = await new Promise((resolve, reject) => wx.login({success: r => resolve(r.code), fail: reject}))
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.tokenUrl,
      method: 'POST',
      data: {code},
      success: res => (res.statusCode < 300 ? resolve(res.data.token) : reject(fail(res, '登录失败'))),
      fail: reject,
    })
  })
}

/** A signed link for <image> and the audio player, which cannot send the Authorization header. */
async function mediaLink(mediaId, token) {
  const link = await request('GET', `/api/v1/media/${encodeURIComponent(mediaId)}/link`, undefined, token)
  return {url: config.baseUrl + link.url, thumbUrl: link.thumb_url ? config.baseUrl + link.thumb_url : ''}
}

module.exports = {request, upload, userToken, mediaLink}
