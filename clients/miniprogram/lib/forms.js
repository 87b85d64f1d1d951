// Form sharing for co-browse. A mini-program has no DOM to record, so the business page the citizen
// is filling in (e.g. 公积金提取申请) registers its form here, the chat page shares its fields with
// the agent (`form_share`), and accepted suggestions are applied back to the form by the page itself.
// Sensitive values are masked on the device; the server masks again and trusts nothing.

const SENSITIVE_TYPES = ['password', 'idcard', 'tel', 'bankcard']
const SENSITIVE_WORDS = /pass|pwd|idcard|id_card|idno|certno|sfz|身份证|证件|bank|card|卡号|银行|phone|mobile|tel|手机|电话|验证码|otp|captcha|cvv/i

let current = null

/** Register the form being filled in: {form_id, title, page, fields: [{name, label, type, value, sensitive}]}, onApply(values). */
function setCurrent(form, onApply) {
  current = {form, onApply: onApply || null}
}

function currentForm() {
  return current && current.form
}

function isSensitive(field) {
  return Boolean(field.sensitive) || SENSITIVE_TYPES.indexOf(field.type) >= 0 ||
    SENSITIVE_WORDS.test(field.name) || SENSITIVE_WORDS.test(field.label || '')
}

/** The form as it may leave the phone: sensitive values replaced by as many '*'. */
function masked(form) {
  return {
    form_id: form.form_id,
    title: form.title,
    page: form.page,
    fields: form.fields.map(f => {
      const value = f.value == null ? '' : String(f.value)
      const sensitive = isSensitive(f)
      return {name: f.name, label: f.label, type: f.type || 'text', value: sensitive ? '*'.repeat(value.length) : value,
        sensitive}
    }),
  }
}

/** Fill accepted suggestions into the registered form; the names that were applied. */
function apply(suggestions, acceptedNames) {
  if (!current) return []
  const values = {}
  current.form.fields.forEach(f => {
    const s = suggestions.find(x => x.name === f.name)
    if (s && acceptedNames.indexOf(f.name) >= 0 && !isSensitive(f)) {
      f.value = s.value
      values[f.name] = s.value
    }
  })
  if (current.onApply) current.onApply(values)
  return Object.keys(values)
}

module.exports = {setCurrent, currentForm, masked, apply, isSensitive}
