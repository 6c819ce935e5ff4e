// Who the key is: the API has no "who am I" route, so the page reads it from the map:
// a user key's map is its owner's (`owner` names it), a staff key's (admin, operator,
// auditor) without `owner` is every owner's (`owner` null). Asking what would be
// refused (GET /metrics) would work too, but a refused request is a console error.
import { get } from "./api";
import type { Feed } from "./events";

export interface Session {
  key: string;
  staff: boolean;
  owner: string | null; // a user key's owner (usr_…), null for staff
  feed: Feed;
}

export async function probe(): Promise<{ staff: boolean; owner: string | null }> {
  // Validates the key too: a 401 here is the sign-in form's error.
  const map = await get<{ owner: string | null }>("/v1/map?base=EUR");
  return { staff: map.owner === null, owner: map.owner };
}
