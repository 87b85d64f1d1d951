/* Bangban voice/video calls for the user and agent pages (Socket.IO namespace /user or /agent).
 * Each browser connects to the server's aiortc peer; the server relays and records.
 *
 *   const call = BangbanCall({socket, conversationId, localVideo, remoteVideo, remoteAudio,
 *                             onInvite: (inv) => {}, onState: (st) => {}});
 *   call.invite("audio" | "video"); call.accept(callId); call.decline(callId); call.hangup();
 */
(function (global) {
  "use strict";

  function BangbanCall(opts) {
    var socket = opts.socket, cid = opts.conversationId;
    var onInvite = opts.onInvite || function () {}, onState = opts.onState || function () {};
    var pc = null, stream = null, current = null, iceServers = [];

    function call(event, data) {
      return new Promise(function (resolve) { socket.timeout(20000).emit(event, data, function (err, ack) {
        resolve(err ? {ok: false, error: {code: "timeout", message: "网络超时，请重试"}} : ack);
      }); });
    }

    function waitGathering(peer) {
      if (peer.iceGatheringState === "complete") return Promise.resolve();
      return new Promise(function (resolve) {
        var done = function () { if (peer.iceGatheringState === "complete") resolve(); };
        peer.addEventListener("icegatheringstatechange", done);
        setTimeout(resolve, 3000);
      });
    }

    async function connect(callId, kind) {
      stream = await navigator.mediaDevices.getUserMedia({audio: true, video: kind === "video"});
      if (opts.localVideo) { opts.localVideo.srcObject = stream; opts.localVideo.muted = true; }
      pc = new RTCPeerConnection({iceServers: iceServers});
      stream.getTracks().forEach(function (t) { pc.addTrack(t, stream); });
      pc.ontrack = function (ev) {
        var remote = ev.streams[0] || new MediaStream([ev.track]);
        if (ev.track.kind === "video" && opts.remoteVideo) opts.remoteVideo.srcObject = remote;
        if (ev.track.kind === "audio" && opts.remoteAudio) opts.remoteAudio.srcObject = remote;
      };
      await pc.setLocalDescription(await pc.createOffer());
      await waitGathering(pc);
      var ack = await call("call_offer", {call_id: callId, sdp: pc.localDescription.sdp, type: "offer"});
      if (!ack.ok) throw new Error(ack.error.message);
      await pc.setRemoteDescription({type: ack.type, sdp: ack.sdp});
      pc.onicecandidate = function (ev) {
        if (ev.candidate) socket.emit("call_ice", {call_id: callId, candidate: ev.candidate.toJSON()});
      };
    }

    function cleanup() {
      if (pc) { pc.close(); pc = null; }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      current = null;
    }

    socket.on("call_invite", function (inv) { if (inv.conversation_id === cid) { current = inv; onInvite(inv); } });
    socket.on("call_state", function (st) {
      if (st.conversation_id !== cid) return;
      if (st.ice_servers) iceServers = st.ice_servers;
      if (st.state === "connecting" && !pc) {
        current = st;
        connect(st.call_id, st.kind).catch(function (e) { onState({state: "error", message: String(e)}); });
      }
      if (st.state === "ended") cleanup();
      onState(st);
    });

    return {
      invite: async function (kind) {
        var ack = await call("call_invite", {conversation_id: cid, kind: kind || "audio"});
        if (ack.ok) { current = ack; iceServers = ack.ice_servers || []; }
        return ack;
      },
      accept: function (callId) { return call("call_accept", {call_id: callId || (current && current.call_id)}); },
      decline: function (callId) { return call("call_decline", {call_id: callId || (current && current.call_id)}); },
      hangup: function () {
        var id = current && current.call_id;
        cleanup();
        return id ? call("call_hangup", {call_id: id}) : Promise.resolve({ok: true});
      },
      stats: function () { return pc ? pc.getStats() : Promise.resolve(null); },
      get peer() { return pc; },
    };
  }

  global.BangbanCall = BangbanCall;
})(window);
