// Where the builder writes as the contact: a message (Enter sends), or a location or an
// image (a placeholder: no file is uploaded, the flow sees an image with the caption typed).

import { useState } from "react";
import type { Say } from "./api";

interface Props {
  busy: boolean;
  onSend: (body: Say) => void;
}

export function Composer({ busy, onSend }: Props) {
  const [text, setText] = useState("");
  const [locating, setLocating] = useState(false);
  const [place, setPlace] = useState({ name: "Home", latitude: "38.7223", longitude: "-9.1393" });
  const latitude = Number(place.latitude);
  const longitude = Number(place.longitude);
  const placeOk =
    place.latitude.trim() !== "" &&
    place.longitude.trim() !== "" &&
    Math.abs(latitude) <= 90 &&
    Math.abs(longitude) <= 180;

  return (
    <div className="composer">
      {locating && (
        <form
          className="composer-location"
          aria-label="Share a location"
          onSubmit={(e) => {
            e.preventDefault();
            if (!placeOk) return;
            onSend({
              location: {
                latitude,
                longitude,
                name: place.name.trim() === "" ? null : place.name.trim(),
              },
            });
            setLocating(false);
          }}
        >
          <input
            aria-label="Place name"
            value={place.name}
            onChange={(e) => setPlace({ ...place, name: e.target.value })}
          />
          <input
            aria-label="Latitude"
            inputMode="decimal"
            value={place.latitude}
            onChange={(e) => setPlace({ ...place, latitude: e.target.value })}
          />
          <input
            aria-label="Longitude"
            inputMode="decimal"
            value={place.longitude}
            onChange={(e) => setPlace({ ...place, longitude: e.target.value })}
          />
          <button type="submit" className="button small primary" disabled={busy || !placeOk}>
            Share
          </button>
        </form>
      )}
      <form
        className="composer-row"
        onSubmit={(e) => {
          e.preventDefault();
          const body = text.trim();
          if (body === "" || busy) return;
          onSend({ text: body });
          setText("");
        }}
      >
        <button
          type="button"
          className="composer-icon"
          aria-label="Share a location"
          aria-pressed={locating}
          title="Share a location"
          onClick={() => setLocating(!locating)}
        >
          Location
        </button>
        <button
          type="button"
          className="composer-icon"
          aria-label="Send an image"
          title="Send an image (a placeholder; the text typed is its caption)"
          disabled={busy}
          onClick={() => {
            const caption = text.trim();
            onSend({ media: { kind: "image", caption: caption === "" ? null : caption } });
            setText("");
          }}
        >
          Image
        </button>
        <input
          className="composer-input"
          aria-label="Message"
          placeholder="Write as the contact…"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" className="composer-send" disabled={busy || text.trim() === ""}>
          Send
        </button>
      </form>
    </div>
  );
}
