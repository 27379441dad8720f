import { useEffect } from "react";

/** The browser tab says which screen it is: "Flows · Spool". */
export function useTitle(screen: string | undefined): void {
  useEffect(() => {
    document.title = screen ? `${screen} · Spool` : "Spool";
  }, [screen]);
}
