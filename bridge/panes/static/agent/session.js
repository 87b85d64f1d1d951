// The agent's login for this pane.

import { createStaffSession } from '../common/staff-session.js';

export const { session, api, login, resume, logout, isSupervisor } = createStaffSession('bangban.agent.token');
