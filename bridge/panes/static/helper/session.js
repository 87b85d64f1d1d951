// The offline helper's login (window staff, volunteers, officials); token in sessionStorage.

import { createStaffSession } from '../common/staff-session.js';

export const HELPER_ROLES = { window_staff: '窗口帮办', volunteer: '帮办员', official: '帮办领导干部' };
export const { session, api, resume, logout, bindLoginForm } = createStaffSession('bangban.helper.token');
export const isHelper = () => Object.hasOwn(HELPER_ROLES, session.me?.role || '');
