// The matter catalogue (GET /api/v1/catalogue), fetched once per page.

let pending = null;
let data = { matters: new Map(), departments: new Map() };

/** Load the catalogue (cached); never rejects — an empty catalogue shows ids instead of names. */
export function loadCatalogue(api) {
  if (!pending) {
    pending = api.get('/api/v1/catalogue').then((res) => {
      data = {
        matters: new Map((res.matters || []).map((m) => [m.id, m])),
        departments: new Map((res.departments || []).map((d) => [d.id, d])),
      };
      return data;
    }).catch(() => data);
  }
  return pending;
}

export const matter = (id) => (id ? data.matters.get(id) || null : null);
export const matterName = (id) => (id ? data.matters.get(id)?.name || id : '未识别事项');
export const departmentName = (id) => (id ? data.departments.get(id)?.name || id : '—');
export const departments = () => [...data.departments.values()];
export const matters = () => [...data.matters.values()];
