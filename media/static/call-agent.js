// Calls in the agent pane (/agent): call the user of the current conversation, answer the user's calls.
// Loaded by the pane as an ES module (bridge/panes/README.md).
import { pane } from './pane-kit.js';
import { mountCall } from './call-core.js';

mountCall(pane(), { role: 'agent' });
