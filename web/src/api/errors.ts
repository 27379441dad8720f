// API errors in words. The server's error body is `{ error: { code, message, details } }`
// whose `message` is written for people; anything else (a proxy's HTML page, a dropped
// connection) gets a sentence of our own instead of raw text.

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ApiFailure";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

interface ErrorBodyShape {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/** The failure an error response stands for, whatever its body. */
export function failureOf(status: number, body: unknown): ApiFailure {
  const detail = (body as ErrorBodyShape | null | undefined)?.error;
  const code = typeof detail?.code === "string" ? detail.code : "unknown";
  if (typeof detail?.message === "string" && detail.message.trim() !== "") {
    return new ApiFailure(status, code, detail.message, detail.details);
  }
  return new ApiFailure(status, code, fallbackMessage(status), detail?.details);
}

function fallbackMessage(status: number): string {
  if (status === 401) return "You are signed out. Sign in again to go on.";
  if (status === 403) return "Your role in this workspace does not allow this.";
  if (status === 404) return "This no longer exists; someone may have deleted it.";
  if (status === 409) return "Someone else changed this in the meantime. Reload and try again.";
  if (status >= 500) return "Spool ran into a problem on its side. Try again in a moment.";
  return `Spool refused this request (HTTP ${status}).`;
}

/** A thrown value as one sentence for a person. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiFailure && error.status === 401 && error.code === "unauthenticated") {
    // The server's text is for programs (which header to send); people sign in again.
    return "Your session has ended: sign in again, then try once more.";
  }
  if (error instanceof ApiFailure) return error.message;
  if (error instanceof TypeError) {
    // fetch() rejects with a TypeError when the network is down or the server is gone.
    return "Spool cannot be reached. Check that it is running and that you are online.";
  }
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong.";
}
