// Formatting of times, durations, percentages and the labels of the service.

export const CHANNELS = { pc: 'PC门户', app: '随申办App', wechat: '微信小程序', alipay: '支付宝小程序', kiosk: '自助终端', phone: '电话' };
export const STATES = { bot: '智能客服', queued: '排队中', with_agent: '人工服务中', escalated: '已转12345', closed: '已结束' };
export const ROLES = { user: '用户', bot: '小申', agent: '帮办', system: '系统' };
// the national 好差评 levels by score 1..5 (docs/haocha.md)
export const SCORES = ['非常不满意', '不满意', '基本满意', '满意', '非常满意'];

const pad = (n) => String(n).padStart(2, '0');

/** "14:05" for today, "3月2日 14:05" otherwise. */
export function clock(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const today = new Date();
  return d.toDateString() === today.toDateString() ? hm : `${d.getMonth() + 1}月${d.getDate()}日 ${hm}`;
}

/** "0:45", "12:03", "1:02:03" for a number of seconds. */
export function timer(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return hh ? `${hh}:${pad(mm)}:${pad(ss)}` : `${mm}:${pad(ss)}`;
}

/** "约2分钟" style wait. */
export function wait(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `约${Math.max(1, Math.round(seconds))}秒`;
  return `约${Math.round(seconds / 60)}分钟`;
}

/** "45.2%" or "—". */
export function percent(value, digits = 1) {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(digits)}%`;
}

/** "38秒" / "2分05秒" or "—". */
export function seconds(value) {
  if (value === null || value === undefined) return '—';
  const s = Math.round(value);
  return s < 60 ? `${s}秒` : `${Math.floor(s / 60)}分${pad(s % 60)}秒`;
}

/** "1.2 MB" */
export function bytes(n) {
  if (!n && n !== 0) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
