// The API client: every call sends the signed-in key as a Bearer token; an error
// reply becomes an ApiError carrying the API's code, message and `param` (the field
// it names), so forms can show it next to that field.

const KEY_STORAGE = "tpw.key";

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key === null) {
    sessionStorage.removeItem(KEY_STORAGE);
  } else {
    sessionStorage.setItem(KEY_STORAGE, key);
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null,
  ) {
    super(message);
  }
}

export interface ListOf<T> {
  object: "list";
  has_more: boolean;
  data: T[];
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = await response.json();
    const e = body.error ?? {};
    return new ApiError(response.status, e.code ?? "error", e.message ?? response.statusText,
      e.param ?? null);
  } catch {
    return new ApiError(response.status, "http_" + response.status, response.statusText, null);
  }
}

export async function call<T>(method: string, path: string, body?: unknown,
  key: string | null = storedKey()): Promise<T> {
  const headers: Record<string, string> = {};
  if (key !== null) {
    headers["Authorization"] = "Bearer " + key;
  }
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    throw await errorOf(response);
  }
  return (await response.json()) as T;
}

export const get = <T>(path: string) => call<T>("GET", path);
export const post = <T>(path: string, body: unknown) => call<T>("POST", path, body);

/** GET /metrics as text; ApiError 403 for a user key. */
export async function metricsText(): Promise<string> {
  const key = storedKey();
  const response = await fetch("/metrics", {
    headers: key ? { Authorization: "Bearer " + key } : {},
  });
  if (!response.ok) {
    throw await errorOf(response);
  }
  return response.text();
}
