// Calls on the user page (/h5): 语音通话 / 视频通话 buttons, incoming calls from the agent, and the
// notice that the call is recorded for audit. Loaded by the page as an ES module (bridge/panes/README.md).
import { pane } from './pane-kit.js';
import { mountCall } from './call-core.js';

mountCall(pane(), { role: 'user' });
