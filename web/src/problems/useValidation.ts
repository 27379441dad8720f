// Live validation: the document the editor holds, checked by the API (`POST …/validate`
// with the document as its body: nothing is saved) once editing pauses.

import { useEffect, useState } from "react";
import { api, ok } from "../api/client";
import type { Diagnostic } from "./marks";
import type { ClosedWindowEdge } from "./window";

const AFTER_MS = 400;

export interface Validation {
  diagnostics: Diagnostic[];
  /** Edges along which the 24-hour window may be closed. */
  closedWindow: ClosedWindowEdge[];
  errors: number;
  warnings: number;
  checking: boolean;
}

export function useValidation(
  workspace: string,
  flowId: string,
  document: object | undefined,
  initial: readonly Diagnostic[] = [],
): Validation {
  // The last answer and the document it is about: checking until it is about this one.
  const [result, setResult] = useState<{
    about: object | undefined;
    diagnostics: Diagnostic[];
    closedWindow: ClosedWindowEdge[];
  }>({
    about: undefined,
    diagnostics: [...initial],
    closedWindow: [],
  });
  useEffect(() => {
    if (!document) return;
    let current = true;
    const timer = setTimeout(() => {
      ok(
        api.POST("/api/v1/workspaces/{workspace}/flows/{flow}/validate", {
          params: { path: { workspace, flow: flowId } },
          body: document as Record<string, unknown>,
        }),
      )
        .then((answer) => {
          if (!current) return;
          setResult({
            about: document,
            diagnostics: answer.diagnostics as unknown as Diagnostic[],
            closedWindow: answer.closed_window,
          });
        })
        .catch(() => current && setResult((r) => ({ ...r, about: document })));
    }, AFTER_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [workspace, flowId, document]);
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  return {
    diagnostics: result.diagnostics,
    closedWindow: result.closedWindow,
    errors,
    warnings: result.diagnostics.length - errors,
    checking: result.about !== document,
  };
}
