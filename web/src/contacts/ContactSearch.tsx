// Finding a contact by its WhatsApp number, from the top bar: the API looks contacts up by
// number only, so this is a number field, not a search. The contact's page says when Spool
// has never met the number.

import { useId, useState, type FormEvent } from "react";
import { navigate } from "../lib/router";
import { contactPath, useSearches } from "./links";
import { phoneDigits } from "./words";

export function ContactSearch() {
  const [typed, setTyped] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const read = phoneDigits(typed);
    if ("problem" in read) return setProblem(read.problem);
    setProblem(null);
    setTyped("");
    useSearches.setState((s) => ({ count: s.count + 1 }));
    navigate(contactPath(read.digits));
  };
  return (
    <form className="contact-search" role="search" onSubmit={submit}>
      <label htmlFor={id} className="visually-hidden">
        Find a contact by WhatsApp number
      </label>
      <input
        id={id}
        type="search"
        inputMode="tel"
        placeholder="Find a contact: +49 151…"
        value={typed}
        onChange={(e) => (setTyped(e.target.value), setProblem(null))}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
      />
      <button type="submit" className="button small">
        Find
      </button>
      {problem && (
        <p id={`${id}-problem`} className="contact-search-problem" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
