// Who the key is: the API has no "who am I" route, so the page asks what the key may
// do. GET /metrics answers staff keys (admin, operator, auditor) and refuses a user
// key (403); a user key's map names its owner. Navigation follows from that.
import { ApiError, get, metricsText } from "./api";
import type { Feed } from "./events";

export interface Session {
  key: string;
  staff: boolean;
  owner: string | null; // a user key's owner (usr_…), null for staff
  feed: Feed;
}

export async function probe(): Promise<{ staff: boolean; owner: string | null }> {
  // Validates the key first: a 401 here is the sign-in form's error.
  const map = await get<{ owner: string | null }>("/v1/map?base=EUR");
  try {
    await metricsText();
    return { staff: true, owner: null };
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      return { staff: false, owner: map.owner };
    }
    throw error;
  }
}
