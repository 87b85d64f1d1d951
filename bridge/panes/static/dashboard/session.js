// The supervisor's login for the dashboard.

import { createStaffSession } from '../common/staff-session.js';

export const { session, api, login, resume, logout, isSupervisor, bindLoginForm } = createStaffSession('bangban.dashboard.token');
