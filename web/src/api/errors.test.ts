import { describe, expect, it } from "vitest";
import { ApiFailure, failureOf, messageOf } from "./errors";

describe("failureOf", () => {
  it("keeps the server's message and code", () => {
    const failure = failureOf(409, {
      error: {
        code: "flow_exists",
        message: "A flow with id x exists already.",
        details: { a: 1 },
      },
    });
    expect(failure.message).toBe("A flow with id x exists already.");
    expect(failure.code).toBe("flow_exists");
    expect(failure.details).toEqual({ a: 1 });
  });

  it("says something readable when the body is not the API's", () => {
    expect(failureOf(502, "<html>Bad gateway</html>").message).toMatch(/problem on its side/);
    expect(failureOf(401, null).message).toMatch(/signed out/);
    expect(failureOf(418, {}).message).toMatch(/HTTP 418/);
  });
});

describe("messageOf", () => {
  it("explains a network failure", () => {
    expect(messageOf(new TypeError("Failed to fetch"))).toMatch(/cannot be reached/);
  });
  it("tells people, not programs, how to go on when signed out", () => {
    const failure = failureOf(401, {
      error: {
        code: "unauthenticated",
        message: "Sign in (POST /api/v1/session) or send an API key.",
      },
    });
    expect(messageOf(failure)).toBe("Your session has ended: sign in again, then try once more.");
  });
  it("passes API messages through", () => {
    expect(messageOf(new ApiFailure(422, "x", "Bad id."))).toBe("Bad id.");
  });
});
