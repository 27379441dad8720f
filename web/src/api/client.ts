// The typed API client (types generated from docs/openapi.json into ./schema.d.ts).
// Every change carries the session's CSRF token; a 401 on anything but signing in marks
// the session expired, which brings up the sign-in dialog over the current screen.

import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { failureOf } from "./errors";
import { useSession } from "../session/store";

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });

api.use({
  onRequest({ request }) {
    const token = useSession.getState().session?.csrf_token;
    if (token && request.method !== "GET" && request.method !== "HEAD") {
      request.headers.set("X-CSRF-Token", token);
    }
    return request;
  },
  async onResponse({ request, response }) {
    if (response.status === 401 && !isSignIn(request)) {
      const body: unknown = await response
        .clone()
        .json()
        .catch(() => null);
      if (failureOf(401, body).code !== "invalid_credentials") useSession.getState().expire();
    }
    return response;
  },
});

function isSignIn(request: Request): boolean {
  return new URL(request.url).pathname === "/api/v1/session" && request.method !== "DELETE";
}

/** The data of a successful call; an `ApiFailure` with the server's words otherwise. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw failureOf(response.status, error);
  return data as T;
}
