// Answer cards (docs/protocol.md "Answer cards") as the chat page shows them: a video guide plays in the
// <video> component from the signed link (relative to the bridge; the component streams it with Range
// requests), a live session shows its start time and its https link to copy. Past sessions are hidden.
// The <video> component has no WebVTT tracks: captions are for /h5 and the agent pane.
const LIVE_GRACE_MS = 2 * 3600 * 1000
const WEEKDAYS = '日一二三四五六'

const mediaPath = u => (typeof u === 'string' && u.startsWith('/api/v1/media/') ? u : '')
const httpsUrl = u => (typeof u === 'string' && /^https:\/\/\S+$/.test(u) ? u : '')

function when(ms) { // Shanghai time, whatever the phone's zone: 12月3日 周四 19:30
  const d = new Date(ms + 8 * 3600 * 1000)
  const pad = n => String(n).padStart(2, '0')
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 周${WEEKDAYS[d.getUTCDay()]} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

function length(seconds) {
  const s = Math.round(Number(seconds) || 0)
  return s ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` : ''
}

/** The cards of a message for the page's data, with absolute media addresses on `baseUrl`. */
function view(cards, baseUrl, now = Date.now()) {
  if (!Array.isArray(cards)) return []
  return cards.map((c, i) => {
    if (c && c.type === 'video' && mediaPath(c.src)) {
      return {key: `v${i}`, type: 'video', title: c.title || '视频指南', src: baseUrl + c.src,
        poster: mediaPath(c.poster) ? baseUrl + c.poster : '', length: length(c.duration)}
    }
    const start = c && Date.parse(c.starts_at)
    if (c && c.type === 'live' && httpsUrl(c.url) && !Number.isNaN(start) && start >= now - LIVE_GRACE_MS) {
      return {key: `l${i}`, type: 'live', title: c.title || '', when: when(start), url: c.url}
    }
    return null
  }).filter(Boolean)
}

module.exports = {view}
