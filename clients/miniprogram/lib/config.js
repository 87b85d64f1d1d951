// Where the mini-program finds Bangban and how it signs in. A release build sets baseUrl to the
// portal's HTTPS address (listed as a request and socket domain in the mini-program's settings)
// and tokenUrl to the portal's identity service; devTokens only works against a local development run.
module.exports = {
  baseUrl: 'http://127.0.0.1:8080',
  // development: POST /api/v1/dev/user-token; release: the portal exchanges wx.login's code for a token
  devTokens: true,
  tokenUrl: '',
  // WeChat subscription-message templates asked for when the citizen hands off (订阅消息, one-time):
  // the agent's reply, the rating request. The ids are the ones configured on the Bangban side.
  subscribeTemplates: ['AGENT_REPLY_TEMPLATE', 'RATING_TEMPLATE'],
  // what wx.getRecorderManager records: 'mp3' or 'aac' (both accepted by the server, transcoded to M4A)
  recorderFormat: 'mp3',
  // mini-programs have no WebRTC here: no call buttons, incoming calls are declined with a notice
  calls: false,
}
