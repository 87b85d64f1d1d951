/* Bangban co-browse, user side: asks consent, records the page with rrweb (sensitive fields masked),
 * streams events over the Socket.IO /user namespace, shows the agent's pointer and highlights, and
 * applies agent actions only after a second consent. Needs vendor/rrweb-record.min.js.
 *
 *   const cb = BangbanCobrowse.user({socket, conversationId,
 *     askConsent: (req) => Promise<boolean>,          // default: window.confirm
 *     askControl: (req) => Promise<boolean>,
 *     onState: (state) => {}});
 *   cb.stop();
 */
(function (global) {
  "use strict";
  var SENSITIVE = /pass|pwd|idcard|id_card|id-card|idno|id_no|certno|cert_no|sfz|身份证|证件|bank|card|卡号|银行|phone|mobile|tel|手机|电话|验证码|otp|captcha|smscode|sms_code|cvv|cvc/i;
  var FLUSH_MS = 100, MAX_BATCH_BYTES = 512 * 1024;

  function isSensitive(el) {
    if (!el || el.nodeType !== 1) return false;
    if (el.closest && el.closest("[data-sensitive]")) return true;
    var tag = el.tagName.toLowerCase();
    if (tag !== "input" && tag !== "textarea" && tag !== "select") return false;
    var type = (el.getAttribute("type") || "").toLowerCase();
    if (type === "password" || type === "tel") return true;
    var keys = ["name", "id", "autocomplete", "placeholder", "aria-label"];
    for (var i = 0; i < keys.length; i++) {
      var v = el.getAttribute(keys[i]);
      if (v && SENSITIVE.test(v)) return true;
    }
    return false;
  }

  function user(opts) {
    var socket = opts.socket, cid = opts.conversationId;
    var askConsent = opts.askConsent || function (r) { return Promise.resolve(global.confirm(r.notice)); };
    var askControl = opts.askControl || function (r) { return Promise.resolve(global.confirm(r.notice)); };
    var onState = opts.onState || function () {};
    var session = null, stopRecord = null, buffer = [], timer = null, sending = false, control = false;
    var banner = null, pointer = null;

    function ui() {
      if (banner) return;
      banner = document.createElement("div");
      banner.setAttribute("data-cobrowse-ui", "");
      banner.style.cssText = "position:fixed;top:0;left:0;right:0;z-index:2147483647;background:#1f6feb;color:#fff;" +
        "font:14px/32px sans-serif;text-align:center";
      banner.textContent = "客服正在查看您的页面（密码、证件号等已隐藏） ";
      var btn = document.createElement("button");
      btn.textContent = "结束共享";
      btn.style.cssText = "margin-left:12px";
      btn.onclick = function () { api.stop(); };
      banner.appendChild(btn);
      pointer = document.createElement("div");
      pointer.setAttribute("data-cobrowse-ui", "");
      pointer.style.cssText = "position:absolute;width:16px;height:16px;margin:-8px 0 0 -8px;border-radius:50%;" +
        "background:rgba(255,80,0,.7);pointer-events:none;z-index:2147483647;display:none";
      document.body.appendChild(banner);
      document.body.appendChild(pointer);
    }

    function teardown() {
      if (stopRecord) { stopRecord(); stopRecord = null; }
      clearInterval(timer); timer = null; buffer = []; control = false; session = null;
      if (banner) { banner.remove(); pointer.remove(); banner = pointer = null; }
    }

    function flush() {
      if (sending || !buffer.length || !session) return;
      var batch = [], size = 0;
      while (buffer.length) {
        var s = JSON.stringify(buffer[0]).length;
        if (batch.length && size + s > MAX_BATCH_BYTES) break;
        batch.push(buffer.shift()); size += s;
      }
      sending = true;
      socket.timeout(10000).emit("cobrowse_events", {conversation_id: cid, session_id: session, events: batch},
        function (err, ack) {
          sending = false;
          if (err || !ack || ack.ok) return;
          if (ack.error.code === "rate_limited") { buffer = batch.concat(buffer); }
          else if (ack.error.code === "cobrowse_not_active" || ack.error.code === "cobrowse_not_found") { teardown(); }
        });
    }

    function start() {
      ui();
      stopRecord = global.rrwebRecord.record({
        emit: function (e) { buffer.push(e); if (e.type === 2) flush(); },
        maskAllInputs: true,                       // every input goes through maskInputFn ...
        maskInputFn: function (text, el) {         // ... which hides only the sensitive ones
          return isSensitive(el) ? "*".repeat(text.length) : text;
        },
        maskTextSelector: "[data-sensitive]",
        blockSelector: "[data-cobrowse-ui],[data-cobrowse-block]",
        sampling: {mousemove: 100, scroll: 150, input: "last"},
        recordCanvas: false, collectFonts: false, inlineImages: false,
      });
      timer = setInterval(flush, FLUSH_MS);
    }

    socket.on("cobrowse_request", function (req) {
      if (req.conversation_id !== cid) return;
      askConsent(req).then(function (yes) {
        socket.emit("cobrowse_consent", {conversation_id: cid, session_id: req.session_id, accept: !!yes},
          function (ack) { if (ack && ack.ok && yes) { session = req.session_id; start(); } });
      });
    });
    socket.on("cobrowse_control_request", function (req) {
      if (req.conversation_id !== cid) return;
      askControl(req).then(function (yes) {
        socket.emit("cobrowse_control_consent", {conversation_id: cid, session_id: req.session_id, accept: !!yes});
      });
    });
    socket.on("cobrowse_state", function (st) {
      if (st.conversation_id !== cid) return;
      control = st.control === "on";
      if (st.state === "ended") teardown();
      onState(st);
    });
    socket.on("cobrowse_pointer", function (p) {
      if (!pointer || p.conversation_id !== cid) return;
      pointer.style.display = p.kind === "clear" ? "none" : "block";
      pointer.style.left = p.x + "px"; pointer.style.top = p.y + "px";
      if (p.kind === "highlight" && p.node_id != null) {
        var el = global.rrwebRecord.record.mirror.getNode(p.node_id);
        if (el && el.style) {
          var old = el.style.outline; el.style.outline = "3px solid #ff5000";
          setTimeout(function () { el.style.outline = old; }, 3000);
        }
      }
    });
    socket.on("cobrowse_control", function (c) {
      if (!control || c.conversation_id !== cid) return;
      var el = global.rrwebRecord.record.mirror.getNode(c.node_id);
      if (!el) return;
      if (c.action === "click" && el.click) el.click();
      else if (c.action === "focus" && el.focus) el.focus();
      else if (c.action === "scroll") global.scrollTo(c.x || 0, c.y || 0);
      else if (c.action === "input" && !isSensitive(el) && "value" in el) {  // never types into private fields
        el.value = c.value;
        el.dispatchEvent(new Event("input", {bubbles: true}));
        el.dispatchEvent(new Event("change", {bubbles: true}));
      }
    });

    var api = {
      stop: function () {
        if (session) socket.emit("cobrowse_stop", {conversation_id: cid, session_id: session});
        teardown();
      },
      revokeControl: function () {
        if (session) socket.emit("cobrowse_control_consent", {conversation_id: cid, session_id: session, accept: false});
      },
      /* Mini-programs and form pages without rrweb: share the current form (values of sensitive fields are
       * masked again by the server). fields: [{name, label, type, value, sensitive}] */
      shareForm: function (form) {
        return new Promise(function (resolve) {
          socket.emit("form_share", {conversation_id: cid, form: form}, resolve);
        });
      },
      replySuggestion: function (suggestionId, acceptedNames) {
        socket.emit("form_suggest_reply", {conversation_id: cid, suggestion_id: suggestionId, accepted: acceptedNames});
      },
      isSensitive: isSensitive,
    };
    return api;
  }

  global.BangbanCobrowse = global.BangbanCobrowse || {};
  global.BangbanCobrowse.user = user;
})(window);
