// The one way the app talks to the HTTP APIs: JSON in and out, problem details (RFC 9457) turned
// into ApiError with the stable `code`, the access token attached, and one refresh on a 401.
import { session } from "./session";

export interface FieldProblem {
  field: string;
  message: string;
}

/** The problem details every showfloor API answers an error with. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail?: string;
  errors?: FieldProblem[];
  retry_after?: number;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly fields: FieldProblem[];
  /** Seconds to wait before retrying (Retry-After header or `retry_after`), when the API said. */
  readonly retryAfter: number | null;

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(problem.detail || problem.title || problem.code);
    this.name = "ApiError";
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail ?? "";
    this.fields = problem.errors ?? [];
    this.retryAfter = retryAfter ?? problem.retry_after ?? null;
  }
}

/** Seconds from a Retry-After header: delta-seconds or an HTTP date (RFC 9110, section 10.2.3). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value == null || value.trim() === "") return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

const STATUS_CODES: Record<number, string> = {
  400: "invalid_input",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  410: "gone",
  413: "payload_too_large",
  429: "too_many_requests",
};

/** An ApiError from any error response, problem details or not. */
export async function problemOf(res: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(res.headers.get("retry-after"));
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: a proxy's error page, an empty body.
  }
  if (body && typeof body === "object" && typeof (body as Problem).code === "string") {
    return new ApiError({ ...(body as Problem), status: res.status }, retryAfter);
  }
  const code = STATUS_CODES[res.status] ?? (res.status >= 500 ? "server_error" : "http_error");
  return new ApiError({ status: res.status, code, detail: res.statusText }, retryAfter);
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the access token (default: when signed in). */
  auth?: boolean;
  signal?: AbortSignal;
}

async function send(path: string, options: RequestOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    return await fetch(path, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      credentials: "same-origin",
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError({ status: 0, code: "network_error", detail: String(err) });
  }
}

/** Calls an API and returns its JSON body (undefined for 204). Throws ApiError. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const useAuth = options.auth ?? true;
  let token = useAuth ? await session.accessToken() : null;
  let res = await send(path, options, token);
  if (res.status === 401 && useAuth && token) {
    token = await session.refreshAfterRejection(token);
    if (token) res = await send(path, options, token);
  }
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
