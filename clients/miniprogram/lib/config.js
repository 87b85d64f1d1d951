// Where the mini-program finds Bangban and how it signs in. A release build sets baseUrl to the
// portal's HTTPS address (listed as a request and socket domain in the mini-program's settings)
// and tokenUrl to the portal's identity service; devTokens only works against a local development run.
module.exports = {
  baseUrl: 'http://127.0.0.1:8080',
  // development: POST /api/v1/dev/user-token; release: the portal exchanges wx.login's code for a token
  devTokens: true,
  // development tokens carry an OpenID, as the portal's do, so that WeChat subscription messages can
  // reach this citizen (servers without issue 15's notifications refuse the field: set false there)
  devOpenid: true,
  devTokenTtlS: 0, // development tokens' lifetime in seconds (0: the server's default); short ones try renewal
  tokenUrl: '',
  // WeChat subscription-message templates asked for when the citizen hands off (订阅消息, one-time):
  // the agent's reply, it is your turn, the rating request. The ids are the ones configured on the Bangban side
  // (at most 3 per request; these are the development ids of data/notify/templates.yml)
  subscribeTemplates: ['wx-dev-reply', 'wx-dev-turn', 'wx-dev-rating'],
  // what wx.getRecorderManager records: 'mp3' or 'aac' (both accepted by the server, transcoded to M4A)
  recorderFormat: 'mp3',
  // mini-programs have no WebRTC here: no call buttons, incoming calls are declined with a notice
  calls: false,
}
