// The messages of one conversation: ordered by seq, deduplicated, with local pending sends.
//
// Stored messages are keyed by seq (the server numbers them 1, 2, 3… with no gaps), so a
// message that arrives twice — live and again through `sync` — is kept once. Outgoing
// messages live under their client_msg_id until the ack (or the echo from another device)
// gives them a seq. `contiguous` is the highest seq up to which nothing is missing: the
// point to `sync` from after a reconnect.

export class MessageLog {
  constructor() {
    this.bySeq = new Map();
    this.pending = new Map(); // client_msg_id -> {local message, status: sending|failed}
    this.contiguous = 0;
    this.maxSeq = 0;
  }

  /** Add a stored message; returns true when it was new. */
  add(msg) {
    if (!msg || typeof msg.seq !== 'number') return false;
    if (msg.client_msg_id) this.pending.delete(msg.client_msg_id);
    if (this.bySeq.has(msg.seq)) return false;
    this.bySeq.set(msg.seq, msg);
    this.maxSeq = Math.max(this.maxSeq, msg.seq);
    while (this.bySeq.has(this.contiguous + 1)) this.contiguous += 1;
    return true;
  }

  /** Add several stored messages; returns those that were new. */
  addAll(messages) {
    return (messages || []).filter((m) => this.add(m));
  }

  /** True when a later message arrived before an earlier one: time to sync. */
  hasGap() {
    return this.maxSeq > this.contiguous;
  }

  addPending(local) {
    this.pending.set(local.client_msg_id, { ...local, status: 'sending' });
  }

  setPendingStatus(clientMsgId, status, error) {
    const p = this.pending.get(clientMsgId);
    if (p) Object.assign(p, { status, error });
  }

  /** Stored messages in seq order, then pending ones in the order they were sent. */
  list() {
    const stored = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
    return [...stored, ...this.pending.values()];
  }

  last(predicate = () => true) {
    const items = [...this.bySeq.values()].sort((a, b) => b.seq - a.seq);
    return items.find(predicate) || null;
  }
}
