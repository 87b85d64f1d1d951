/* Bangban co-browse, agent side: requests a session, replays the user's page live with rrweb's Replayer,
 * sends pointer moves, clicks-to-highlight and (after the user's second consent) control actions.
 * Needs vendor/rrweb-replay.min.js and vendor/rrweb-replay.css.
 *
 *   const cb = BangbanCobrowse.agent({socket, conversationId, container, onState, onForm, onSuggestReply});
 *   cb.request("dom" | "form"); cb.requestControl(); cb.setMode("pointer" | "highlight" | "control"); cb.stop();
 */
(function (global) {
  "use strict";

  function agent(opts) {
    var socket = opts.socket, cid = opts.conversationId, container = opts.container;
    var onState = opts.onState || function () {}, onForm = opts.onForm || function () {};
    var onSuggestReply = opts.onSuggestReply || function () {};
    var session = null, replayer = null, mode = "pointer", lastMove = 0, state = null;

    function ensureReplayer(firstEvents) {
      if (replayer) return;
      replayer = new global.rrwebReplay.Replayer([], {root: container, liveMode: true, mouseTail: false,
        UNSAFE_replayCanvas: false, insertStyleRules: []});
      replayer.startLive(firstEvents.length ? firstEvents[0].timestamp - 500 : Date.now() - 500);
      var wrapper = container.querySelector(".replayer-wrapper") || container;
      wrapper.addEventListener("mousemove", onMouse);
      wrapper.addEventListener("click", onMouse);
    }

    function pagePoint(ev) {
      var iframe = replayer && replayer.iframe;
      if (!iframe) return null;
      var r = iframe.getBoundingClientRect();
      var scale = r.width / (iframe.offsetWidth || r.width);
      var x = (ev.clientX - r.left) / scale, y = (ev.clientY - r.top) / scale;
      var win = iframe.contentWindow;
      var el = iframe.contentDocument && iframe.contentDocument.elementFromPoint(x, y);
      var id = el ? replayer.getMirror().getId(el) : -1;
      return {x: x + (win ? win.scrollX : 0), y: y + (win ? win.scrollY : 0), node_id: id > 0 ? id : null};
    }

    function onMouse(ev) {
      if (!session || state !== "active") return;
      var p = pagePoint(ev);
      if (!p) return;
      if (ev.type === "mousemove") {
        var now = Date.now();
        if (now - lastMove < 50) return;
        lastMove = now;
        socket.emit("cobrowse_pointer", {conversation_id: cid, session_id: session, kind: "move", x: p.x, y: p.y});
      } else if (mode === "control" && p.node_id) {
        socket.emit("cobrowse_control", {conversation_id: cid, session_id: session, action: "click", node_id: p.node_id});
      } else {
        socket.emit("cobrowse_pointer", {conversation_id: cid, session_id: session,
          kind: mode === "highlight" ? "highlight" : "click", x: p.x, y: p.y, node_id: p.node_id});
      }
    }

    function teardown() {
      if (replayer) { try { replayer.destroy(); } catch (e) { /* already gone */ } replayer = null; }
      container.innerHTML = ""; session = null; state = null;
    }

    socket.on("cobrowse_state", function (st) {
      if (st.conversation_id !== cid) return;
      session = st.session_id; state = st.state;
      if (st.state === "ended") teardown();
      onState(st);
    });
    socket.on("cobrowse_events", function (b) {
      if (b.conversation_id !== cid) return;
      ensureReplayer(b.events);
      for (var i = 0; i < b.events.length; i++) replayer.addEvent(b.events[i]);
    });
    socket.on("form_share", function (f) { if (f.conversation_id === cid) { session = f.session_id; onForm(f.form); } });
    socket.on("form_suggest_reply", function (r) { if (r.conversation_id === cid) onSuggestReply(r); });

    function call(event, data) {
      return new Promise(function (resolve) { socket.emit(event, data, resolve); });
    }

    return {
      request: function (m) {
        return call("cobrowse_request", {conversation_id: cid, mode: m || "dom"}).then(function (ack) {
          if (ack && ack.ok) { session = ack.session_id; state = ack.state; }
          return ack;
        });
      },
      requestControl: function () { return call("cobrowse_control_request", {conversation_id: cid, session_id: session}); },
      setMode: function (m) { mode = m; },
      suggest: function (formId, suggestions) {
        return call("form_suggest", {conversation_id: cid, session_id: session, form_id: formId, suggestions: suggestions});
      },
      stop: function () {
        var p = call("cobrowse_stop", {conversation_id: cid, session_id: session});
        teardown();
        return p;
      },
    };
  }

  global.BangbanCobrowse = global.BangbanCobrowse || {};
  global.BangbanCobrowse.agent = agent;
})(window);
