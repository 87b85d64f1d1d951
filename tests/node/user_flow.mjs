// One user session through the official socket.io-client: start a conversation, get the bot's reply,
// resend the same client_msg_id, reconnect and sync. Prints a JSON report on stdout.
import { io } from "socket.io-client";

const [baseUrl, token, badToken] = process.argv.slice(2);
const report = {};
const timeout = (ms, what) => new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms));

function connect(tok) {
  return new Promise((resolve, reject) => {
    const s = io(`${baseUrl}/user`, { auth: { token: tok }, transports: ["websocket"], reconnection: false });
    s.on("connect", () => resolve(s));
    s.on("connect_error", (err) => reject(err));
  });
}

async function main() {
  try {
    await connect(badToken);
    report.bad_token = "accepted";
  } catch (err) {
    report.bad_token = err.data || { message: err.message };
  }
  const s = await connect(token);
  const messages = [];
  s.on("message", (m) => messages.push(m));
  const botReply = new Promise((resolve) => s.on("message", (m) => m.sender.role === "bot" && resolve(m)));
  const cmid = `node-${Date.now()}`;
  const ack = await s.timeout(10000).emitWithAck("message", { client_msg_id: cmid, type: "text", text: "护照过期了怎么换" });
  report.ack = ack;
  report.bot = await Promise.race([botReply, timeout(15000, "bot reply")]);
  report.resend = await s.timeout(10000).emitWithAck("message", { client_msg_id: cmid, type: "text", text: "护照过期了怎么换" });
  report.invalid = await s.timeout(10000).emitWithAck("message", { type: "text" });
  s.disconnect();
  const s2 = await connect(token);
  report.sync = await s2.timeout(10000).emitWithAck("sync", { conversation_id: ack.conversation_id, after_seq: 0 });
  s2.disconnect();
  console.log(JSON.stringify(report));
}

main().catch((err) => { console.error(err.stack || String(err)); process.exit(1); });
