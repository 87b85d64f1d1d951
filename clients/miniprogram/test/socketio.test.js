// The Socket.IO packet codec of lib/socketio.js (pure logic; the page's test drives it against the server).
const test = require('node:test')
const assert = require('node:assert/strict')
const {parsePacket, encodePacket} = require('../lib/socketio')

test('namespace connect with auth, events with ack ids, acks', () => {
  assert.equal(encodePacket('0', '/user', null, {token: 't'}), '40/user,{"token":"t"}')
  assert.equal(encodePacket('2', '/user', 12, ['message', {text: '你好'}]), '42/user,12["message",{"text":"你好"}]')
  assert.equal(encodePacket('1', '/user', null), '41/user,')
  assert.equal(encodePacket('2', '/', null, ['x']), '42["x"]')
})

test('server packets: connect, connect error, event, ack, default namespace', () => {
  assert.deepEqual(parsePacket('0/user,{"sid":"abc"}'), {type: '0', nsp: '/user', id: null, data: {sid: 'abc'}})
  assert.deepEqual(parsePacket('4/user,{"message":"x","data":{"code":"unauthorized"}}').data.data, {code: 'unauthorized'})
  assert.deepEqual(parsePacket('2/user,["state",{"state":"queued"}]').data, ['state', {state: 'queued'}])
  assert.deepEqual(parsePacket('3/user,7[{"ok":true,"seq":3}]'), {type: '3', nsp: '/user', id: 7, data: [{ok: true, seq: 3}]})
  assert.deepEqual(parsePacket('2["x",1]'), {type: '2', nsp: '/', id: null, data: ['x', 1]})
  assert.deepEqual(parsePacket('1/user,'), {type: '1', nsp: '/user', id: null, data: undefined})
})
